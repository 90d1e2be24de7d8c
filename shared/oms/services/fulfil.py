"""The fulfil phase: screen and authorize the order, then book and release each shipment.

Two tasks, one order write each. What a partner already did is saved before an error travels on, so a
compensation finds it to undo; what a partner did for an order that closed meanwhile is undone here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from oms.clock import rfc3339
from oms.domain import authorization, lifecycle
from oms.domain.change import Change
from oms.domain.errors import NotFound
from oms.domain.lifecycle import OrderClosed
from oms.domain.models import Location
from oms.domain.orders import Order, Shipment
from oms.ports.carrier import Booking, BookingRequest, Origin
from oms.ports.fraud import FraudCheck
from oms.ports.location import ReleaseLine, ReleaseRequest
from oms.ports.payment import Authorization, CreditLimitExceeded, PaymentGateway, VoidRequest
from oms.ports.unit_of_work import CommitRefused, OpenBalance
from oms.services.deps import Deps
from oms.services.steps import Step, change, idempotency_key, load, require_open, update
from oms.services.undo import authorization_request, undo_partners


def screen_and_authorize(deps: Deps, order_id: str) -> dict[str, Any]:
    """The fraud screen (unless the order passed it, or a review, before), then the authorization.

    The approval is saved before the authorization is asked for: a closing order then knows an
    authorization may exist even if its answer was lost, and finds it to void (services.undo).
    Answers the decision ("approve", "review", "reject") and, when approved, the shipments to book.
    """
    order = load(deps, order_id)
    require_open(order)
    if not lifecycle.screened(order) and order.payment.method == "marketplace":
        # The marketplace screened and took the payment: nothing for our screen to decide.
        order, _ = update(deps, order_id, change(lambda o: _approved(o, None, deps.now())), order)
    if not lifecycle.screened(order):
        verdict = _screen(deps, order)
        if verdict["decision"] != "approve":
            return verdict
        order, _ = update(deps, order_id, change(lambda o: _approved(o, verdict["score"], deps.now())), order)
    if order.payment.method == "cod":  # nothing to authorize: the carrier collects on delivery
        order, _ = update(deps, order_id, change(lambda o: authorization.cash_on_delivery(o, deps.now())), order)
    elif order.payment.method == "marketplace":
        order, _ = update(deps, order_id, change(lambda o: authorization.paid_to_marketplace(o, deps.now())), order)
    elif order.payment.authorization_id is None:
        payment = deps.partners(order.storefront_id).payment
        balance = (
            deps.uow.credit.balance(order.storefront_id, order.customer.id) if order.payment.method == "invoice" else 0
        )
        answer = payment.authorize(authorization_request(order, balance))
        record = change(lambda o: _authorized(o, answer, deps.clock.now()))
        try:
            order, _ = update(deps, order_id, record, order)
        except CommitRefused as refused:
            if not refused.of(OpenBalance):
                raise
            # Another order of the customer took the credit first: this authorization must not stand.
            _void(payment, order, answer.authorization_id, "over-limit")
            balance = deps.uow.credit.balance(order.storefront_id, order.customer.id)
            raise CreditLimitExceeded(
                f"the order of {order.totals.total} {order.currency} minor units and an open balance of "
                f"{balance} exceed the customer's credit limit",
                balance=balance,
                requested=order.totals.total,
            ) from None
        except OrderClosed:
            # Cancelled while we authorized: the hold on the customer's money must not outlive the order.
            _void(payment, order, answer.authorization_id, "late-authorization")
            raise
    # A shipment that waits for backordered units is booked once they arrive (services.backorders).
    if order.payment.pending_until:  # the provider answers later (payment.authorized / payment.failed)
        return {"decision": "pending", "reasons": [], "summary": "awaiting the payment provider", "shipment_ids": []}
    pending = [s.shipment_id for s in lifecycle.live(order) if s.status in ("allocated", "booked") and not s.awaiting]
    return {"decision": "approve", "reasons": [], "summary": "", "shipment_ids": pending}


def _authorized(order: Order, answer: Authorization, now: datetime) -> Change:
    if answer.pending:
        return authorization.pending(order, answer.authorization_id, answer.amount, now)
    recorded = lifecycle.authorized(order, answer.authorization_id, answer.amount, rfc3339(now))
    if recorded:
        order.payment.authorization_expires_at = authorization.expiry(order.payment.method, now, answer.expires_at)
    return recorded


def _void(payment: PaymentGateway, order: Order, authorization_id: str, why: str) -> None:
    payment.void(
        VoidRequest(
            order_id=order.order_id,
            authorization_id=authorization_id,
            method=order.payment.method,
            idempotency_key=idempotency_key(order, "void", why),
        )
    )


def _screen(deps: Deps, order: Order) -> dict[str, Any]:
    decision = deps.partners(order.storefront_id).fraud.screen(
        FraudCheck(
            order_id=order.order_id,
            storefront_id=order.storefront_id,
            customer=order.customer,
            shipping_address=order.shipping_address,
            amount=order.totals.total,
            currency=order.currency,
            idempotency_key=idempotency_key(order, "fraud"),
            payment_method=order.payment.method,
        )
    )
    outcome = "review" if decision.pending else decision.outcome
    reasons = [r.detail for r in decision.reasons] or (
        ["awaiting the fraud screen's answer"] if decision.pending else []
    )
    if outcome == "review":
        update(deps, order.order_id, change(lambda o: lifecycle.hold_for_review(o, reasons, deps.now())))
    # On "reject" the state machine compensates, with the summary as the reason.
    return {"decision": outcome, "reasons": reasons, "summary": "; ".join(reasons), "score": decision.score}


def _approved(order: Order, score: int | None, at: str) -> Change:
    approval = Change()
    if not lifecycle.screened(order):
        approval.note(at, "fraud.approved", score=score)
    return approval


def book_and_release(deps: Deps, order_id: str, shipment_id: str) -> dict[str, Any]:
    """Book the carrier (once per location the shipment is at), then release the shipment to its
    location with the label, pack-by time and any build instructions; both saved in one write."""
    order = load(deps, order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    require_open(order)
    if shipment.status not in ("allocated", "booked"):
        return {"released": shipment.status}
    if shipment.awaiting:
        return {"released": "awaiting incoming stock"}
    location = _location(deps, shipment.location_id)
    booking = None if shipment.booking_id else _book(deps, order, shipment, location)

    def book(current: Order) -> Change:
        if booking is None:
            return Change()
        return lifecycle.booked(
            current,
            shipment_id,
            booking.carrier or "pending",
            booking.tracking_number or "",
            booking.label_ref or "",
            booking.booking_id,
            deps.now(),
        )

    def made(release_id: str | None) -> Shipment:
        """The shipment as this call left it at the partners: what to undo if the order moved on."""
        return shipment.model_copy(
            update={"booking_id": booking.booking_id if booking else shipment.booking_id, "release_id": release_id}
        )

    pack_by = rfc3339(deps.clock.now() + timedelta(hours=location.sla_hours))
    try:
        release_id = _release(deps, order, shipment, booking, pack_by)
    except Exception:
        try:
            update(deps, order_id, change(book))  # the booking exists: a compensation cancels it
        except OrderClosed:
            undo_partners(deps, order, [made(None)])  # closed meanwhile: nobody else knows of this booking
        raise

    def decide(current: Order) -> Step:
        now = lifecycle.shipment_of(current, shipment_id)
        if now.location_id != shipment.location_id or now.lines != shipment.lines:
            # Re-routed, or some of its units cancelled, while we booked and released: that booking and
            # release are for goods it no longer has (its own phase books and releases it again).
            return Step(result={"moved": True})
        booked = book(current)  # booked first: the release moves the shipment on from booked
        release = lifecycle.released(current, shipment_id, deps.now())
        if release:
            # The sweeper escalates a shipment its location has not packed by the location's SLA.
            moving = lifecycle.shipment_of(current, shipment_id)
            moving.release_id, moving.pack_by = release_id, pack_by
        return Step(change=booked.then(release))

    try:
        _, step = update(deps, order_id, decide, order)
    except OrderClosed:
        # Cancelled or rejected while we called the partners: its compensation read the order before this
        # booking and release existed, so they are undone here (each undo is idempotent by key).
        undo_partners(deps, order, [made(release_id)])
        raise
    if step.result.get("moved"):
        undo_partners(deps, order, [made(release_id)])
        return {"released": "moved"}
    return {"released": release_id}


def _book(deps: Deps, order: Order, shipment: Shipment, location: Location) -> Booking:
    return deps.partners(order.storefront_id).carrier.book(
        BookingRequest(
            order_id=order.order_id,
            shipment_id=shipment.shipment_id,
            origin=Origin.of(location),
            destination=order.shipping_address,
            service_level=shipment.service_level,
            currency=order.currency,
            cod_amount=shipment.value if order.payment.method == "cod" else None,
            # A re-routed shipment books again, from its new location.
            idempotency_key=idempotency_key(order, shipment.shipment_id, shipment.location_id, "book"),
        )
    )


def _release(deps: Deps, order: Order, shipment: Shipment, booking: Booking | None, pack_by: str) -> str:
    label = booking or shipment
    notes = {line.sku: line.note for line in order.lines if line.note}
    ack = deps.partners(order.storefront_id).location.release(
        ReleaseRequest(
            order_id=order.order_id,
            shipment_id=shipment.shipment_id,
            location_id=shipment.location_id,
            lines=tuple(ReleaseLine(ln.sku, ln.quantity, notes.get(ln.sku)) for ln in shipment.lines),
            ship_to=order.shipping_address,
            service_level=shipment.service_level,
            idempotency_key=idempotency_key(order, shipment.shipment_id, shipment.location_id, "release"),
            carrier=label.carrier,
            tracking_number=label.tracking_number,
            label_ref=label.label_ref,
            pack_by=pack_by,
            made_to_order=bool(shipment.build_instructions),
            build_instructions=shipment.build_instructions,
        )
    )
    return ack.release_id


def _location(deps: Deps, location_id: str) -> Location:
    location = deps.uow.config.location(location_id)
    if location is None:
        raise NotFound(f"no location {location_id}", code="location_not_found")
    return location
