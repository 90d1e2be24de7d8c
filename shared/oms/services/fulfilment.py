"""The order lifecycle's service layer: load the order, call the partner, apply the transition, save.

Used by the workflow tasks, the partner-events worker, the sweeper and the API alike. Every step is
safe to run more than once: partner calls carry idempotency keys derived from the order and shipment,
transitions are idempotent, and saves are conditional on the order's version (a concurrent change makes
the step read again and re-apply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from oms.adapters import eventbridge as events
from oms.clock import Clock, rfc3339
from oms.clock import clock as default_clock
from oms.domain import lifecycle
from oms.domain.errors import Conflict, NotFound
from oms.domain.lifecycle import Change, OrderClosed
from oms.domain.orders import Order, Shipment
from oms.observability import logger, metrics
from oms.ports import phases
from oms.ports.carrier import BookingRequest, CancelBookingRequest, Origin
from oms.ports.fraud import FraudCheck
from oms.ports.location import RecallRequest, ReleaseLine, ReleaseRequest
from oms.ports.payment import AuthorizationRequest, CaptureRequest, RefundRequest, VoidRequest
from oms.store import config as config_store
from oms.store import inventory as inventory_store
from oms.store import orders as orders_store
from oms.store.dynamo import TransactionRefused, Write

if TYPE_CHECKING:
    from oms.adapters.registry import Gateways

_SAVE_ATTEMPTS = 8


@dataclass
class Step:
    """What one attempt of a step decided: the change to the order and any writes that go with it."""

    change: Change = field(default_factory=Change)
    writes: list[Write] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


def load(order_id: str) -> Order:
    order = orders_store.get_order(order_id)
    if order is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return order


def update(order_id: str, decide: Callable[[Order], Step], loaded: Order | None = None) -> tuple[Order, Step]:
    """Apply `decide` to the current order and save it; on a concurrent change, read again and retry.

    `loaded` is the order as the caller just read it, to decide on without reading it again: the save is
    conditional on its version, so a change made meanwhile is caught there and decided on afresh."""
    for attempt in range(_SAVE_ATTEMPTS):
        order = loaded if attempt == 0 and loaded is not None else load(order_id)
        step = decide(order)
        if not step.change and not step.writes:
            return order, step
        order.timeline += step.change.entries
        try:
            orders_store.save(order, step.writes)
        except TransactionRefused as refused:
            if refused.conflict or "order" in refused.failed:
                continue  # someone else moved the order first: decide again on what they left
            raise
        events.publish(order, step.change.events)
        return order, step
    raise TransactionRefused({"order"}, conflict=True)


def gateways(order: Order) -> Gateways:
    # Imported here: the adapters are needed by the steps that call partners, not by every cold start
    # of the API (which imports this module for cancellation and review).
    from oms.adapters.registry import gateways_for

    storefront = config_store.get_storefront(order.storefront_id)
    return gateways_for(storefront.config if storefront else {})


def _now(clock: Clock) -> str:
    return rfc3339(clock.now())


def _key(order: Order, *parts: str) -> str:
    return ":".join((order.order_id, *parts))


# -- fulfil phase ---------------------------------------------------------------------------------
#
# Two tasks, one order write each: screen and authorize the order; book and release each shipment.
# What a partner already did is saved before an error travels on, so a compensation finds it to undo.


def _open(order: Order) -> None:
    if order.status in lifecycle.CLOSED:
        raise OrderClosed(f"order {order.order_id} is {order.status}")


def _screened(order: Order) -> bool:
    return any(e.type in ("fraud.approved", "review.approved") for e in order.timeline)


def screen_and_authorize(order_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    """The fraud screen (unless the order passed it, or a review, before), then the authorization.

    Answers the decision ("approve", "review", "reject") and, when approved, the shipments to book.
    """
    order = load(order_id)
    _open(order)
    score: int | None = None  # the screen's score when it approved just now

    def approve(current: Order) -> Change:
        change = Change()
        if score is not None and not _screened(current):
            change.note(_now(clock), "fraud.approved", score=score)
        return change

    if not _screened(order):
        decision = gateways(order).fraud.screen(
            FraudCheck(
                order_id=order.order_id,
                storefront_id=order.storefront_id,
                customer=order.customer,
                shipping_address=order.shipping_address,
                amount=order.totals.total,
                currency=order.currency,
                idempotency_key=_key(order, "fraud"),
                payment_method=order.payment.method,
            )
        )
        outcome = "review" if decision.pending else decision.outcome
        reasons = [r.detail for r in decision.reasons] or (
            ["awaiting the fraud screen's answer"] if decision.pending else []
        )
        verdict = {"decision": outcome, "reasons": reasons, "summary": "; ".join(reasons)}
        if outcome == "review":
            update(order_id, lambda o: Step(change=lifecycle.hold_for_review(o, reasons, _now(clock))))
            return verdict
        if outcome == "reject":
            return verdict  # the state machine compensates, with the summary as the reason
        score = decision.score
    authorization = None
    if order.payment.authorization_id is None:
        try:
            authorization = gateways(order).payment.authorize(
                AuthorizationRequest(
                    order_id=order.order_id,
                    storefront_id=order.storefront_id,
                    customer_id=order.customer.id,
                    method=order.payment.method,
                    amount=order.totals.total,
                    currency=order.currency,
                    idempotency_key=_key(order, "authorize"),
                    token=order.payment.token,
                )
            )
        except Exception:
            update(order_id, lambda o: Step(change=approve(o)))  # a retry must not screen again
            raise

    def decide(current: Order) -> Step:
        change = approve(current)
        if authorization is not None:
            change.then(
                lifecycle.authorized(current, authorization.authorization_id, authorization.amount, _now(clock))
            )
        return Step(change=change)

    try:
        order, _ = update(order_id, decide, order)
    except OrderClosed:
        if authorization is not None:
            # Cancelled while we authorized: the hold on the customer's money must not outlive the order.
            gateways(order).payment.void(
                VoidRequest(
                    order_id=order.order_id,
                    authorization_id=authorization.authorization_id,
                    method=order.payment.method,
                    idempotency_key=_key(order, "void", "late-authorization"),
                )
            )
        raise
    pending = [s.shipment_id for s in lifecycle.live(order) if s.status in ("allocated", "booked")]
    return {"decision": "approve", "reasons": [], "summary": "", "shipment_ids": pending}


def book_and_release(order_id: str, shipment_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    """Book the carrier (once per location the shipment is at), then release the shipment to its
    location with the label, pack-by time and any build instructions; both saved in one write."""
    order = load(order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    _open(order)
    if shipment.status not in ("allocated", "booked"):
        return {"released": shipment.status}
    location = _location(shipment.location_id)
    booking = None
    if not shipment.booking_id:
        booking = gateways(order).carrier.book(
            BookingRequest(
                order_id=order.order_id,
                shipment_id=shipment_id,
                origin=Origin.of(location),
                destination=order.shipping_address,
                service_level=shipment.service_level,
                currency=order.currency,
                # A re-routed shipment books again, from its new location.
                idempotency_key=_key(order, shipment_id, shipment.location_id, "book"),
            )
        )

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
            _now(clock),
        )

    def made(release_id: str | None) -> Shipment:
        """The shipment as this call left it at the partners: what to undo if the order moved on."""
        return shipment.model_copy(
            update={"booking_id": booking.booking_id if booking else shipment.booking_id, "release_id": release_id}
        )

    label = booking or shipment
    pack_by = rfc3339(clock.now() + timedelta(hours=location.sla_hours))
    notes = {line.sku: line.note for line in order.lines if line.note}
    try:
        ack = gateways(order).location.release(
            ReleaseRequest(
                order_id=order.order_id,
                shipment_id=shipment_id,
                location_id=shipment.location_id,
                lines=tuple(ReleaseLine(ln.sku, ln.quantity, notes.get(ln.sku)) for ln in shipment.lines),
                ship_to=order.shipping_address,
                service_level=shipment.service_level,
                idempotency_key=_key(order, shipment_id, shipment.location_id, "release"),
                carrier=label.carrier,
                tracking_number=label.tracking_number,
                label_ref=label.label_ref,
                pack_by=pack_by,
                made_to_order=bool(shipment.build_instructions),
                build_instructions=shipment.build_instructions,
            )
        )
    except Exception:
        try:
            update(order_id, lambda o: Step(change=book(o)))  # the booking exists: a compensation cancels it
        except OrderClosed:
            _undo_partners(order, [made(None)])  # closed meanwhile: nobody else knows of this booking
        raise

    def decide(current: Order) -> Step:
        if lifecycle.shipment_of(current, shipment_id).location_id != shipment.location_id:
            return Step(result={"moved": True})  # re-routed while we booked and released
        change = book(current)
        release = lifecycle.released(current, shipment_id, _now(clock))
        if release:
            # The sweeper escalates a shipment its location has not packed by the location's SLA.
            moving = lifecycle.shipment_of(current, shipment_id)
            moving.release_id, moving.pack_by = ack.release_id, pack_by
        return Step(change=change.then(release))

    try:
        _, step = update(order_id, decide, order)
    except OrderClosed:
        # Cancelled or rejected while we called the partners: its compensation read the order before this
        # booking and release existed, so they are undone here (each undo is idempotent by key).
        _undo_partners(order, [made(ack.release_id)])
        raise
    if step.result.get("moved"):
        _undo_partners(order, [made(ack.release_id)])
        return {"released": "moved"}
    return {"released": ack.release_id}


# -- compensation ---------------------------------------------------------------------------------


def _reserved_units(shipment: Shipment) -> dict[str, int]:
    """Units per sku this shipment holds in stock (one item per sku: a transaction touches an item once)."""
    units: dict[str, int] = {}
    for line in shipment.lines:
        if line.reserved:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


def _release_stock(shipment: Shipment) -> list[Write]:
    return [
        inventory_store.change_reservation(sku, shipment.location_id, -qty)
        for sku, qty in _reserved_units(shipment).items()
    ]


def _void(order: Order, clock: Clock) -> Change:
    """Give back whatever authorization no shipment will capture, inside the step that frees it, so no
    reader ever sees a closed order still holding the customer's money (the void is idempotent by key)."""
    amount = lifecycle.open_authorization(order)
    if amount <= 0 or not order.payment.authorization_id:
        return Change()
    gateways(order).payment.void(
        VoidRequest(
            order_id=order.order_id,
            authorization_id=order.payment.authorization_id,
            method=order.payment.method,
            idempotency_key=_key(order, "void", str(order.payment.captured)),
        )
    )
    return lifecycle.voided(order, amount, _now(clock))


def _undo_partners(order: Order, shipments: list[Shipment]) -> None:
    partners = gateways(order)
    for shipment in shipments:
        if shipment.booking_id:
            partners.carrier.cancel(
                CancelBookingRequest(
                    order_id=order.order_id,
                    shipment_id=shipment.shipment_id,
                    booking_id=shipment.booking_id,
                    idempotency_key=_key(order, shipment.shipment_id, shipment.booking_id, "cancel"),
                )
            )
        if shipment.release_id:
            partners.location.recall(
                RecallRequest(
                    order_id=order.order_id,
                    shipment_id=shipment.shipment_id,
                    location_id=shipment.location_id,
                    release_id=shipment.release_id,
                    idempotency_key=_key(order, shipment.shipment_id, shipment.release_id, "recall"),
                )
            )


def close(
    order_id: str, status: str, reason: str, clock: Clock = default_clock, payment_failure: str | None = None
) -> Order:
    """Cancel or reject the order: stock back on the shelf, bookings and releases undone, money released."""
    before = load(order_id)
    if before.status not in lifecycle.CLOSED:
        if status == "cancelled":
            lifecycle.check_cancellable(before)
        _undo_partners(
            before, [s for s in before.shipments if s.status not in lifecycle.GONE | lifecycle.DEAD_SHIPMENT]
        )

    undone = {(s.shipment_id, s.booking_id, s.release_id) for s in before.shipments}
    closing: list[Shipment] = []

    def decide(order: Order) -> Step:
        if order.status in lifecycle.CLOSED:
            return Step()
        open_shipments = [s for s in order.shipments if s.status not in lifecycle.GONE | lifecycle.DEAD_SHIPMENT]
        closing[:] = [s.model_copy() for s in open_shipments]
        writes = [w for s in open_shipments for w in _release_stock(s)]
        change = lifecycle.close(order, status, reason, _now(clock))
        if payment_failure:
            change.entries += lifecycle.payment_failed(order, payment_failure, _now(clock)).entries
        change.entries += _void(order, clock).entries
        return Step(change=change, writes=writes)

    order, step = update(order_id, decide, before)
    if step.change:
        metrics.add_metric(name=f"Orders_{status}", unit="Count", value=1)
        # A booking or release a running task saved after our first read: undo it too.
        late = [s for s in closing if (s.shipment_id, s.booking_id, s.release_id) not in undone]
        if late:
            _undo_partners(order, late)
    return order


_REASONS = {
    "PaymentDeclined": "payment declined",
    "CreditLimitExceeded": "credit limit exceeded",
    "NoCarrier": "no carrier serves the address",
    "ServiceLevelNotServed": "no carrier offers the service level",
}


def compensate(order_id: str, error: dict[str, Any], clock: Clock = default_clock) -> dict[str, Any]:
    """The fulfil phase failed: reject the order with a reason a person can act on."""
    kind = str(error.get("Error", "")) or "Error"
    cause = str(error.get("Cause", ""))
    detail = _cause_message(cause)
    if kind == "FraudRejected":
        reason = f"rejected by the fraud screen: {detail}"
    else:
        reason = f"{_REASONS.get(kind, 'fulfilment failed')}: {detail}" if detail else _REASONS.get(kind, kind)
    payment_failure = detail if kind in ("PaymentDeclined", "CreditLimitExceeded") else None
    order = close(order_id, "rejected", reason, clock, payment_failure)
    metrics.add_metric(name=f"OrdersRejected_{kind}", unit="Count", value=1)  # rejections by reason
    return {"status": order.status, "reason": order.reason}


def _cause_message(cause: str) -> str:
    import json

    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause[:300]
    return str(parsed.get("errorMessage", cause))[:300] if isinstance(parsed, dict) else cause[:300]


# -- ship phase -----------------------------------------------------------------------------------


def capture_and_ship(order_id: str, shipment_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    """Capture this shipment's value, then let the goods go: the capture, the shipment marked shipped
    and on-hand and reservation lowered together, in one transaction."""
    order = load(order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    _open(order)
    if shipment.status in lifecycle.GONE:
        return {"shipped": shipment_id}
    capture = None
    if not shipment.capture_id:
        if not order.payment.authorization_id:
            raise lifecycle.NotYet(f"order {order_id} has no authorization to capture from")
        capture = gateways(order).payment.capture(
            CaptureRequest(
                order_id=order.order_id,
                authorization_id=order.payment.authorization_id,
                method=order.payment.method,
                amount=shipment.value,
                currency=order.currency,
                authorized=order.payment.authorized,
                idempotency_key=_key(order, shipment_id, "capture"),
                captured_before=order.payment.captured,
                shipment_id=shipment_id,
                token=order.payment.token,
            )
        )

    def pay(current: Order) -> Change:
        if capture is None:
            return Change()
        return lifecycle.captured(current, shipment_id, capture.capture_id, capture.amount, _now(clock))

    def decide(current: Order) -> Step:
        _open(current)  # closed meanwhile: the state machine ends quietly; the capture is refunded below
        change = pay(current)
        leaving = lifecycle.shipment_of(current, shipment_id)
        shipping = lifecycle.shipped(current, shipment_id, _now(clock))
        if not shipping:
            return Step(change=change)
        writes = [
            inventory_store.ship_units(sku, leaving.location_id, qty) for sku, qty in _reserved_units(leaving).items()
        ]
        if all(s.status in lifecycle.GONE for s in lifecycle.live(current)):
            # Lines cancelled on the way leave an authorization no shipment will capture.
            shipping.entries += _void(current, clock).entries
        return Step(change=change.then(shipping), writes=writes)

    try:
        update(order_id, decide, order)
    except Conflict:
        # Closed (or its authorization voided) while the capture ran: the money goes back.
        if capture is not None:
            _refund_late_capture(order_id, shipment_id, capture.capture_id, capture.amount, clock)
        raise
    except Exception:
        if capture is not None:  # the money moved: the order must say so whatever stopped the goods
            update(order_id, lambda o: Step(change=pay(o)))
        raise
    return {"shipped": shipment_id, "captured": capture.amount if capture else shipment.captured}


def _refund_late_capture(order_id: str, shipment_id: str, capture_id: str, amount: int, clock: Clock) -> None:
    order = load(order_id)
    if not order.payment.authorization_id:
        return
    refund = gateways(order).payment.refund(
        RefundRequest(
            order_id=order_id,
            authorization_id=order.payment.authorization_id,
            method=order.payment.method,
            amount=amount,
            currency=order.currency,
            captured=amount,
            idempotency_key=_key(order, shipment_id, capture_id, "refund"),
            reason="the order closed while this shipment's payment was captured",
        )
    )

    def record(current: Order) -> Step:
        change = Change()
        if not any(
            e.type == "payment.capture_refunded" and e.detail.get("capture_id") == capture_id for e in current.timeline
        ):
            change.note(
                _now(clock),
                "payment.capture_refunded",
                shipment_id=shipment_id,
                capture_id=capture_id,
                amount=amount,
                refund_id=refund.refund_id,
            )
        return Step(change=change)

    update(order_id, record, order)


def hold_shipment(
    order_id: str, shipment_id: str, error: dict[str, Any], clock: Clock = default_clock
) -> dict[str, Any]:
    reason = _cause_message(str(error.get("Cause", ""))) or str(error.get("Error", "capture failed"))
    held = load(order_id)
    if lifecycle.shipment_of(held, shipment_id).capture_id:
        # Paid, then the hand-over failed: nothing about the payment to report. The sweeper runs the ship
        # phase once more (a new execution name; it captures nothing twice); a second failure stays held.
        def retry(order: Order) -> Step:
            change = lifecycle.ship_failed(order, shipment_id, reason, _now(clock))
            if change:
                again = phases.ship(order_id, order.storefront_id, shipment_id, attempt="retry")
                change.then(lifecycle.phase_not_started(order, again.as_dict(), _now(clock)))
            return Step(change=change)

        update(order_id, retry, held)
        return {"held": shipment_id, "reason": reason}
    update(order_id, lambda o: Step(change=lifecycle.capture_failed(o, shipment_id, reason, _now(clock))), held)
    metrics.add_metric(name="CaptureFailed", unit="Count", value=1)
    return {"held": shipment_id, "reason": reason}


# -- partner events -------------------------------------------------------------------------------
#
# `receipt` is "<partner>:<event id>": recorded on the order in the write that applies the event, so a
# redelivered event finds it there and changes nothing.


def _once(receipt: str, transition: Callable[[Order], Change]) -> Callable[[Order], Step]:
    """A step applying `transition` unless the order already took this event; the receipt is kept when
    the transition changes anything (a no-op stays retryable: it may apply once the order moves on)."""

    def decide(order: Order) -> Step:
        if receipt in order.partner_events:
            return Step(result={"outcome": "duplicate"})
        change = transition(order)
        if change:
            order.partner_events.append(receipt)
        return Step(change=change)

    return decide


def packed(order_id: str, shipment_id: str, receipt: str, clock: Clock = default_clock) -> str:
    order, step = update(order_id, _once(receipt, lambda o: lifecycle.packed(o, shipment_id, _now(clock))))
    if step.change:
        # Once: Express executions with one name may run twice, so a redelivery starts nothing; a phase
        # that did not start stays on the order for the sweeper.
        begin(order_id, phases.ship(order_id, order.storefront_id, shipment_id))
    return str(step.result.get("outcome", "packed"))


def apply_simple(order_id: str, transition: Callable[[Order], Change], receipt: str) -> str:
    _, step = update(order_id, _once(receipt, transition))
    return str(step.result.get("outcome", "applied" if step.change else "no change"))


def reroute(
    order_id: str, shipment_id: str, rejected_by: str, reason: str, receipt: str, clock: Clock = default_clock
) -> str:
    """A location refused the pick: move the shipment to another location that holds all of it, or
    cancel its lines (with their stock, booking and share of the authorization) when none does."""
    from oms.domain.errors import InsufficientStock
    from oms.domain.geo import locate
    from oms.domain.routing import SourcingLine, SourcingRequest, plan
    from oms.services.checkout import candidates

    order = load(order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    if receipt in order.partner_events:
        return "duplicate"
    if shipment.location_id != rejected_by or shipment.status in lifecycle.GONE | lifecycle.DEAD_SHIPMENT:
        return "stale"
    if shipment.status == "packed":  # its goods are on their way out: nothing to move, nothing to undo
        return "stale: packed"
    refused = {*shipment.rejected_by, rejected_by}
    locations = [loc for loc in config_store.list_locations() if loc.location_id not in refused]
    skus = {ln.sku for ln in shipment.lines}
    try:
        found = plan(
            SourcingRequest(
                lines=tuple(SourcingLine(ln.sku, ln.quantity) for ln in shipment.lines),
                destination=locate(order.shipping_address),
                service_level=shipment.service_level,
                ship_complete=True,
                candidates=candidates(skus, locations),
            )
        )
        target = found.shipments[0].location_id
    except InsufficientStock:
        target = None
    _undo_partners(order, [shipment])

    def decide(current: Order) -> Step:
        moving = lifecycle.shipment_of(current, shipment_id)
        if receipt in current.partner_events or moving.location_id != rejected_by:
            return Step()
        current.partner_events.append(receipt)
        writes = _release_stock(moving)
        if target is None:
            change = lifecycle.drop_shipment(current, shipment_id, f"no location can ship it ({reason})", _now(clock))
            if all(s.status in lifecycle.GONE for s in lifecycle.live(current)):
                change.entries += _void(current, clock).entries
            return Step(change=change, writes=writes)
        change = lifecycle.rerouted(current, shipment_id, target, reason, _now(clock))
        moving.rejected_by = sorted(refused)
        writes += [inventory_store.change_reservation(sku, target, qty) for sku, qty in _reserved_units(moving).items()]
        return Step(change=change, writes=writes)

    order, _ = update(order_id, decide)
    if target is None:
        return "cancelled"
    begin(
        order_id,
        phases.fulfil(
            order_id,
            order.storefront_id,
            resume="reroute",
            shipment_ids=[shipment_id],
            attempt=f"{shipment_id}-{len(refused)}",
        ),
    )
    return f"rerouted to {target}"


def begin(order_id: str, phase: phases.Phase, clock: Clock = default_clock) -> None:
    """Start the phase; one that cannot start now stays on the order, due at once for the sweeper."""
    if not phases.start(phase):
        keep_unstarted(order_id, phase, clock)


def keep_unstarted(order_id: str, phase: phases.Phase, clock: Clock = default_clock) -> None:
    try:
        update(order_id, lambda o: Step(change=lifecycle.phase_not_started(o, phase.as_dict(), _now(clock))))
    except Exception:
        # The step that wanted the phase is done and saved; failing it now would not start the phase.
        logger.exception("could not keep an unstarted phase on the order", extra={"execution": phase.name})


def sweep_due_orders(clock: Clock = default_clock) -> dict[str, list[str]]:
    """Orders on the deadlines index whose time has come: phases that did not start are started, and
    released shipments past their location's SLA get an entry on the order and a metric, once."""
    found: dict[str, list[str]] = {"escalated": [], "started": []}
    now = _now(clock)

    def escalate(order: Order) -> Step:
        change = Change()
        for shipment in order.shipments:
            if shipment.status != "released" or shipment.sla_missed or not shipment.pack_by or shipment.pack_by > now:
                continue
            shipment.sla_missed, shipment.issue = True, f"not packed by {shipment.pack_by} (location SLA)"
            change.note(
                now,
                "shipment.sla_missed",
                publish=True,
                order_id=order.order_id,
                shipment_id=shipment.shipment_id,
                location_id=shipment.location_id,
                due=shipment.pack_by,
            )
        return Step(change=change)

    for order_id in orders_store.due_orders(clock.now()):
        try:
            order, step = update(order_id, escalate)
        except NotFound:
            continue
        for entry in step.change.entries:
            found["escalated"].append(f"{order_id}/{entry.detail['shipment_id']}")
            metrics.add_metric(name="ShipmentSlaMissed", unit="Count", value=1)
        for unstarted in list(order.unstarted_phases):
            if order.status in lifecycle.CLOSED or phases.start(phases.Phase.of(unstarted)):
                update(order_id, _started(unstarted["name"], now))
                found["started"].append(unstarted["name"])
    return found


def _started(name: str, at: str) -> Callable[[Order], Step]:
    return lambda order: Step(change=lifecycle.phase_started(order, name, at))


def _location(location_id: str) -> Any:
    location = config_store.get_location(location_id)
    if location is None:
        raise NotFound(f"no location {location_id}", code="location_not_found")
    return location


def review(order_id: str, decision: str, by: str, clock: Clock = default_clock) -> Order:
    """An admin's fraud review: approve resumes the fulfil phase, reject closes the order."""
    if decision == "reject":
        order = load(order_id)
        if order.status != "on_hold":
            raise lifecycle.NotOnHold(f"order {order_id} is {order.status}, not on hold for review")
        return close(order_id, "rejected", f"rejected at fraud review by {by}", clock)
    order, _ = update(order_id, lambda o: Step(change=lifecycle.approve_review(o, _now(clock), by)))
    begin(order_id, phases.fulfil(order_id, order.storefront_id, resume="after_review"))
    return order
