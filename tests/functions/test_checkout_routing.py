"""Routing end to end through the checkout, on moto: the plan reserves, ships and explains itself on the order.

(This runs the real checkout over moto's DynamoDB, so it belongs with tests/functions; it lives here
because the routing work may only add tests/unit/test_routing*.py. Move it when convenient.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oms.clock import FrozenClock
from oms.domain.errors import InsufficientStock, Unprocessable
from oms.services import checkout
from oms.store import inventory as inventory_store
from oms.store import orders as orders_store
from tests.functions.conftest import MORNING, body

AFTERNOON = FrozenClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # 15:00 in Manila


def reserved(sku: str, location_id: str) -> int:
    return inventory_store.get_levels([sku], [location_id])[(sku, location_id)].reserved


@pytest.mark.usefixtures("network")
def test_checkout_ships_in_the_fewest_shipments_and_reserves_exactly_that() -> None:
    # The nearest-first greedy would take mnl (A, C) and then need ceb and dvo: three shipments.
    order = checkout.place_order(body({"A": 1, "B": 1, "C": 1, "D": 1}), "sf-1", "key-1", clock=MORNING).order
    assert [(s.location_id, {ln.sku: ln.quantity for ln in s.lines}) for s in order.shipments] == [
        ("ceb", {"A": 1, "B": 1}),
        ("dvo", {"C": 1, "D": 1}),
    ]
    assert [reserved(sku, loc) for sku, loc in (("A", "ceb"), ("B", "ceb"), ("C", "dvo"), ("D", "dvo"))] == [1] * 4
    assert [reserved(sku, "mnl") for sku in ("A", "C")] == [0, 0]
    assert order.totals.shipping == 9900  # standard is charged once, however many shipments


@pytest.mark.usefixtures("network")
def test_the_order_keeps_the_routing_explanation() -> None:
    order = checkout.place_order(body({"A": 1, "B": 1}), "sf-1", "key-2", clock=MORNING).order
    assert order.routing["engine"] == "branch-and-bound"
    assert order.routing["search"]["proven_optimal"] is True
    verdicts = {c["location_id"]: c["rejected"] for c in order.routing["candidates"]}
    assert verdicts == {"mnl": "holds only part of the order", "ceb": None, "dvo": "holds none of the ordered skus"}
    stored = orders_store.get_order(order.order_id, explained=True)
    assert stored is not None
    assert {k: stored.routing[k] for k in ("engine", "cost", "search")} == {
        k: order.routing[k] for k in ("engine", "cost", "search")
    }
    assert [(c["location_id"], c["chosen"], c.get("rejected")) for c in stored.routing["candidates"]] == [
        (c["location_id"], c["chosen"], c["rejected"]) for c in order.routing["candidates"]
    ]


@pytest.mark.usefixtures("network")
def test_made_to_order_goes_to_the_workshop_with_its_instructions_and_reserves_nothing_there() -> None:
    order = checkout.place_order(body({"SOFA": 1, "A": 1}), "sf-1", "key-3", clock=MORNING).order
    assert [(s.location_id, s.build_instructions) for s in order.shipments] == [("ceb", "Oak frame"), ("mnl", None)]
    assert reserved("A", "mnl") == 1


@pytest.mark.usefixtures("network")
def test_checkout_refuses_a_split_for_ship_complete_with_409() -> None:
    with pytest.raises(InsufficientStock) as caught:
        checkout.place_order(body({"B": 1, "D": 1}, ship_complete=True), "sf-1", "key-4", clock=MORNING)
    assert (caught.value.status, caught.value.code) == (409, "ship_complete_unavailable")


@pytest.mark.usefixtures("network")
def test_checkout_promises_each_shipment_once_it_passes_the_time() -> None:
    order = checkout.place_order(body({"A": 1}, service_level="same_day"), "sf-1", "key-5", clock=MORNING).order
    assert order.shipments[0].promised_by == "2026-03-02T13:00:00Z"  # 21:00 in Manila, same day


@pytest.mark.usefixtures("network")
def test_checkout_refuses_a_service_level_it_cannot_promise_with_422() -> None:
    with pytest.raises(Unprocessable) as refused:
        checkout.place_order(body({"A": 1}, service_level="same_day"), "sf-1", "key-6", clock=AFTERNOON)
    assert (refused.value.status, refused.value.code) == (422, "service_level_unavailable")
    assert refused.value.extra["available_service_levels"] == ["express", "standard"]
