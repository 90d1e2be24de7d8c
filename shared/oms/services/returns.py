"""Returns after the sale: requested by the storefront, decided (by its policy or an operator), labelled
through the carrier port, received unit by unit at a location, refunded through the payment port.

The rules are oms.domain.returns and oms.domain.refunds; here each step is one commit of the return with
its order (the order's timeline and money move with it, and what the storefront is told is published by
the same step), read again and decided again when someone else saved either first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oms.domain import returns
from oms.domain.change import Change
from oms.domain.errors import Conflict, NotFound, Unprocessable
from oms.domain.messages import ReturnReceipt
from oms.domain.orders import Order
from oms.domain.partners import Partner
from oms.domain.returns import ReceivedLine, Return, ReturnLabel, ReturnPolicy, ReturnRequest
from oms.domain.supply import AlreadyApplied
from oms.observability import logger
from oms.ports.carrier import NoCarrier, Origin, ReturnLabelRequest
from oms.ports.erp import ErpEvent
from oms.ports.payment import PartnerRefused, RefundFailed, RefundRequest, TransientPartnerError
from oms.ports.unit_of_work import ReceiveUnits, SaveReturn, Write
from oms.services.checkout import body_hash
from oms.services.deps import Deps
from oms.services.steps import Step, load, update


@dataclass(frozen=True)
class Requested:
    ret: Return
    created: bool  # False: the same Idempotency-Key and body answered before


def policy_of(deps: Deps, storefront_id: str) -> ReturnPolicy:
    storefront = deps.uow.config.storefront(storefront_id)
    return ReturnPolicy.from_config((storefront.config if storefront else {}).get("returns"))


def request_return(
    deps: Deps, storefront_id: str, order_id: str, request: ReturnRequest, idempotency_key: str
) -> Requested:
    """Open a return on a storefront's own order (another's is a 404), once per Idempotency-Key."""
    policy = policy_of(deps, storefront_id)
    fingerprint = body_hash(request)
    found: list[Requested] = []

    def decide(order: Order) -> Step:
        if order.storefront_id != storefront_id:
            raise NotFound(f"no order {order_id}", code="order_not_found")
        earlier = deps.uow.returns.of_order(order_id)
        same = next((r for r in earlier if r.idempotency_key == idempotency_key), None)
        if same is not None:
            if same.body_hash != fingerprint:
                raise Unprocessable(
                    "this Idempotency-Key was used with a different return; use a new key for a new return",
                    code="idempotency_key_reused",
                )
            found[:] = [Requested(same, created=False)]
            return Step()
        return_id = returns.return_id_for(order_id, len(earlier) + 1)
        ret, change = returns.open_return(order, policy, request.lines, earlier, return_id, deps.now())
        ret.idempotency_key, ret.body_hash = idempotency_key, fingerprint
        ret.location_id = _receiving_location(order, ret)
        if ret.status == "approved":
            change.then(_label(deps, order, ret))
        found[:] = [Requested(ret, created=True)]
        return Step(change=change, writes=[SaveReturn(ret, 0)])

    update(deps, order_id, decide)
    return found[0]


def _receiving_location(order: Order, ret: Return) -> str | None:
    """Where the parcel goes back to: the location that shipped the first of its units."""
    skus = set(ret.units())
    for shipment in order.shipments:
        if shipment.status == "delivered" and skus & {line.sku for line in shipment.lines}:
            return shipment.location_id
    return None


def _label(deps: Deps, order: Order, ret: Return) -> Change:
    """The carrier's label for the way back; a carrier that cannot book it now leaves the return without
    one (the storefront sees `label: null`), never the return unmade."""
    location = deps.uow.config.location(ret.location_id) if ret.location_id else None
    if location is None:
        return Change()
    try:
        booking = deps.partners(order.storefront_id).carrier.return_label(
            ReturnLabelRequest(
                order_id=order.order_id,
                return_id=ret.return_id,
                sender=order.shipping_address,
                destination=Origin.of(location),
                currency=order.currency,
                idempotency_key=f"{ret.return_id}:label",
            )
        )
    except (NoCarrier, PartnerRefused, TransientPartnerError) as refused:
        logger.info("return label not booked", extra={"order_id": order.order_id, "code": type(refused).__name__})
        return Change()
    label = ReturnLabel(
        carrier=booking.carrier or "pending", tracking_number=booking.tracking_number, label_ref=booking.label_ref
    )
    return returns.labelled(ret, label, deps.now())


def _on_return(deps: Deps, return_id: str, act: Callable[[Order, Return], tuple[Change, list[Write]]]) -> Return:
    """One step of a return, committed with its order; both read again when either moved meanwhile.
    The return's id names its order (oms.domain.returns.return_id_for): no read to find it."""
    missing = NotFound(f"no return {return_id}", code="return_not_found")
    order_id = returns.order_id_of(return_id)
    if order_id is None:
        raise missing
    done: list[Return] = []

    def decide(order: Order) -> Step:
        ret = deps.uow.returns.get(return_id)
        if ret is None:
            raise missing
        version = ret.version
        change, writes = act(order, ret)
        done[:] = [ret]
        if not change and not writes:
            return Step()
        return Step(change=change, writes=[SaveReturn(ret, version), *writes])

    try:
        update(deps, order_id, decide)
    except NotFound as gone:
        raise missing if gone.code == "order_not_found" else gone from None
    return done[0]


def get_return(deps: Deps, return_id: str, storefront_id: str | None) -> Return:
    """A return as its storefront (or, with None, an operator) may see it."""
    ret = deps.uow.returns.get(return_id)
    if ret is None or (storefront_id is not None and ret.storefront_id != storefront_id):
        raise NotFound(f"no return {return_id}", code="return_not_found")
    return ret


def returns_of(deps: Deps, order_id: str, storefront_id: str) -> list[Return]:
    order = load(deps, order_id)
    if order.storefront_id != storefront_id:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return deps.uow.returns.of_order(order_id)


def decide_return(deps: Deps, return_id: str, decision: str, by: str, reason: str | None = None) -> Return:
    """An operator approves (the label is booked) or rejects a return held for review."""

    def act(order: Order, ret: Return) -> tuple[Change, list[Write]]:
        if decision == "reject":
            return returns.reject(ret, reason or "rejected by an operator", deps.now(), by), []
        change = returns.approve(ret, deps.now(), by)
        if change:
            change.then(_label(deps, order, ret))
        return change, []

    return _on_return(deps, return_id, act)


def receive_return(deps: Deps, partner: Partner, receipt: ReturnReceipt, event_id: str) -> str:
    """The location took the parcel in: resellable units back on hand there, damaged ones quarantined;
    then the refund. A redelivery refunds what a first delivery could not."""
    key = f"{partner.partner_id}:{event_id}"

    def act(order: Order, ret: Return) -> tuple[Change, list[Write]]:
        lines = [ReceivedLine(sku=ln.sku, quantity=ln.quantity, condition=ln.condition) for ln in receipt.lines]
        got = returns.received(ret, receipt.location_id, lines, key, deps.now())
        audit = {"reason": "returned", "return_id": ret.return_id, "order_id": order.order_id}
        actor, at = f"partner:{partner.partner_id}", deps.now()
        # One stock write per sku: its resellable units on hand, its damaged ones quarantined.
        writes: list[Write] = [
            ReceiveUnits(
                sku,
                got.location_id,
                got.restock.get(sku, 0),
                audit | {"delta": got.restock.get(sku, 0), "quarantined": got.quarantine.get(sku, 0)},
                actor,
                at,
                quarantine=got.quarantine.get(sku, 0),
            )
            for sku in sorted(set(got.restock) | set(got.quarantine))
        ]
        return got.change, writes

    try:
        _on_return(deps, receipt.return_id, act)
    except AlreadyApplied:
        pass  # received before: the refund below may still be owed
    except (Conflict, Unprocessable) as wrong:  # not approved, already received, not what was approved
        return f"refused: {wrong.detail}"
    refunded = refund_return(deps, receipt.return_id)
    return f"received; {refunded}"


def refund_return(deps: Deps, return_id: str) -> str:
    """Refund a received return through the payment port (an invoice order: a credit note to the ERP and a
    lower open balance). A refusal is recorded on the return for an operator, who may ask again."""
    ret = deps.uow.returns.get(return_id)
    if ret is None:
        raise NotFound(f"no return {return_id}", code="return_not_found")
    if ret.status != "received":
        return f"return {ret.status}"
    order = load(deps, ret.order_id)
    split = returns.refund_due(
        ret, order, policy_of(deps, order.storefront_id), deps.uow.returns.of_order(order.order_id)
    )
    refund_id: str | None = None
    if split.total and order.payment.method == "invoice":
        refund_id = _credit_note(deps, order, ret, split.total)
    elif split.total:
        try:
            refund = deps.partners(order.storefront_id).payment.refund(
                RefundRequest(
                    order_id=order.order_id,
                    authorization_id=order.payment.authorization_id or "",
                    method=order.payment.method,
                    amount=split.total,
                    currency=order.currency,
                    captured=order.payment.captured,
                    idempotency_key=f"{ret.return_id}:refund",
                    refunded_before=order.payment.refunded,
                    reason=f"return {ret.return_id}",
                    token=order.payment.token,
                )
            )
        except (RefundFailed, PartnerRefused) as refused:
            why = refused.detail
            _on_return(deps, return_id, lambda _, r: (returns.refund_failed(r, why, deps.now()), []))
            return f"refund refused: {why}"
        refund_id = refund.refund_id

    def act(order: Order, ret: Return) -> tuple[Change, list[Write]]:
        change = returns.refunded(ret, split, refund_id, deps.now())
        if change:
            order.payment.refunded += split.total
            if order.payment.captured and order.payment.refunded >= order.payment.captured:
                order.payment.status = "refunded"
        return change, []

    _on_return(deps, return_id, act)
    return f"refunded {split.total}"


def _credit_note(deps: Deps, order: Order, ret: Return, amount: int) -> str:
    note_id = f"cn_{ret.return_id}"
    deps.partners(order.storefront_id).erp.publish(
        ErpEvent(
            type="credit_note.issued",
            occurred_at=deps.now(),
            idempotency_key=f"{ret.return_id}:credit-note",
            data={
                "credit_note_id": note_id,
                "order_id": order.order_id,
                "return_id": ret.return_id,
                "customer_id": order.customer.id,
                "po_number": order.po_number,
                "amount": amount,
                "currency": order.currency,
            },
        )
    )
    return note_id


def attention(deps: Deps, limit: int = 100) -> list[Return]:
    return deps.uow.returns.attention(limit)


def refused_at_door(deps: Deps, order_id: str, shipment_id: str) -> Return | None:
    """A cash-on-delivery parcel the customer refused: it comes back as a return already on its way, to
    the location that shipped it, that refunds nothing (nothing was paid). Once per shipment."""
    reason = f"refused at the door: shipment {shipment_id}"
    made: list[Return] = []

    def decide(order: Order) -> Step:
        earlier = deps.uow.returns.of_order(order_id)
        if any(r.reason == reason for r in earlier):
            return Step()
        shipment = next(s for s in order.shipments if s.shipment_id == shipment_id)
        now = deps.now()
        ret = Return(
            return_id=returns.return_id_for(order_id, len(earlier) + 1),
            order_id=order_id,
            storefront_id=order.storefront_id,
            status="in_transit",
            lines=[
                returns.ReturnLine(sku=ln.sku, quantity=ln.quantity, reason="refused at the door")
                for ln in shipment.lines
            ],
            reason=reason,
            location_id=shipment.location_id,
            decided_by="carrier",
            created_at=now,
            updated_at=now,
            decided_at=now,
            in_transit_at=now,
        )
        change = Change()
        change.note(now, "return.in_transit", publish=True, order_id=order_id, return_id=ret.return_id)
        made[:] = [ret]
        return Step(change=change, writes=[SaveReturn(ret, 0)])

    update(deps, order_id, decide)
    return made[0] if made else None
