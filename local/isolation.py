"""Per-invocation state of libraries that assume one invocation per process, made per thread.

Lambda runs one invocation at a time in an execution environment; concurrent invocations get
separate environments. The local runtime runs them as threads of one process, so module and class
state that a library keeps "for the current invocation" would be shared between concurrent ones.
Powertools' event handler keeps the current event and Lambda context as attributes of its
`BaseRouter` class, and each resolver's request context as an instance attribute: two concurrent
API requests could read each other's event (and with it the caller's storefront). Here each thread
gets its own, as each Lambda environment would. Powertools Metrics' buffer likewise.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_installed = False
_lock = threading.Lock()


class _PerThread:
    """A data descriptor whose value is per thread and per instance (an instance attribute).

    A thread's first read gets a copy of the value the instance was given first (at import, where
    module-level objects are made), or `default()` when it was never given one."""

    def __init__(self, name: str, default: Any) -> None:
        self.name = name
        self.default = default
        self.local = threading.local()
        self.initial: dict[int, Any] = {}

    def _key(self, obj: Any) -> int:
        return id(obj)

    def _values(self) -> dict[int, Any]:
        values: dict[int, Any] | None = getattr(self.local, "values", None)
        if values is None:
            values = self.local.values = {}
        return values

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        values, key = self._values(), self._key(obj)
        if key not in values:
            if key not in self.initial and self.name in getattr(obj, "__dict__", {}):
                self.initial[key] = copy.copy(obj.__dict__[self.name])  # made before install()
            values[key] = copy.copy(self.initial[key]) if key in self.initial else self.default()
        return values[key]

    def __set__(self, obj: Any, value: Any) -> None:
        key = self._key(obj)
        self.initial.setdefault(key, copy.copy(value))
        self._values()[key] = value


class _PerThreadClassAttribute(_PerThread):
    """Per thread only: one value for the class and every instance, as a class attribute has. A thread
    starts from `default()`, never from the value another thread's invocation set."""

    def _key(self, obj: Any) -> int:
        return 0

    def __set__(self, obj: Any, value: Any) -> None:
        self._values()[0] = value


def install() -> None:
    """Make Powertools' event-handler and metrics invocation state per thread; idempotent.

    Objects made before this runs keep working: a descriptor wins over their instance attributes."""
    global _installed  # noqa: PLW0603 - one patch per process, like local.environ.install
    with _lock:
        if _installed:
            return
        from aws_lambda_powertools.event_handler import api_gateway

        base = api_gateway.BaseRouter

        class PerThreadClassAttributes(type(base)):  # type: ignore[misc]
            """Class-level writes (`BaseRouter.current_event = event`) go to the calling thread's value."""

            def __setattr__(cls, name: str, value: Any) -> None:
                descriptor = cls.__dict__.get(name)
                if isinstance(descriptor, _PerThreadClassAttribute):
                    descriptor.__set__(None, value)
                else:
                    super().__setattr__(name, value)

        for name in ("current_event", "lambda_context"):
            type.__setattr__(base, name, _PerThreadClassAttribute(name, lambda: None))
        base.__class__ = PerThreadClassAttributes  # type: ignore[method-assign]
        api_gateway.ApiGatewayResolver.context = _PerThread("context", dict)  # type: ignore[assignment]

        # Powertools Metrics: every Metrics instance shares one buffer, flushed at the end of each
        # invocation; a concurrent flush would publish (or lose) another invocation's metrics.
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

        for name in ("metric_set", "dimension_set", "metadata_set", "default_dimensions"):
            setattr(AmazonCloudWatchEMFProvider, name, _PerThread(name, dict))
        _installed = True
