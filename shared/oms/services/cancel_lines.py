"""Cancelling units of an order not yet packed: the stock goes back, an emptied shipment is cancelled and a
shrunk one booked and released again with what is left, and the authorization gives back their money.

One commit changes the order with the stock it releases (oms.domain.line_cancel says which units and what
they cost); the partners are told after it (bookings cancelled, releases recalled, the partial void),
each call idempotent by a key naming this cancel, so a retry repeats nothing.
"""

from __future__ import annotations

from oms.domain import lifecycle, line_cancel
from oms.domain.errors import NotFound
from oms.domain.orders import Order, Shipment
from oms.ports import phases
from oms.ports.payment import VoidRequest
from oms.ports.unit_of_work import Reservation, Write
from oms.services.compensate import close
from oms.services.deps import Deps
from oms.services.steps import Step, begin, idempotency_key, load, require_open, update
from oms.services.undo import undo_partners

CANCELLED = "order.lines_cancelled"


def cancel_lines(deps: Deps, order_id: str, wanted: dict[str, int], storefront_id: str | None) -> Order:
    """Cancel `wanted` units per sku of the order (of this storefront when one is named)."""
    before = load(deps, order_id)
    if storefront_id is not None and before.storefront_id != storefront_id:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    require_open(before)
    left = sum(line.quantity for line in before.lines)
    if sum(wanted.values()) >= left and wanted == {ln.sku: ln.quantity for ln in before.lines}:
        lifecycle.check_cancellable(before)
        return close(deps, order_id, "cancelled", "every unit cancelled")  # nothing left to send
    touched: list[Shipment] = []

    def decide(order: Order) -> Step:
        require_open(order)
        was = {s.shipment_id: s.model_copy(deep=True) for s in order.shipments}
        done = line_cancel.cancel_units(order, wanted, deps.now())
        change = done.change
        writes: dict[tuple[str, str], int] = {}
        for shipment_id, units in done.taken.items():
            old = was[shipment_id]
            reserved = {line.sku for line in old.lines if line.reserved}
            for sku, n in units.items():
                if sku in reserved:
                    writes[(sku, old.location_id)] = writes.get((sku, old.location_id), 0) + n
        for shipment_id in done.emptied:
            change.then(lifecycle.drop_shipment(order, shipment_id, "its units were cancelled", deps.now()))
        for shipment_id in done.taken:
            shipment = lifecycle.shipment_of(order, shipment_id)
            if shipment_id not in done.emptied and (shipment.booking_id or shipment.release_id):
                _unbook(shipment)  # booked and released again with what is left
        touched[:] = [was[sid] for sid in done.taken]
        change.then(lifecycle.voided(order, min(done.amount, _voidable(order)), deps.now()))
        stock: list[Write] = [Reservation(sku, loc, -n) for (sku, loc), n in sorted(writes.items())]
        return Step(change=change, writes=stock, result={"amount": done.amount})

    order, step = update(deps, order_id, decide, before)
    nth = str(sum(1 for entry in order.timeline if entry.type == CANCELLED))
    undo_partners(deps, before, [s for s in touched if s.booking_id or s.release_id])
    _void(deps, order, int(step.result.get("amount", 0)), nth)
    for shipment in touched:
        now = lifecycle.shipment_of(order, shipment.shipment_id)
        if now.status == "allocated" and order.payment.authorization_id and order.status not in ("on_hold",):
            sid = now.shipment_id
            begin(deps, order_id, phases.fulfil(order_id, order.storefront_id, "reroute", [sid], f"{sid}-less{nth}"))
    return order


def _unbook(shipment: Shipment) -> None:
    shipment.status = "allocated"
    shipment.booking_id = shipment.release_id = shipment.carrier = shipment.tracking_number = None
    shipment.label_ref = shipment.released_at = shipment.pack_by = None


def _voidable(order: Order) -> int:
    return max(0, order.payment.authorized - order.payment.captured) if order.payment.authorization_id else 0


def _void(deps: Deps, order: Order, amount: int, nth: str) -> None:
    if amount <= 0 or not order.payment.authorization_id:
        return
    deps.partners(order.storefront_id).payment.void(
        VoidRequest(
            order_id=order.order_id,
            authorization_id=order.payment.authorization_id,
            method=order.payment.method,
            idempotency_key=idempotency_key(order, "void", "lines", nth),
            amount=amount,
        )
    )
