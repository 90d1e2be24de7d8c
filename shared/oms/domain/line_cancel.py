"""Cancelling some units of an order before they are packed: which shipments give them up, and what the
order then costs.

Units are taken from the shipments furthest from leaving first (allocated, then booked, then released),
never from one packed or gone. Each cancelled unit takes its goods (its unit price) and its share of
the line's tax (the line's tax times the units cancelled over the units it had, rounded down, so the last
unit takes the remainder and cancelling every unit one at a time takes the whole tax); the order's
totals, the line and the shipment's value fall by exactly that, and that is the authorization to give
back. Shipping is kept (the order still travels); if the shipment that carried it is emptied, its
shipping moves to the next live one. Backordered units are not cancelled here (their promise is whole:
the order's cancel gives it back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from oms.domain.change import Change
from oms.domain.errors import Conflict, Unprocessable
from oms.domain.lifecycle import DEAD_SHIPMENT, GONE, live
from oms.domain.orders import Order, Shipment

_ORDER = {"allocated": 0, "booked": 1, "released": 2}  # furthest from leaving first


class NotCancellableUnits(Conflict):
    code, title = "units_not_cancellable", "Units not cancellable"


@dataclass
class Cancellation:
    """What a line cancel did: the change to record, each shipment's cancelled units, and the money."""

    change: Change = field(default_factory=Change)
    taken: dict[str, dict[str, int]] = field(default_factory=dict)  # shipment id -> sku -> units
    emptied: list[str] = field(default_factory=list)  # shipments with nothing left
    amount: int = 0  # goods and tax given up: the authorization to give back

    def units(self) -> int:
        return sum(sum(units.values()) for units in self.taken.values())


def cancellable(order: Order) -> dict[str, int]:
    """Units per sku that may still be cancelled: in shipments not packed, not waiting for backorders."""
    units: dict[str, int] = {}
    for shipment in _candidates(order):
        waiting = {unit.sku for unit in shipment.awaiting}
        for line in shipment.lines:
            if line.sku not in waiting:
                units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


def _candidates(order: Order) -> list[Shipment]:
    found = [s for s in order.shipments if s.status in _ORDER]
    return sorted(found, key=lambda s: (_ORDER[s.status], -int(s.shipment_id) if s.shipment_id.isdigit() else 0))


def cancel_units(order: Order, wanted: Mapping[str, int], at: str) -> Cancellation:
    """Cancel `wanted` units per sku, or refuse with nothing changed: 422 `sku_not_on_order`, 409
    `units_not_cancellable` (more than may still be cancelled, with each sku's figures)."""
    on_order = {line.sku for line in order.lines}
    unknown = sorted(set(wanted) - on_order)
    if unknown:
        raise Unprocessable(f"order {order.order_id} has no {', '.join(unknown)}", code="sku_not_on_order")
    free = cancellable(order)
    short = [
        {"sku": sku, "requested": n, "cancellable": free.get(sku, 0)}
        for sku, n in wanted.items()
        if n > free.get(sku, 0)
    ]
    if short:
        raise NotCancellableUnits(
            "some units are packed, shipped, waiting for backordered stock or already cancelled", lines=short
        )
    done = Cancellation()
    for sku, n in wanted.items():
        left = n
        for shipment in _candidates(order):
            if not left or any(unit.sku == sku for unit in shipment.awaiting):
                continue
            for line in shipment.lines:
                if line.sku == sku and left:
                    take = min(left, line.quantity)
                    line.quantity -= take
                    left -= take
                    taken = done.taken.setdefault(shipment.shipment_id, {})
                    taken[sku] = taken.get(sku, 0) + take
            shipment.lines = [line for line in shipment.lines if line.quantity]
    for shipment_id, units in done.taken.items():
        shipment = next(s for s in order.shipments if s.shipment_id == shipment_id)
        value = sum(_shrink_line(order, sku, units_) for sku, units_ in units.items())
        shipment.value -= value
        done.amount += value
        if not shipment.lines:
            done.emptied.append(shipment_id)
    _move_shipping(order, done.emptied)
    # Goods and their tax leave the totals; shipping and its tax stay.
    totals = order.totals
    totals.subtotal = sum(line.line_total for line in order.lines)
    totals.total -= done.amount
    totals.tax = totals.total - totals.subtotal - totals.shipping
    done.change.note(
        at,
        "order.lines_cancelled",
        publish=True,
        order_id=order.order_id,
        lines=[{"sku": sku, "quantity": n} for sku, n in wanted.items()],
        amount=done.amount,
        shipments=sorted(done.taken),
    )
    return done


def _shrink_line(order: Order, sku: str, units: int) -> int:
    """Take `units` off the sku's line: their goods, and their share of its tax (the last units: the rest).
    Answers what they cost."""
    line = next(line for line in order.lines if line.sku == sku and line.quantity)
    tax = line.tax if units >= line.quantity else line.tax * units // line.quantity
    goods = line.unit_price * units
    line.quantity, line.line_total, line.tax = line.quantity - units, line.line_total - goods, line.tax - tax
    return goods + tax


def _move_shipping(order: Order, emptied: list[str]) -> None:
    """An emptied shipment that carried the shipping hands it (what is left of its value) to the next live one."""
    for shipment_id in emptied:
        shipment = next(s for s in order.shipments if s.shipment_id == shipment_id)
        rest = shipment.value - shipment.captured
        heir = next(
            (s for s in live(order) if s.shipment_id not in emptied and s.status not in GONE | DEAD_SHIPMENT), None
        )
        if rest > 0 and heir is not None:
            heir.value += rest
            shipment.value -= rest
