"""The sweeper in memory: late shipments escalated once, phases that did not start started."""

from __future__ import annotations

from datetime import timedelta

from oms.clock import FrozenClock
from oms.ports import phases
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.steps import begin, load
from oms.services.sweep import sweep_due_orders
from oms.store.memory import MemoryStore
from tests.network import MORNING, body
from tests.services.flow import run_fulfil


def test_a_shipment_not_packed_by_its_sla_is_escalated_once(deps: Deps, store: MemoryStore) -> None:
    order = place_order(deps, body({"A": 1}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    deps.clock = FrozenClock(MORNING.now() + timedelta(days=2))

    first, again = sweep_due_orders(deps), sweep_due_orders(deps)

    assert (first["escalated"], again["escalated"]) == ([f"{order.order_id}/1"], [])
    assert load(deps, order.order_id).shipments[0].sla_missed


def test_a_phase_that_did_not_start_is_started_by_the_sweeper_and_leaves_the_order(deps: Deps) -> None:
    order = place_order(deps, body({"A": 1}), "sf-1", "k").order
    deps.phases.refuse = True  # type: ignore[attr-defined]
    begin(deps, order.order_id, phases.fulfil(order.order_id, "sf-1"))
    assert [p["name"] for p in load(deps, order.order_id).unstarted_phases] == [f"{order.order_id}-fulfil"]

    deps.phases.refuse = False  # type: ignore[attr-defined]
    assert sweep_due_orders(deps)["started"] == [f"{order.order_id}-fulfil"]

    assert load(deps, order.order_id).unstarted_phases == []
    assert sweep_due_orders(deps)["started"] == []
