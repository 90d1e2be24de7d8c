"""Checkout over the memory store: routing, reservation, the Idempotency-Key, holds and capacity."""

from __future__ import annotations

import pytest

from oms import bootstrap
from oms.clock import FrozenClock
from oms.domain.errors import Conflict, InsufficientStock, Unprocessable
from oms.domain.models import HoldRequest
from oms.ports.unit_of_work import CountShipment, Reservation
from oms.services import holds
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.routing_inputs import UnknownSku
from oms.store.memory import MemoryStore
from tests.network import AFTERNOON, body
from tests.services.conftest import before_next_commit


def reserved(store: MemoryStore, sku: str, location_id: str) -> int:
    return store.stock[(sku, location_id)].reserved


def test_checkout_ships_in_the_fewest_shipments_and_reserves_exactly_that(deps: Deps, store: MemoryStore) -> None:
    # The nearest-first greedy would take mnl (A, C) and then need ceb and dvo: three shipments.
    order = place_order(deps, body({"A": 1, "B": 1, "C": 1, "D": 1}), "sf-1", "key-1").order
    assert [(s.location_id, {ln.sku: ln.quantity for ln in s.lines}) for s in order.shipments] == [
        ("ceb", {"A": 1, "B": 1}),
        ("dvo", {"C": 1, "D": 1}),
    ]
    pairs = (("A", "ceb"), ("B", "ceb"), ("C", "dvo"), ("D", "dvo"))
    assert [reserved(store, sku, loc) for sku, loc in pairs] == [1] * 4
    assert [reserved(store, sku, "mnl") for sku in ("A", "C")] == [0, 0]
    assert order.totals.shipping == 9900  # standard is charged once, however many shipments
    assert store.commits == 1  # the order, its reservations and its key: one commit


def test_the_order_keeps_the_routing_explanation(deps: Deps) -> None:
    order = place_order(deps, body({"A": 1, "B": 1}), "sf-1", "key-2").order
    assert order.routing["engine"] == "branch-and-bound"
    assert order.routing["search"]["proven_optimal"] is True
    verdicts = {c["location_id"]: c["rejected"] for c in order.routing["candidates"]}
    assert verdicts == {"mnl": "holds only part of the order", "ceb": None, "dvo": "holds none of the ordered skus"}
    stored = deps.uow.orders.get(order.order_id, explained=True)
    assert stored is not None and stored.routing == order.routing


def test_made_to_order_goes_to_the_workshop_with_its_instructions_and_reserves_nothing_there(
    deps: Deps, store: MemoryStore
) -> None:
    order = place_order(deps, body({"SOFA": 1, "A": 1}), "sf-1", "key-3").order
    assert [(s.location_id, s.build_instructions) for s in order.shipments] == [("ceb", "Oak frame"), ("mnl", None)]
    assert reserved(store, "A", "mnl") == 1
    assert ("SOFA", "ceb") not in store.stock


def test_checkout_refuses_a_split_for_ship_complete_with_409(deps: Deps, store: MemoryStore) -> None:
    with pytest.raises(InsufficientStock) as caught:
        place_order(deps, body({"B": 1, "D": 1}, ship_complete=True), "sf-1", "key-4")
    assert (caught.value.status, caught.value.code) == (409, "ship_complete_unavailable")
    assert store.commits == 0 and not store.orders


def test_checkout_promises_each_shipment_once_it_passes_the_time(deps: Deps) -> None:
    order = place_order(deps, body({"A": 1}, service_level="same_day"), "sf-1", "key-5").order
    assert order.shipments[0].promised_by == "2026-03-02T13:00:00Z"  # 21:00 in Manila, same day


def test_checkout_refuses_a_service_level_it_cannot_promise_with_422(deps: Deps) -> None:
    deps.clock = AFTERNOON
    with pytest.raises(Unprocessable) as refused:
        place_order(deps, body({"A": 1}, service_level="same_day"), "sf-1", "key-6")
    assert (refused.value.status, refused.value.code) == (422, "service_level_unavailable")
    assert refused.value.extra["available_service_levels"] == ["express", "standard"]


def test_a_retried_checkout_answers_the_same_order_and_reserves_nothing_more(deps: Deps, store: MemoryStore) -> None:
    first = place_order(deps, body({"A": 2}), "sf-1", "same-key")
    again = place_order(deps, body({"A": 2}), "sf-1", "same-key")
    assert (first.created, again.created, again.order.order_id) == (True, False, first.order.order_id)
    assert reserved(store, "A", "mnl") == 2 and len(store.orders) == 1


def test_a_key_reused_with_another_body_is_refused_and_writes_nothing(deps: Deps, store: MemoryStore) -> None:
    place_order(deps, body({"A": 1}), "sf-1", "same-key")
    with pytest.raises(Unprocessable) as refused:
        place_order(deps, body({"A": 3}), "sf-1", "same-key")
    assert refused.value.code == "idempotency_key_reused"
    assert reserved(store, "A", "mnl") == 1 and len(store.orders) == 1


def test_a_retry_after_the_stock_ran_out_still_gets_its_order(deps: Deps, store: MemoryStore) -> None:
    place_order(deps, body({"B": 5}), "sf-1", "all-of-b")  # ceb's whole stock of B
    assert place_order(deps, body({"B": 5}), "sf-1", "all-of-b").created is False


def test_two_checkouts_for_the_last_units_sell_them_once(deps: Deps, store: MemoryStore) -> None:
    store.put_stock("B", "ceb", 1)
    # Another shopper's checkout lands between our read of the stock and our commit.
    before_next_commit(store, lambda: place_order(bootstrap.in_memory(store), body({"B": 1}), "sf-1", "rival"))
    with pytest.raises(InsufficientStock) as refused:
        place_order(deps, body({"B": 1}), "sf-1", "late")
    assert refused.value.extra["lines"] == [{"sku": "B", "requested": 1, "available": 0}]
    assert reserved(store, "B", "ceb") == 1 and len(store.orders) == 1


def test_a_refused_commit_names_the_stock_line_and_the_full_location_by_type(deps: Deps, store: MemoryStore) -> None:
    from oms.ports.unit_of_work import CommitRefused

    store.capacity[("mnl", "2026-03-02")] = 3
    deps.uow.add(Reservation("A", "mnl", 6), CountShipment("mnl", "2026-03-02", 3), Reservation("C", "mnl", 1))
    with pytest.raises(CommitRefused) as refused:
        deps.uow.commit()
    assert refused.value.of(Reservation) == [Reservation("A", "mnl", 6)]
    assert [c.location_id for c in refused.value.of(CountShipment)] == ["mnl"]
    assert reserved(store, "C", "mnl") == 0  # all or nothing


def test_a_location_at_its_daily_capacity_is_left_out_of_the_next_plan(deps: Deps, store: MemoryStore) -> None:
    store.locations["mnl"].capacity_per_day = 1
    store.capacity[("mnl", "2026-03-02")] = 1  # today's one shipment is taken
    order = place_order(deps, body({"A": 1}), "sf-1", "k").order
    assert [s.location_id for s in order.shipments] == ["ceb"]


def test_an_order_naming_its_hold_takes_the_held_units_and_converts_it(deps: Deps, store: MemoryStore) -> None:
    hold = holds.place_hold(deps, HoldRequest.model_validate({"lines": [{"sku": "B", "quantity": 5}]}), "sf-1")
    assert reserved(store, "B", "ceb") == 5
    order = place_order(deps, body({"B": 5}, hold_id=hold["hold_id"]), "sf-1", "k").order
    assert [s.location_id for s in order.shipments] == ["ceb"]
    assert reserved(store, "B", "ceb") == 5  # the hold's units, not five more
    assert store.holds[hold["hold_id"]]["status"] == "converted"


def test_an_expired_hold_is_refused_and_its_units_go_back_with_the_sweeper(deps: Deps, store: MemoryStore) -> None:
    hold = holds.place_hold(
        deps, HoldRequest.model_validate({"lines": [{"sku": "B", "quantity": 2}], "ttl_seconds": 60}), "sf-1"
    )
    deps.clock = FrozenClock(deps.clock.now().replace(hour=3))
    with pytest.raises(Conflict) as refused:
        place_order(deps, body({"B": 1}, hold_id=hold["hold_id"]), "sf-1", "k")
    assert refused.value.code == "hold_expired"
    assert holds.expire_due_holds(deps) == [hold["hold_id"]]
    assert reserved(store, "B", "ceb") == 0


def test_an_unknown_sku_is_a_typo_not_a_stock_out_and_writes_nothing(deps: Deps, store: MemoryStore) -> None:
    with pytest.raises(UnknownSku) as refused:
        place_order(deps, body({"A": 1, "TYPO-1": 1}), "sf-1", "typo")
    assert (refused.value.status, refused.value.code) == (422, "unknown_sku")
    assert refused.value.extra["lines"] == [{"sku": "TYPO-1"}] and store.commits == 0
    store.put_stock("SOLD-OUT", "mnl", 0)  # stocked once, none left: that is a stock-out
    with pytest.raises(InsufficientStock):
        place_order(deps, body({"SOLD-OUT": 1}), "sf-1", "gone")
