"""The order lifecycle as plain transitions: each checks the order may move, moves it, and says what happened.

Every transition is safe to apply twice (the second time changes nothing and returns no entries), so
at-least-once workflow tasks and duplicate partner events cannot move an order twice. An event that
arrives before the order can take it (a carrier's "delivered" before our ship phase marked the shipment
shipped) raises `NotYet`: its caller retries later instead of losing it.
"""

from __future__ import annotations

from typing import Any

from oms.domain.change import Change
from oms.domain.errors import Conflict, NotFound
from oms.domain.orders import Order, Shipment

CLOSED = frozenset({"cancelled", "rejected"})
DEAD_SHIPMENT = frozenset({"cancelled", "rejected"})
GONE = frozenset({"shipped", "delivered"})  # the goods left: nothing can call them back
_RANK = {"allocated": 0, "booked": 1, "released": 2, "packed": 3, "shipped": 4, "delivered": 5}


class NotYet(Exception):
    """The order cannot take this event yet; retry it later (it is not lost, and not applied twice)."""


class NotCancellable(Conflict):
    code, title = "not_cancellable", "Not cancellable"


class NotOnHold(Conflict):
    code, title = "not_on_hold", "Not on hold"


def shipment_of(order: Order, shipment_id: str) -> Shipment:
    for shipment in order.shipments:
        if shipment.shipment_id == shipment_id:
            return shipment
    raise NotFound(f"order {order.order_id} has no shipment {shipment_id}", code="shipment_not_found")


def live(order: Order) -> list[Shipment]:
    return [s for s in order.shipments if s.status not in DEAD_SHIPMENT]


def screened(order: Order) -> bool:
    """Whether the fraud screen (or a review) approved the order: from then on it may be authorized."""
    return any(e.type in ("fraud.approved", "review.approved") for e in order.timeline)


def _derive_status(order: Order) -> None:
    if order.status in CLOSED or order.status == "on_hold":
        return
    shipments = live(order)
    ranks = [_RANK[s.status] for s in shipments]
    if not ranks:
        return
    if min(ranks) == _RANK["delivered"]:
        order.status = "delivered"
    elif min(ranks) >= _RANK["shipped"]:
        order.status = "shipped"
    elif max(ranks) >= _RANK["shipped"]:
        order.status = "partially_shipped"
    elif min(ranks) >= _RANK["released"]:
        order.status = "processing"
    captured = sum(s.captured for s in shipments)
    if captured and all(s.captured >= s.value for s in shipments):
        order.payment.status = "captured"
    elif captured:
        order.payment.status = "partially_captured"


def _open(order: Order, action: str) -> None:
    if order.status in CLOSED:
        raise OrderClosed(f"order {order.order_id} is {order.status}; cannot {action}")


class OrderClosed(Conflict):
    """The order was cancelled or rejected meanwhile: the step stops, nothing to undo here."""

    code, title = "order_closed", "Order closed"


# -- fulfil phase -----------------------------------------------------------------------------------


def hold_for_review(order: Order, reasons: list[str], at: str) -> Change:
    change = Change()
    if order.status == "on_hold":
        return change
    _open(order, "hold it for review")
    order.status = "on_hold"
    order.reason = "fraud review: " + "; ".join(reasons)
    change.note(at, "order.on_hold", publish=True, order_id=order.order_id, reasons=reasons)
    return change


def approve_review(order: Order, at: str, by: str) -> Change:
    if order.status != "on_hold":
        raise NotOnHold(f"order {order.order_id} is {order.status}, not on hold for review")
    order.status, order.reason = "accepted", None
    change = Change()
    change.note(at, "review.approved", by=by)
    return change


def authorized(order: Order, authorization_id: str, amount: int, at: str) -> Change:
    change = Change()
    if order.payment.authorization_id == authorization_id:
        return change
    _open(order, "authorize payment")
    order.payment.status, order.payment.authorized = "authorized", amount
    order.payment.authorization_id, order.payment.failure = authorization_id, None
    change.note(at, "payment.authorized", amount=amount, method=order.payment.method)
    return change


def authorization_recovered(order: Order, authorization_id: str, amount: int, at: str) -> Change:
    """An authorization whose answer was lost, found again (with its key) when the order closes: it is
    recorded, closed or not, so that it can be voided."""
    change = Change()
    if order.payment.authorization_id:
        return change
    order.payment.status, order.payment.authorized, order.payment.authorization_id = (
        "authorized",
        amount,
        authorization_id,
    )
    change.note(at, "payment.authorization_recovered", amount=amount)
    return change


def booked(
    order: Order, shipment_id: str, carrier: str, tracking_number: str, label_ref: str, booking_id: str, at: str
) -> Change:
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if shipment.booking_id == booking_id:
        return change
    _open(order, "book a carrier")
    shipment.carrier, shipment.tracking_number, shipment.label_ref = carrier, tracking_number, label_ref
    shipment.booking_id, shipment.status = booking_id, "booked"
    change.note(at, "shipment.booked", shipment_id=shipment_id, carrier=carrier, tracking_number=tracking_number)
    return change


def released(order: Order, shipment_id: str, at: str) -> Change:
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if _RANK.get(shipment.status, -1) >= _RANK["released"]:
        return change
    _open(order, "release a shipment")
    shipment.status, shipment.released_at = "released", at
    before = order.status
    _derive_status(order)
    change.note(at, "shipment.released", shipment_id=shipment_id, location_id=shipment.location_id)
    if order.status != before:
        change.note(at, f"order.{order.status}", publish=True, order_id=order.order_id)
    return change


# -- partner events and ship phase ---------------------------------------------------------------


def built(order: Order, shipment_id: str, at: str) -> Change:
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if shipment.built_at:
        return change
    shipment.built_at = at
    change.note(at, "build.completed", shipment_id=shipment_id, location_id=shipment.location_id)
    return change


def packed(order: Order, shipment_id: str, at: str) -> Change:
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if _RANK.get(shipment.status, -1) >= _RANK["packed"] or shipment.status in DEAD_SHIPMENT:
        return change
    _open(order, "pack a shipment")
    if shipment.status != "released":
        raise NotYet(f"shipment {shipment_id} is {shipment.status}; it is packed only after its release")
    if shipment.made_to_order and not shipment.built_at:
        raise NotYet(f"shipment {shipment_id} is made to order; it is packed only after build.completed")
    shipment.status, shipment.packed_at, shipment.issue = "packed", at, None
    change.note(at, "shipment.packed", shipment_id=shipment_id)
    return change


def captured(order: Order, shipment_id: str, capture_id: str, amount: int, at: str) -> Change:
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if shipment.capture_id == capture_id:
        return change
    if order.payment.captured + amount > order.payment.authorized:
        raise Conflict(f"capturing {amount} would exceed the authorization", code="capture_exceeds_authorization")
    shipment.capture_id, shipment.captured, shipment.issue = capture_id, amount, None
    order.payment.captured += amount
    order.payment.failure = None
    _derive_status(order)
    change.note(at, "payment.captured", shipment_id=shipment_id, amount=amount)
    return change


def capture_failed(order: Order, shipment_id: str, reason: str, at: str) -> Change:
    """The shipment stays packed with its stock; the order says why it is not shipping."""
    change = Change()
    shipment = shipment_of(order, shipment_id)
    issue = f"payment capture failed: {reason}"
    if shipment.issue == issue:
        return change
    shipment.issue = issue
    order.payment.failure = reason
    change.note(at, "payment.capture_failed", publish=True, shipment_id=shipment_id, reason=reason)
    return change


def ship_failed(order: Order, shipment_id: str, reason: str, at: str) -> Change:
    """Paid for, but the hand-over could not be recorded: the shipment waits, paid, and says why."""
    change = Change()
    shipment = shipment_of(order, shipment_id)
    issue = f"shipping failed after payment: {reason}"
    if shipment.issue == issue or shipment.status in GONE:
        return change
    shipment.issue = issue
    change.note(at, "shipment.ship_failed", publish=True, shipment_id=shipment_id, reason=reason)
    return change


def shipped(order: Order, shipment_id: str, at: str) -> Change:
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if shipment.status in GONE:
        return change
    if shipment.status != "packed" or (shipment.captured < shipment.value and order.payment.method != "cod"):
        raise NotYet(f"shipment {shipment_id} ships once packed and paid (cash on delivery: paid at the door)")
    shipment.status, shipment.shipped_at = "shipped", at
    _derive_status(order)
    change.note(
        at,
        "shipment.shipped",
        publish=True,
        order_id=order.order_id,
        shipment_id=shipment_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
    )
    return change


def delivered(order: Order, shipment_id: str, at: str) -> Change:
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if shipment.status == "delivered" or shipment.status in DEAD_SHIPMENT:
        return change
    if shipment.status != "shipped":
        raise NotYet(f"shipment {shipment_id} is {shipment.status}; it is delivered only after it shipped")
    shipment.status, shipment.delivered_at = "delivered", at
    before = order.status
    _derive_status(order)
    change.note(at, "shipment.delivered", publish=True, order_id=order.order_id, shipment_id=shipment_id)
    if order.status == "delivered" and before != "delivered":
        change.note(at, "order.delivered", publish=True, order_id=order.order_id)
    return change


def carrier_exception(order: Order, shipment_id: str, detail: str, at: str) -> Change:
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if shipment.issue == detail:
        return change
    shipment.issue = detail
    change.note(at, "shipment.exception", publish=True, order_id=order.order_id, shipment_id=shipment_id, detail=detail)
    return change


def rerouted(
    order: Order, shipment_id: str, location_id: str, reason: str, at: str, promised_by: str | None = None
) -> Change:
    """A location refused the pick: the shipment starts again, allocated at another location, with the
    promise that location can keep (None: the new plan made none, the old one no longer holds)."""
    change = Change()
    shipment = shipment_of(order, shipment_id)
    _open(order, "re-route a shipment")
    if shipment.status in GONE or shipment.status == "packed":
        raise Conflict(f"shipment {shipment_id} is {shipment.status}", code="shipment_not_reroutable")
    old = shipment.location_id
    shipment.location_id, shipment.status = location_id, "allocated"
    shipment.carrier = shipment.tracking_number = shipment.label_ref = shipment.booking_id = None
    shipment.released_at = shipment.release_id = shipment.pack_by = None
    shipment.sla_missed = False
    shipment.promised_by = promised_by
    change.note(
        at,
        "shipment.rerouted",
        shipment_id=shipment_id,
        from_location=old,
        to_location=location_id,
        reason=reason,
        promised_by=promised_by,
    )
    return change


def drop_shipment(order: Order, shipment_id: str, reason: str, at: str) -> Change:
    """No location can ship these lines: they are cancelled; the order is cancelled if nothing is left."""
    change = Change()
    shipment = shipment_of(order, shipment_id)
    if shipment.status in DEAD_SHIPMENT:
        return change
    if shipment.status in GONE:
        raise Conflict(f"shipment {shipment_id} already left", code="shipment_not_cancellable")
    shipment.status, shipment.issue = "cancelled", reason
    change.note(at, "shipment.cancelled", publish=True, order_id=order.order_id, shipment_id=shipment_id, reason=reason)
    if not live(order):
        order.status, order.reason = "cancelled", reason
        change.note(at, "order.cancelled", publish=True, order_id=order.order_id, reason=reason)
    else:
        _derive_status(order)
    return change


# -- closing ----------------------------------------------------------------------------------------


def check_cancellable(order: Order) -> None:
    if any(s.status in GONE for s in order.shipments):
        raise NotCancellable(f"order {order.order_id} has shipped goods; it can no longer be cancelled")
    # A packed shipment is being paid for and handed over (its ship phase runs); one whose capture
    # failed waits with its stock, and that order may still be cancelled.
    if any(s.status == "packed" and (s.capture_id or not s.issue) for s in order.shipments):
        raise NotCancellable(f"order {order.order_id} has a shipment being shipped; it can no longer be cancelled")


def close(order: Order, status: str, reason: str, at: str) -> Change:
    """Cancel or reject: every shipment not gone is cancelled; compensation is the caller's."""
    change = Change()
    if order.status in CLOSED:
        return change
    if status == "cancelled":
        check_cancellable(order)
    for shipment in order.shipments:
        if shipment.status not in GONE and shipment.status not in DEAD_SHIPMENT:
            shipment.status = "cancelled"
    order.status, order.reason = status, reason  # type: ignore[assignment]
    if order.payment.status == "pending":  # never authorized: there is nothing left to pay
        order.payment.status = "voided"
    change.note(at, f"order.{status}", publish=True, order_id=order.order_id, reason=reason)
    return change


def open_authorization(order: Order) -> int:
    """What the customer's payment still holds that no shipment will capture."""
    if order.payment.status in ("voided", "refunded", "failed", "pending"):
        return 0
    still_to_capture = sum(s.value - s.captured for s in live(order) if s.status not in GONE)
    return max(0, order.payment.authorized - order.payment.captured - still_to_capture)


def voided(order: Order, amount: int, at: str) -> Change:
    change = Change()
    if amount <= 0:
        return change
    if order.payment.captured == 0 and not live(order):
        order.payment.status = "voided"
    order.payment.authorized -= amount
    change.note(at, "payment.voided", amount=amount)
    return change


def payment_failed(order: Order, reason: str, at: str) -> Change:
    change = Change()
    if order.payment.status == "failed":
        return change
    order.payment.status, order.payment.failure = "failed", reason
    change.note(at, "payment.failed", reason=reason)
    return change


# -- phases that did not start ----------------------------------------------------------------------


def phase_not_started(order: Order, phase: dict[str, Any], at: str) -> Change:
    """Step Functions did not take the phase: the order keeps it until the sweeper starts it."""
    change = Change()
    if order.status in CLOSED or any(p["name"] == phase["name"] for p in order.unstarted_phases):
        return change
    order.unstarted_phases.append({**phase, "since": at})
    change.note(at, "phase.not_started", phase=phase["machine"], execution=phase["name"])
    return change


def phase_started(order: Order, name: str, at: str) -> Change:
    change = Change()
    kept = [p for p in order.unstarted_phases if p["name"] != name]
    if len(kept) == len(order.unstarted_phases):
        return change
    order.unstarted_phases = kept
    change.note(at, "phase.started_late", execution=name)
    return change
