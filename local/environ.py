"""Gives each in-process Lambda invocation its own environment variables, as separate Lambdas would have.

`os.environ` is replaced by a mapping that overlays the environment of the function running in the
current thread (a context variable) on the process environment.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

_overlay: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("oms_env", default=None)


class ScopedEnviron(MutableMapping[str, str]):
    def __init__(self, base: MutableMapping[str, str]) -> None:
        self._base = base

    def _view(self) -> Mapping[str, str]:
        overlay = _overlay.get()
        return {**self._base, **overlay} if overlay else self._base

    def __getitem__(self, key: str) -> str:
        overlay = _overlay.get()
        if overlay is not None and key in overlay:
            return overlay[key]
        return self._base[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._base[key] = value

    def __delitem__(self, key: str) -> None:
        del self._base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._view()))

    def __len__(self) -> int:
        return len(self._view())

    def copy(self) -> dict[str, str]:
        return dict(self._view())

    def __getattr__(self, name: str) -> Any:  # encodekey and friends of os._Environ
        return getattr(self._base, name)


def install() -> None:
    """Replace os.environ once; idempotent."""
    if not isinstance(os.environ, ScopedEnviron):
        os.environ = ScopedEnviron(os.environ)  # type: ignore[assignment]  # noqa: B003 - wraps, keeps every value


@contextlib.contextmanager
def scoped(variables: Mapping[str, str]) -> Iterator[None]:
    """Run the block with `variables` overlaid on the process environment (this thread only)."""
    install()
    token = _overlay.set(variables)
    try:
        yield
    finally:
        _overlay.reset(token)
