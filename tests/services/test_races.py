"""A lifecycle step racing another (a cancel, a re-route, a redelivery) while it calls partners or commits:
nothing leaks. Each test makes the race happen at a chosen moment, in memory."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from oms.clock import FrozenClock
from oms.domain import lifecycle
from oms.ports.unit_of_work import ShipUnits
from oms.services import fulfil, partner_events, ship
from oms.services.checkout import place_order
from oms.services.compensate import close
from oms.services.deps import Deps
from oms.services.reroute import reroute
from oms.services.steps import load
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.conftest import before_next_commit, spy
from tests.services.events import WAREHOUSE, packed


def place(deps: Deps, key: str = "k1") -> str:
    return place_order(deps, body({"A": 2}), "sf-1", key).order.order_id


def reserved(store: MemoryStore, location_id: str) -> int:
    return store.stock[("A", location_id)].reserved


def to_released(deps: Deps, order_id: str) -> str:
    fulfil.screen_and_authorize(deps, order_id)
    shipment_id = load(deps, order_id).shipments[0].shipment_id
    fulfil.book_and_release(deps, order_id, shipment_id)
    return shipment_id


def test_a_cancel_while_the_shipment_is_booked_and_released_cancels_the_booking_and_recalls_it(
    deps: Deps, store: MemoryStore
) -> None:
    order_id = place(deps)
    fulfil.screen_and_authorize(deps, order_id)
    shipment = load(deps, order_id).shipments[0]
    cancel = {"release": lambda: close(deps, order_id, "cancelled", "by the storefront")}
    spies = spy(deps, carrier={}, location=cancel)

    with pytest.raises(lifecycle.OrderClosed):
        fulfil.book_and_release(deps, order_id, shipment.shipment_id)

    assert (spies["carrier"].calls, spies["location"].calls) == (["book", "cancel"], ["release", "recall"])
    order = load(deps, order_id)
    assert (order.status, order.payment.status) == ("cancelled", "voided")
    assert reserved(store, shipment.location_id) == 0


def test_a_reroute_while_the_shipment_is_booked_and_released_leaves_it_allocated_at_its_new_location(
    deps: Deps, store: MemoryStore
) -> None:
    order_id = place(deps)
    fulfil.screen_and_authorize(deps, order_id)
    before = load(deps, order_id).shipments[0]
    reject = {"release": lambda: reroute(deps, order_id, "1", before.location_id, "out of stock", "wh:rej-1")}
    spies = spy(deps, carrier={}, location=reject)

    assert fulfil.book_and_release(deps, order_id, before.shipment_id) == {"released": "moved"}

    after = load(deps, order_id).shipments[0]
    assert after.location_id != before.location_id
    assert (after.status, after.booking_id, after.release_id, after.pack_by) == ("allocated", None, None, None)
    assert (spies["carrier"].calls, spies["location"].calls) == (["book", "cancel"], ["release", "recall"])
    assert (reserved(store, before.location_id), reserved(store, after.location_id)) == (0, 2)


def test_a_close_undoes_a_booking_saved_after_it_first_read_the_order(deps: Deps, store: MemoryStore) -> None:
    order_id = place(deps)
    fulfil.screen_and_authorize(deps, order_id)
    spies = spy(deps, carrier={}, location={})
    # A BookAndRelease saves between the close's first read and its commit.
    before_next_commit(store, lambda: fulfil.book_and_release(deps, order_id, "1"))

    assert close(deps, order_id, "cancelled", "by the storefront").status == "cancelled"
    assert (spies["carrier"].calls, spies["location"].calls) == (["book", "cancel"], ["release", "recall"])
    assert reserved(store, "mnl") == 0


def test_an_order_cannot_be_cancelled_once_a_shipment_is_packed_and_its_ship_phase_runs(deps: Deps) -> None:
    order_id = place(deps)
    shipment_id = to_released(deps, order_id)
    partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment_id))

    with pytest.raises(lifecycle.NotCancellable):
        close(deps, order_id, "cancelled", "by the storefront")

    assert load(deps, order_id).status == "processing"


def test_an_order_whose_capture_failed_may_still_be_cancelled_and_gets_everything_back(
    deps: Deps, store: MemoryStore
) -> None:
    order_id = place_order(deps, body({"A": 2}, payment={"method": "card", "token": "tok_capture_fail"}), "sf-1", "k")
    order_id = order_id.order.order_id
    shipment_id = to_released(deps, order_id)
    partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment_id))
    ship.hold_shipment(deps, order_id, shipment_id, {"Error": "CaptureFailed", "Cause": "card expired"})

    order = close(deps, order_id, "cancelled", "by the storefront")

    assert (order.status, order.payment.status, order.payment.captured) == ("cancelled", "voided", 0)
    assert reserved(store, order.shipments[0].location_id) == 0


def test_a_capture_the_closed_order_can_no_longer_take_is_refunded_and_recorded(deps: Deps) -> None:
    order_id = place(deps)
    shipment_id = to_released(deps, order_id)
    partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment_id))
    # Rejected (not cancelled: that is refused now) while the payment was being captured.
    spies = spy(deps, payment={"capture": lambda: close(deps, order_id, "rejected", "chargeback risk")})

    with pytest.raises(lifecycle.OrderClosed):
        ship.capture_and_ship(deps, order_id, shipment_id)

    assert spies["payment"].calls == ["capture", "void", "refund"]
    order = load(deps, order_id)
    refunds = [e.detail for e in order.timeline if e.type == "payment.capture_refunded"]
    assert order.status == "rejected" and [r["amount"] for r in refunds] == [order.shipments[0].value]


def test_a_cancel_landing_while_capture_and_ship_commits_is_refused_and_the_goods_ship(
    deps: Deps, store: MemoryStore
) -> None:
    order_id = place(deps)
    shipment_id = to_released(deps, order_id)
    partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment_id))
    cancels = before_next_commit(store, lambda: _try_cancel(deps, order_id))

    assert ship.capture_and_ship(deps, order_id, shipment_id)["shipped"] == shipment_id

    assert cancels == ["not_cancellable"]
    order = load(deps, order_id)
    assert (order.status, order.payment.captured) == ("shipped", order.totals.total)
    assert store.stock[("A", "mnl")].on_hand == 3 and reserved(store, "mnl") == 0


def _try_cancel(deps: Deps, order_id: str) -> str:
    try:
        close(deps, order_id, "cancelled", "by the storefront")
    except lifecycle.NotCancellable as refused:
        return refused.code
    return "cancelled"


def test_a_rejection_for_a_packed_shipment_is_stale_and_undoes_nothing(deps: Deps) -> None:
    order_id = place(deps)
    shipment_id = to_released(deps, order_id)
    partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment_id))
    location = load(deps, order_id).shipments[0].location_id
    spies = spy(deps, carrier={}, location={})

    assert reroute(deps, order_id, shipment_id, location, "damaged", "wh:rej-1") == "stale: packed"
    assert (spies["carrier"].calls, spies["location"].calls) == ([], [])


def test_a_redelivered_packed_event_starts_no_second_ship_phase(deps: Deps) -> None:
    order_id = place(deps)
    shipment_id = to_released(deps, order_id)
    event = packed(order_id, shipment_id)

    outcomes = [partner_events.apply(deps, WAREHOUSE, event) for _ in range(3)]

    assert outcomes == ["packed", "duplicate", "duplicate"]
    assert list(deps.phases.started) == [f"{order_id}-ship-{shipment_id}"]  # type: ignore[attr-defined]


def test_a_hand_over_failing_after_payment_is_not_a_capture_failure_and_is_tried_once_more(
    deps: Deps, store: MemoryStore
) -> None:
    order_id = place(deps)
    shipment_id = to_released(deps, order_id)
    partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment_id))

    def fail_the_stock_write(writes: Any, moment: str) -> None:
        if moment == "before" and any(isinstance(w, ShipUnits) for w in writes):
            raise RuntimeError("the stock write failed")

    store.intercept = fail_the_stock_write
    with pytest.raises(RuntimeError):
        ship.capture_and_ship(deps, order_id, shipment_id)
    store.intercept = None
    error = {"Error": "RuntimeError", "Cause": "the stock write failed"}

    ship.hold_shipment(deps, order_id, shipment_id, error)
    ship.hold_shipment(deps, order_id, shipment_id, error)  # the retry failing the same way

    order = load(deps, order_id)
    shipment = order.shipments[0]
    assert shipment.capture_id and shipment.issue == "shipping failed after payment: the stock write failed"
    assert order.payment.failure is None
    assert [p["name"] for p in order.unstarted_phases] == [f"{order_id}-ship-{shipment_id}-retry"]
    assert [e.type for e in order.timeline].count("shipment.ship_failed") == 1


def test_a_capture_whose_answer_was_lost_is_found_again_and_the_shipment_held_as_paid(
    deps: Deps, store: MemoryStore
) -> None:
    order_id = place(deps)
    shipment_id = to_released(deps, order_id)
    partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment_id))

    def lose_the_commit(writes: Any, moment: str) -> None:
        if moment == "before":
            raise TimeoutError("DynamoDB did not answer")

    store.intercept = lose_the_commit  # the provider captures; the order never hears of it
    with pytest.raises(TimeoutError):
        ship.capture_and_ship(deps, order_id, shipment_id)
    store.intercept = None

    ship.hold_shipment(deps, order_id, shipment_id, {"Error": "TimeoutError", "Cause": "DynamoDB did not answer"})

    order = load(deps, order_id)
    assert order.shipments[0].capture_id and order.payment.captured == order.shipments[0].value
    assert order.payment.failure is None  # paid: held for the hand-over, retried by the sweeper
    assert [p["name"] for p in order.unstarted_phases] == [f"{order_id}-ship-{shipment_id}-retry"]


def test_a_packed_event_whose_worker_died_before_the_ship_phase_started_starts_it_when_redelivered(
    deps: Deps, store: MemoryStore
) -> None:
    order_id = place(deps)
    shipment_id = to_released(deps, order_id)
    event = packed(order_id, shipment_id)

    def die_after_the_commit(writes: Any, moment: str) -> None:
        if moment == "after":
            store.intercept = None
            raise TimeoutError("the worker's Lambda timed out")

    store.intercept = die_after_the_commit
    with pytest.raises(TimeoutError):
        partner_events.apply(deps, WAREHOUSE, event)
    assert deps.phases.started == {}  # type: ignore[attr-defined]

    assert partner_events.apply(deps, WAREHOUSE, event) == "duplicate"  # a partner's prompt re-send: too early
    assert deps.phases.started == {}  # type: ignore[attr-defined]
    deps.clock = FrozenClock(deps.clock.now() + timedelta(minutes=3))  # SQS: after the visibility timeout
    assert partner_events.apply(deps, WAREHOUSE, event) == "duplicate"
    assert list(deps.phases.started) == [f"{order_id}-ship-{shipment_id}"]  # type: ignore[attr-defined]
