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

from oms import events, lifecycle, phases
from oms.clock import Clock, rfc3339
from oms.clock import clock as default_clock
from oms.errors import NotFound
from oms.lifecycle import Change, OrderClosed
from oms.observability import metrics
from oms.orders import Order, Shipment
from oms.ports.carrier import BookingRequest, CancelBookingRequest, Origin
from oms.ports.fraud import FraudCheck
from oms.ports.location import RecallRequest, ReleaseLine, ReleaseRequest
from oms.ports.payment import AuthorizationRequest, CaptureRequest, VoidRequest
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


def update(order_id: str, decide: Callable[[Order], Step]) -> tuple[Order, Step]:
    """Apply `decide` to the current order and save it; on a concurrent change, read again and retry."""
    for _ in range(_SAVE_ATTEMPTS):
        order = load(order_id)
        step = decide(order)
        if not step.change and not step.writes:
            return order, step
        try:
            orders_store.save(order, step.change.entries, step.writes)
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


def screen_fraud(order_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    order = load(order_id)
    if order.status in lifecycle.CLOSED:
        raise OrderClosed(f"order {order_id} is {order.status}")
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

    def decide(current: Order) -> Step:
        step = Step(result={"decision": outcome, "reasons": reasons, "summary": "; ".join(reasons)})
        if outcome == "review":
            step.change = lifecycle.hold_for_review(current, reasons, _now(clock))
        elif outcome == "approve" and not any(e.type == "fraud.approved" for e in current.timeline):
            step.change.note(_now(clock), "fraud.approved", score=decision.score)
        return step

    return update(order_id, decide)[1].result


def authorize_payment(order_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    order = load(order_id)
    if order.status in lifecycle.CLOSED:
        raise OrderClosed(f"order {order_id} is {order.status}")
    if order.payment.authorization_id is None:
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
        try:
            order, _ = update(
                order_id,
                lambda o: Step(
                    change=lifecycle.authorized(o, authorization.authorization_id, authorization.amount, _now(clock))
                ),
            )
        except OrderClosed:
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
    return {"shipment_ids": pending}


def book_carrier(order_id: str, shipment_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    order = load(order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    if order.status in lifecycle.CLOSED:
        raise OrderClosed(f"order {order_id} is {order.status}")
    if shipment.booking_id:
        return {"booked": shipment.booking_id}
    location = _location(shipment.location_id)
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
    update(
        order_id,
        lambda o: Step(
            change=lifecycle.booked(
                o,
                shipment_id,
                booking.carrier or "pending",
                booking.tracking_number or "",
                booking.label_ref or "",
                booking.booking_id,
                _now(clock),
            )
        ),
    )
    return {"booked": booking.booking_id}


def release_shipment(order_id: str, shipment_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    order = load(order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    if order.status in lifecycle.CLOSED:
        raise OrderClosed(f"order {order_id} is {order.status}")
    if shipment.status != "booked":
        return {"released": shipment.status}
    location = _location(shipment.location_id)
    notes = {line.sku: line.note for line in order.lines if line.note}
    pack_by = rfc3339(clock.now() + timedelta(hours=location.sla_hours))
    ack = gateways(order).location.release(
        ReleaseRequest(
            order_id=order.order_id,
            shipment_id=shipment_id,
            location_id=shipment.location_id,
            lines=tuple(ReleaseLine(ln.sku, ln.quantity, notes.get(ln.sku)) for ln in shipment.lines),
            ship_to=order.shipping_address,
            service_level=shipment.service_level,
            idempotency_key=_key(order, shipment_id, shipment.location_id, "release"),
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            label_ref=shipment.label_ref,
            pack_by=pack_by,
            made_to_order=bool(shipment.build_instructions),
            build_instructions=shipment.build_instructions,
        )
    )

    def decide(current: Order) -> Step:
        change = lifecycle.released(current, shipment_id, _now(clock))
        lifecycle.shipment_of(current, shipment_id).release_id = ack.release_id
        # The sweeper escalates a shipment its location has not packed by the location's SLA.
        return Step(
            change=change, writes=[orders_store.shipment_deadline(order_id, shipment_id, pack_by)] if change else []
        )

    update(order_id, decide)
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

    def decide(order: Order) -> Step:
        if order.status in lifecycle.CLOSED:
            return Step()
        open_shipments = [s for s in order.shipments if s.status not in lifecycle.GONE | lifecycle.DEAD_SHIPMENT]
        writes = [w for s in open_shipments for w in _release_stock(s)]
        writes += [orders_store.clear_deadline(order_id, s.shipment_id) for s in open_shipments if s.released_at]
        change = lifecycle.close(order, status, reason, _now(clock))
        if payment_failure:
            change.entries += lifecycle.payment_failed(order, payment_failure, _now(clock)).entries
        change.entries += _void(order, clock).entries
        return Step(change=change, writes=writes)

    order, step = update(order_id, decide)
    if step.change:
        metrics.add_metric(name=f"Orders_{status}", unit="Count", value=1)
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


def capture_payment(order_id: str, shipment_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    order = load(order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    if order.status in lifecycle.CLOSED:
        raise OrderClosed(f"order {order_id} is {order.status}")
    if shipment.capture_id:
        return {"captured": shipment.captured}
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
    update(
        order_id,
        lambda o: Step(change=lifecycle.captured(o, shipment_id, capture.capture_id, capture.amount, _now(clock))),
    )
    return {"captured": capture.amount}


def hold_shipment(
    order_id: str, shipment_id: str, error: dict[str, Any], clock: Clock = default_clock
) -> dict[str, Any]:
    reason = _cause_message(str(error.get("Cause", ""))) or str(error.get("Error", "capture failed"))
    update(order_id, lambda o: Step(change=lifecycle.capture_failed(o, shipment_id, reason, _now(clock))))
    metrics.add_metric(name="CaptureFailed", unit="Count", value=1)
    return {"held": shipment_id, "reason": reason}


def ship_stock(order_id: str, shipment_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    """Goods leave: on-hand and reservation fall together with the shipment marked shipped, in one write."""

    def decide(order: Order) -> Step:
        shipment = lifecycle.shipment_of(order, shipment_id)
        change = lifecycle.shipped(order, shipment_id, _now(clock))
        if not change:
            return Step()
        writes = [
            inventory_store.ship_units(sku, shipment.location_id, qty) for sku, qty in _reserved_units(shipment).items()
        ]
        if all(s.status in lifecycle.GONE for s in lifecycle.live(order)):
            # Lines cancelled on the way leave an authorization no shipment will capture.
            change.entries += _void(order, clock).entries
        return Step(change=change, writes=[*writes, orders_store.clear_deadline(order_id, shipment_id)])

    update(order_id, decide)
    return {"shipped": shipment_id}


# -- partner events -------------------------------------------------------------------------------


def packed(order_id: str, shipment_id: str, marker: Write, clock: Clock = default_clock) -> str:
    def decide(order: Order) -> Step:
        change = lifecycle.packed(order, shipment_id, _now(clock))
        return Step(change=change, writes=[marker, orders_store.clear_deadline(order_id, shipment_id)])

    order, step = update(order_id, decide)
    if step.change:
        phases.start_ship(order_id, order.storefront_id, shipment_id)
    return "packed"


def apply_simple(order_id: str, transition: Callable[[Order], Change], marker: Write) -> str:
    _, step = update(order_id, lambda order: Step(change=transition(order), writes=[marker]))
    return "applied" if step.change else "no change"


def reroute(
    order_id: str, shipment_id: str, rejected_by: str, reason: str, marker: Write, clock: Clock = default_clock
) -> str:
    """A location refused the pick: move the shipment to another location that holds all of it, or
    cancel its lines (with their stock, booking and share of the authorization) when none does."""
    from oms.checkout import candidates
    from oms.errors import InsufficientStock
    from oms.geo import locate
    from oms.routing import SourcingLine, SourcingRequest, plan

    order = load(order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    if shipment.location_id != rejected_by or shipment.status in lifecycle.GONE | lifecycle.DEAD_SHIPMENT:
        update(order_id, lambda o: Step(writes=[marker]))
        return "stale"
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
        if moving.location_id != rejected_by:
            return Step(writes=[marker])
        writes = [marker, *_release_stock(moving), orders_store.clear_deadline(order_id, shipment_id)]
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
    phases.start_fulfil(
        order_id,
        order.storefront_id,
        resume="reroute",
        shipment_ids=[shipment_id],
        attempt=f"{shipment_id}-{len(refused)}",
    )
    return f"rerouted to {target}"


def escalate_late_shipments(clock: Clock = default_clock) -> list[str]:
    """Released shipments past their location's SLA get an entry on the order and a metric, once."""
    late = []
    for due in orders_store.due_shipments(clock.now()):
        order_id, shipment_id, due_at = due["order_id"], due["shipment_id"], due["deadline_at"]

        def decide(
            order: Order, shipment_id: str = shipment_id, order_id: str = order_id, due_at: str = due_at
        ) -> Step:
            shipment = lifecycle.shipment_of(order, shipment_id)
            writes = [orders_store.clear_deadline(order_id, shipment_id)]
            if shipment.status != "released":
                return Step(writes=writes)
            shipment.issue = f"not packed by {due_at} (location SLA)"
            change = Change()
            change.note(
                _now(clock),
                "shipment.sla_missed",
                publish=True,
                order_id=order_id,
                shipment_id=shipment_id,
                location_id=shipment.location_id,
                due=due_at,
            )
            return Step(change=change, writes=writes)

        try:
            _, step = update(order_id, decide)
        except NotFound:
            continue
        if step.change:
            late.append(f"{order_id}/{shipment_id}")
            metrics.add_metric(name="ShipmentSlaMissed", unit="Count", value=1)
    return late


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
    phases.start_fulfil(order_id, order.storefront_id, resume="after_review")
    return order
