"""Service tests: the use cases over the memory store and the sandbox adapters. No moto, no AWS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest

from oms import bootstrap
from oms.ports.partners import Gateways
from oms.ports.unit_of_work import Write
from oms.services.deps import Deps
from oms.store.memory import MemoryStore, Moment
from tests.network import MORNING, SOFA, network_locations, network_stock


@pytest.fixture
def store() -> MemoryStore:
    """The Manila network (tests.network) in memory."""
    memory = MemoryStore()
    memory.locations = {loc.location_id: loc for loc in network_locations()}
    for (sku, location_id), units in network_stock().items():
        memory.put_stock(sku, location_id, units)
    memory.products = {SOFA.sku: SOFA}
    memory.storefronts = {"sf-1": {}}
    return memory


@pytest.fixture
def deps(store: MemoryStore) -> Deps:
    return bootstrap.in_memory(store, MORNING)


def before_next_commit(store: MemoryStore, rival: Callable[[], object]) -> list[object]:
    """Run `rival` (a racing step, with its own commits) once, just before the next commit lands; the
    returned list gets what it answered."""
    answers: list[object] = []

    def race(writes: Sequence[Write], moment: Moment) -> None:
        if moment == "before" and store.intercept is race:
            store.intercept = None  # the rival's own commits pass straight through
            answers.append(rival())

    store.intercept = race
    return answers


class Spy:
    """One port of a storefront's partners: records each call, runs `after[call]` once after it answered."""

    def __init__(self, after: dict[str, Callable[[], Any]]) -> None:
        self.after, self.calls, self.inner = after, [], None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy and pickle look for hooks on an instance not yet filled in
            raise AttributeError(name)
        method = getattr(self.inner, name)

        def call(request: Any) -> Any:
            self.calls.append(name)
            answer = method(request)
            hook = self.after.pop(name, None)
            if hook:
                hook()
            return answer

        return call


def spy(deps: Deps, **after: dict[str, Callable[[], Any]]) -> dict[str, Spy]:
    """Watch these ports of every storefront's partners; `after` runs a rival step after a named call."""
    real, spies = deps.partners, {port: Spy(hooks) for port, hooks in after.items()}

    def partners(storefront_id: str) -> Gateways:
        found = real(storefront_id)
        for port, watcher in spies.items():
            watcher.inner = getattr(found, port)
        return replace(found, **spies)

    deps.partners = partners
    return spies
