"""A lifecycle step racing another (a cancel, a re-route) while it calls partners: nothing leaks.

Each test makes the race happen at a chosen moment: a spy around one partner call runs the rival step
right after the partner answered and before the step saves what it got.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from oms.domain import lifecycle
from oms.services import checkout, fulfilment
from oms.store import inventory as inventory_store
from tests.functions.conftest import MORNING, body

pytestmark = pytest.mark.usefixtures("network")  # mnl and ceb hold 5 of A each


def place(key: str = "k1") -> str:
    return checkout.place_order(body({"A": 2}), "sf-1", key, clock=MORNING).order.order_id


def reserved(location_id: str) -> int:
    return inventory_store.get_levels(["A"], [location_id])[("A", location_id)].reserved


class Spy:
    """One port of the order's gateways: records each call, runs `after[call]` once after it answered."""

    def __init__(self, after: dict[str, Callable[[], Any]]) -> None:
        self.after, self.calls, self.inner = after, [], None

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(request: Any) -> Any:
            self.calls.append(name)
            answer = method(request)
            hook = self.after.pop(name, None)
            if hook:
                hook()
            return answer

        return call


def spy(monkeypatch: pytest.MonkeyPatch, **after: dict[str, Callable[[], Any]]) -> dict[str, Spy]:
    real, spies = fulfilment.gateways, {port: Spy(hooks) for port, hooks in after.items()}

    def gateways(order: Any) -> Any:
        found = real(order)
        for port, watcher in spies.items():
            watcher.inner = getattr(found, port)
            object.__setattr__(found, port, watcher)
        return found

    monkeypatch.setattr(fulfilment, "gateways", gateways)
    return spies


def to_released(order_id: str) -> str:
    fulfilment.screen_and_authorize(order_id, MORNING)
    shipment_id = fulfilment.load(order_id).shipments[0].shipment_id
    fulfilment.book_and_release(order_id, shipment_id, MORNING)
    return shipment_id


def test_a_cancel_while_the_shipment_is_booked_and_released_cancels_the_booking_and_recalls_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = place()
    fulfilment.screen_and_authorize(order_id, MORNING)
    shipment = fulfilment.load(order_id).shipments[0]
    cancel = {"release": lambda: fulfilment.close(order_id, "cancelled", "by the storefront", MORNING)}
    spies = spy(monkeypatch, carrier={}, location=cancel)

    with pytest.raises(lifecycle.OrderClosed):
        fulfilment.book_and_release(order_id, shipment.shipment_id, MORNING)

    assert (spies["carrier"].calls, spies["location"].calls) == (["book", "cancel"], ["release", "recall"])
    order = fulfilment.load(order_id)
    assert (order.status, order.payment.status) == ("cancelled", "voided")
    assert reserved(shipment.location_id) == 0


def test_a_reroute_while_the_shipment_is_booked_and_released_leaves_it_allocated_at_its_new_location(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = place()
    fulfilment.screen_and_authorize(order_id, MORNING)
    before = fulfilment.load(order_id).shipments[0]

    def reject() -> None:
        fulfilment.reroute(order_id, before.shipment_id, before.location_id, "out of stock", "wh:rej-1", MORNING)

    spies = spy(monkeypatch, carrier={}, location={"release": reject})

    assert fulfilment.book_and_release(order_id, before.shipment_id, MORNING) == {"released": "moved"}

    after = fulfilment.load(order_id).shipments[0]
    assert after.location_id != before.location_id
    assert (after.status, after.booking_id, after.release_id, after.pack_by) == ("allocated", None, None, None)
    assert (spies["carrier"].calls, spies["location"].calls) == (["book", "cancel"], ["release", "recall"])
    assert (reserved(before.location_id), reserved(after.location_id)) == (0, 2)


def test_a_close_undoes_a_booking_saved_after_it_first_read_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = place()
    fulfilment.screen_and_authorize(order_id, MORNING)
    shipment_id = fulfilment.load(order_id).shipments[0].shipment_id
    spies = spy(monkeypatch, carrier={}, location={})
    real_undo, raced = fulfilment._undo_partners, []

    def undo(order: Any, shipments: Any) -> None:
        real_undo(order, shipments)
        if not raced:  # a BookAndRelease saves between the close's first read and its save
            raced.append(fulfilment.book_and_release(order_id, shipment_id, MORNING))

    monkeypatch.setattr(fulfilment, "_undo_partners", undo)

    assert fulfilment.close(order_id, "cancelled", "by the storefront", MORNING).status == "cancelled"
    assert (spies["carrier"].calls, spies["location"].calls) == (["book", "cancel"], ["release", "recall"])


def test_an_order_cannot_be_cancelled_once_a_shipment_is_packed_and_its_ship_phase_runs() -> None:
    order_id = place()
    shipment_id = to_released(order_id)
    fulfilment.packed(order_id, shipment_id, "wh:packed-1", MORNING)

    with pytest.raises(lifecycle.NotCancellable):
        fulfilment.close(order_id, "cancelled", "by the storefront", MORNING)

    assert fulfilment.load(order_id).status == "processing"


def test_an_order_whose_capture_failed_may_still_be_cancelled_and_gets_everything_back() -> None:
    order_id = place()
    shipment_id = to_released(order_id)
    fulfilment.packed(order_id, shipment_id, "wh:packed-1", MORNING)
    fulfilment.hold_shipment(order_id, shipment_id, {"Error": "CaptureDeclined", "Cause": "card expired"}, MORNING)

    order = fulfilment.close(order_id, "cancelled", "by the storefront", MORNING)

    assert (order.status, order.payment.status, order.payment.captured) == ("cancelled", "voided", 0)
    assert reserved(order.shipments[0].location_id) == 0


def test_a_capture_the_closed_order_can_no_longer_take_is_refunded_and_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = place()
    shipment_id = to_released(order_id)
    fulfilment.packed(order_id, shipment_id, "wh:packed-1", MORNING)
    # Rejected (not cancelled: that is refused now) while the payment was being captured.
    reject = {"capture": lambda: fulfilment.close(order_id, "rejected", "chargeback risk", MORNING)}
    spies = spy(monkeypatch, payment=reject)

    with pytest.raises(lifecycle.OrderClosed):
        fulfilment.capture_and_ship(order_id, shipment_id, MORNING)

    assert spies["payment"].calls == ["capture", "void", "refund"]
    order = fulfilment.load(order_id)
    refunds = [e.detail for e in order.timeline if e.type == "payment.capture_refunded"]
    assert order.status == "rejected" and [r["amount"] for r in refunds] == [order.shipments[0].value]


def test_a_rejection_for_a_packed_shipment_is_stale_and_undoes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = place()
    shipment_id = to_released(order_id)
    fulfilment.packed(order_id, shipment_id, "wh:packed-1", MORNING)
    location = fulfilment.load(order_id).shipments[0].location_id
    spies = spy(monkeypatch, carrier={}, location={})

    assert fulfilment.reroute(order_id, shipment_id, location, "damaged", "wh:rej-1", MORNING) == "stale: packed"
    assert (spies["carrier"].calls, spies["location"].calls) == ([], [])


def test_a_hand_over_failing_after_payment_is_not_a_capture_failure_and_is_tried_once_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = place()
    shipment_id = to_released(order_id)
    fulfilment.packed(order_id, shipment_id, "wh:packed-1", MORNING)
    monkeypatch.setattr(fulfilment.inventory_store, "ship_units", failing_write)
    with pytest.raises(RuntimeError):
        fulfilment.capture_and_ship(order_id, shipment_id, MORNING)
    error = {"Error": "RuntimeError", "Cause": "the stock write failed"}

    fulfilment.hold_shipment(order_id, shipment_id, error, MORNING)
    fulfilment.hold_shipment(order_id, shipment_id, error, MORNING)  # the retry failing the same way

    order = fulfilment.load(order_id)
    shipment = order.shipments[0]
    assert shipment.capture_id and shipment.issue == "shipping failed after payment: the stock write failed"
    assert order.payment.failure is None
    # (No state machine here: the first ship phase is kept unstarted too.)
    assert [p["name"] for p in order.unstarted_phases].count(f"{order_id}-ship-{shipment_id}-retry") == 1
    assert [e.type for e in order.timeline].count("shipment.ship_failed") == 1


def failing_write(*args: Any) -> Any:
    raise RuntimeError("the stock write failed")
