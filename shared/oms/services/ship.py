"""The ship phase of one shipment: capture its value, then let the goods go; a failed capture holds it."""

from __future__ import annotations

from typing import Any

from oms.domain import authorization, lifecycle
from oms.domain.change import Change
from oms.domain.errors import Conflict
from oms.domain.orders import Order, Shipment
from oms.observability import metrics
from oms.ports import phases
from oms.ports.payment import CaptureFailed, CaptureRequest, PartnerRefused, RefundRequest
from oms.ports.unit_of_work import ShipUnits
from oms.services.compensate import cause_message
from oms.services.deps import Deps
from oms.services.steps import Step, change, idempotency_key, load, require_open, update
from oms.services.undo import reserved_units, void_unused


def capture_and_ship(deps: Deps, order_id: str, shipment_id: str) -> dict[str, Any]:
    """Capture this shipment's value, then, in one commit: the capture recorded, the shipment shipped,
    its units off on-hand and reservation."""
    order = load(deps, order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    require_open(order)
    if shipment.status in lifecycle.GONE:
        return {"shipped": shipment_id}
    capture = None
    settled = order.payment.method == "marketplace"  # paid to the marketplace: recorded, no provider call
    if not shipment.capture_id and order.payment.method not in ("cod", "marketplace"):  # cod: paid at the door
        if not order.payment.authorization_id:
            raise lifecycle.NotYet(f"order {order_id} has no authorization to capture from")
        if authorization.lapsed(order, deps.clock.now()):  # never ship goods no authorization pays for
            raise CaptureFailed(order.payment.failure or "the payment authorization lapsed before the capture")
        capture = deps.partners(order.storefront_id).payment.capture(_capture_request(order, shipment))

    def pay(current: Order) -> Change:
        if settled and not lifecycle.shipment_of(current, shipment_id).capture_id:
            value = lifecycle.shipment_of(current, shipment_id).value
            return lifecycle.captured(current, shipment_id, f"mkt_{order_id}_{shipment_id}", value, deps.now())
        if capture is None:
            return Change()
        return lifecycle.captured(current, shipment_id, capture.capture_id, capture.amount, deps.now())

    def decide(current: Order) -> Step:
        require_open(current)  # closed meanwhile: the state machine ends quietly; the capture is refunded below
        paid = pay(current)
        leaving = lifecycle.shipment_of(current, shipment_id)
        shipping = lifecycle.shipped(current, shipment_id, deps.now())
        if not shipping:
            return Step(change=paid)
        units = [ShipUnits(sku, leaving.location_id, qty) for sku, qty in reserved_units(leaving).items()]
        if all(s.status in lifecycle.GONE for s in lifecycle.live(current)):
            # Lines cancelled on the way leave an authorization no shipment will capture.
            shipping.entries += void_unused(deps, current).entries
        return Step(change=paid.then(shipping), writes=list(units))

    try:
        update(deps, order_id, decide, order)
    except Conflict:
        # Closed (or its authorization voided) while the capture ran: the money goes back.
        if capture is not None:
            _refund_late_capture(deps, order_id, shipment_id, capture.capture_id, capture.amount)
        raise
    except Exception:
        if capture is not None:  # the money moved: the order must say so whatever stopped the goods
            update(deps, order_id, change(pay))
        raise
    return {"shipped": shipment_id, "captured": capture.amount if capture else shipment.captured}


def _capture_request(order: Order, shipment: Shipment) -> CaptureRequest:
    """The shipment's one capture: the same key each time, so a repeat is answered with the capture made."""
    return CaptureRequest(
        order_id=order.order_id,
        authorization_id=order.payment.authorization_id or "",
        method=order.payment.method,
        amount=shipment.value,
        currency=order.currency,
        authorized=order.payment.authorized,
        idempotency_key=idempotency_key(order, shipment.shipment_id, "capture"),
        captured_before=order.payment.captured,
        shipment_id=shipment.shipment_id,
        token=order.payment.token,
    )


def _refund_late_capture(deps: Deps, order_id: str, shipment_id: str, capture_id: str, amount: int) -> None:
    order = load(deps, order_id)
    if not order.payment.authorization_id:
        return
    refund = deps.partners(order.storefront_id).payment.refund(
        RefundRequest(
            order_id=order_id,
            authorization_id=order.payment.authorization_id,
            method=order.payment.method,
            amount=amount,
            currency=order.currency,
            captured=amount,
            idempotency_key=idempotency_key(order, shipment_id, capture_id, "refund"),
            reason="the order closed while this shipment's payment was captured",
        )
    )

    def record(current: Order) -> Step:
        refunded = Change()
        if not any(
            e.type == "payment.capture_refunded" and e.detail.get("capture_id") == capture_id for e in current.timeline
        ):
            refunded.note(
                deps.now(),
                "payment.capture_refunded",
                shipment_id=shipment_id,
                capture_id=capture_id,
                amount=amount,
                refund_id=refund.refund_id,
            )
        return Step(change=refunded)

    update(deps, order_id, record, order)


def hold_shipment(deps: Deps, order_id: str, shipment_id: str, error: dict[str, Any]) -> dict[str, Any]:
    """The ship phase failed: a capture that failed holds the shipment (stock kept) with the reason."""
    reason = cause_message(str(error.get("Cause", ""))) or str(error.get("Error", "capture failed"))
    held = _with_capture_found(deps, load(deps, order_id), shipment_id)
    if lifecycle.shipment_of(held, shipment_id).capture_id:
        # Paid, then the hand-over failed: nothing about the payment to report. The sweeper runs the ship
        # phase once more (a new execution name; it captures nothing twice); a second failure stays held.
        def retry(order: Order) -> Step:
            failed = lifecycle.ship_failed(order, shipment_id, reason, deps.now())
            if failed:
                again = phases.ship(order_id, order.storefront_id, shipment_id, attempt="retry")
                failed.then(lifecycle.phase_not_started(order, again.as_dict(), deps.now()))
            return Step(change=failed)

        update(deps, order_id, retry, held)
        return {"held": shipment_id, "reason": reason}
    update(deps, order_id, change(lambda o: lifecycle.capture_failed(o, shipment_id, reason, deps.now())), held)
    metrics.add_metric(name="CaptureFailed", unit="Count", value=1)
    return {"held": shipment_id, "reason": reason}


def _with_capture_found(deps: Deps, order: Order, shipment_id: str) -> Order:
    """The phase failed, but maybe after the provider captured (its answer or our write lost): asking
    again with the capture's key answers the capture made, or the same refusal. A capture found is
    recorded, so the shipment is held as paid (and shipped on the retry), never as unpaid."""
    shipment = lifecycle.shipment_of(order, shipment_id)
    if shipment.capture_id or not order.payment.authorization_id or order.status in lifecycle.CLOSED:
        return order
    if authorization.lapsed(order, deps.clock.now()):  # no capture against a lapsed authorization
        return order
    try:
        found = deps.partners(order.storefront_id).payment.capture(_capture_request(order, shipment))
    except (CaptureFailed, PartnerRefused):
        return order
    record = change(lambda o: lifecycle.captured(o, shipment_id, found.capture_id, found.amount, deps.now()))
    return update(deps, order.order_id, record, order)[0]
