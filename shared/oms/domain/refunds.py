"""What giving back units of an order refunds, to the minor unit: their goods, their tax and, per policy, shipping.

The rule. A return names skus, so an order's lines of one sku count as one line. Each line is worth its
goods (`line_total`), their tax (`tax`), and a share of the order's shipping fee and of the tax on it (the
order's tax less its lines' tax), the fee shared over every unit of the order alike. Shares over lines
are split by largest remainder: each line takes the floor of its exact share and the minor units left go
to the largest remainders (ties to the line first on the order), so the shares sum exactly to the fee.

Within a line of q units, the first n units are worth, per part P (goods, tax, shipping, shipping tax),
floor(P * n / q): each unit takes the floor of P / q and the last unit takes the remainder. A refund is
that cumulative figure after this return less what the line already refunded, so returning every unit
one at a time refunds exactly what returning them all at once would, and no minor unit is refunded twice.
`refunded` (what earlier refunds of the order gave back per line, see `refunded_so_far`) is therefore
part of the input, never a guess.

Never more than was captured. A unit refunds only what its shipment was paid: each shipment's capture
pays the goods and tax of its units first and then the shipping it carries (whichever shipment that is),
so a line's captured value is its goods and tax times the paid share of each of its shipments, plus its
shipping share times the paid share of the order's shipping. A shipment never captured pays nothing, so
cancelling units not yet paid refunds 0 (their authorization is voided instead). A line's cumulative
refund stops at its captured value (its parts then split in proportion, largest remainder again), and a
refund as a whole at what the order captured and has not refunded (payment.captured - payment.refunded):
if that bites (money refunded outside returns), the lines last on the order give way first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from oms.domain.errors import Unprocessable
from oms.domain.orders import Order

PARTS = ("goods", "tax", "shipping", "shipping_tax")


@dataclass(frozen=True)
class LineRefund:
    """Units of one sku refunded (or to refund) and the money for them, per part, in minor units."""

    sku: str
    quantity: int = 0
    goods: int = 0
    tax: int = 0
    shipping: int = 0
    shipping_tax: int = 0

    @property
    def total(self) -> int:
        return self.goods + self.tax + self.shipping + self.shipping_tax

    def parts(self) -> tuple[int, int, int, int]:
        return self.goods, self.tax, self.shipping, self.shipping_tax

    def __add__(self, other: LineRefund) -> LineRefund:
        if other.sku != self.sku:
            raise ValueError(f"cannot add a refund of {other.sku} to one of {self.sku}")
        return LineRefund(
            self.sku, self.quantity + other.quantity, *(a + b for a, b in zip(self.parts(), other.parts(), strict=True))
        )

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)} | {"total": self.total}


@dataclass(frozen=True)
class RefundSplit:
    """One refund: its lines in the order's line order; every total is the exact sum of its parts."""

    lines: tuple[LineRefund, ...]

    def _sum(self, part: str) -> int:
        return sum(getattr(line, part) for line in self.lines)

    @property
    def goods(self) -> int:
        return self._sum("goods")

    @property
    def tax(self) -> int:
        return self._sum("tax")

    @property
    def shipping(self) -> int:
        return self._sum("shipping")

    @property
    def shipping_tax(self) -> int:
        return self._sum("shipping_tax")

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {part: self._sum(part) for part in PARTS} | {
            "total": self.total,
            "lines": [line.as_dict() for line in self.lines],
        }


@dataclass(frozen=True)
class LineValue:
    """What one sku of an order is worth in full, per part, and how much of that was captured."""

    sku: str
    quantity: int
    goods: int
    tax: int
    shipping: int
    shipping_tax: int
    captured: int

    @property
    def total(self) -> int:
        return self.goods + self.tax + self.shipping + self.shipping_tax


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` into integers that sum exactly to `total`: each part the
    floor of its exact share, the units left over to the largest remainders (ties to the first)."""
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError(f"cannot split {total} over weights that are all zero")
        return [0] * len(weights)
    split = [divmod(total * weight, whole) for weight in weights]
    parts = [floor for floor, _ in split]
    left = total - sum(parts)
    for i in sorted(range(len(split)), key=lambda i: -split[i][1])[:left]:  # sorted is stable: ties to the first
        parts[i] += 1
    return parts


def line_values(order: Order) -> dict[str, LineValue]:
    """Each sku of the order (in the order of its lines) with its full worth and its captured value."""
    merged: dict[str, list[int]] = {}  # sku -> [quantity, goods, tax]
    for line in order.lines:
        quantity, goods, tax = merged.setdefault(line.sku, [0, 0, 0])
        merged[line.sku] = [quantity + line.quantity, goods + line.line_total, tax + line.tax]
    units = [quantity for quantity, _, _ in merged.values()]
    fee_tax = max(0, order.totals.tax - sum(line.tax for line in order.lines))
    fee = order.totals.shipping
    shipping = largest_remainder(fee, units) if any(units) else [0] * len(units)
    shipping_tax = largest_remainder(fee_tax, units) if any(units) else [0] * len(units)
    goods_paid, fee_paid = _paid(order, merged)
    fee_share = min(Fraction(1), fee_paid / (fee + fee_tax)) if fee + fee_tax else Fraction(0)
    values = {}
    for (sku, (quantity, goods, tax)), ship, ship_tax in zip(merged.items(), shipping, shipping_tax, strict=True):
        captured = goods_paid[sku] + (ship + ship_tax) * fee_share
        values[sku] = LineValue(
            sku, quantity, goods, tax, ship, ship_tax, min(int(captured), goods + tax + ship + ship_tax)
        )
    return values


def _paid(order: Order, merged: Mapping[str, list[int]]) -> tuple[dict[str, Fraction], Fraction]:
    """What the captures paid: per sku of its goods and tax, and in all of the shipping. A sku's goods and
    tax are split over its shipments by units in integers (largest remainder), as `allocate_values` set
    the shipments' values, so whatever a shipment is worth beyond its goods is the shipping it carries;
    a partly captured shipment paid its goods before that shipping."""
    content: list[dict[str, int]] = [{} for _ in order.shipments]
    for sku, (_, goods, tax) in merged.items():
        units = [sum(ln.quantity for ln in s.lines if ln.sku == sku) for s in order.shipments]
        if any(units):
            for held, amount in zip(content, largest_remainder(goods + tax, units), strict=True):
                held[sku] = amount
    goods_paid = {sku: Fraction(0) for sku in merged}
    fee_paid = Fraction(0)
    for shipment, held in zip(order.shipments, content, strict=True):
        paid = max(0, min(shipment.captured, shipment.value))
        worth = sum(held.values())
        for sku, amount in held.items():  # free goods (worth 0) take nothing
            goods_paid[sku] += amount * min(Fraction(1), Fraction(paid, worth)) if worth else Fraction(0)
        fee_paid += max(0, paid - worth)
    return goods_paid, fee_paid


def refund_for(
    order: Order,
    units: Mapping[str, int],
    *,
    refund_shipping: bool,
    refunded: Mapping[str, LineRefund] | None = None,
) -> RefundSplit:
    """The refund of `units` (per sku) given back, on top of what the order's earlier refunds gave back
    (`refunded`, per sku: units and money). Raises Unprocessable `invalid_quantity` for a count below 1,
    `not_refundable` for a sku not on the order or more units than are left to refund."""
    refunded = refunded or {}
    values = line_values(order)
    _check(order, values, units, refunded)
    budget = max(0, order.payment.captured - order.payment.refunded)
    lines = []
    for sku in (sku for sku in values if sku in units):
        before = refunded.get(sku, LineRefund(sku))
        target = _cumulative(values[sku], before.quantity + units[sku], refund_shipping)
        due = min(budget, max(0, sum(target) - before.total))
        budget -= due
        # Room per part: what the part may still take. In the usual case the rooms sum to `due` exactly.
        rooms = [max(0, t - b) for t, b in zip(target, before.parts(), strict=True)]
        lines.append(LineRefund(sku, units[sku], *largest_remainder(due, rooms)))
    return RefundSplit(tuple(lines))


def _cumulative(value: LineValue, n: int, refund_shipping: bool) -> list[int]:
    """What the first `n` units of a line refund in all, per part, at most the line's captured value."""
    keep = 1 if refund_shipping else 0
    full = (value.goods, value.tax, value.shipping * keep, value.shipping_tax * keep)
    target = [part * n // value.quantity for part in full]
    if sum(target) > value.captured:
        target = largest_remainder(value.captured, target)
    return target


def _check(
    order: Order, values: Mapping[str, LineValue], units: Mapping[str, int], refunded: Mapping[str, LineRefund]
) -> None:
    for sku, count in units.items():
        value = values.get(sku)
        if value is None:
            raise Unprocessable(f"order {order.order_id} has no {sku} to refund", code="not_refundable", sku=sku)
        if count < 1:
            raise Unprocessable(f"refund at least one unit of {sku}, not {count}", code="invalid_quantity", sku=sku)
        left = value.quantity - refunded.get(sku, LineRefund(sku)).quantity
        if count > left:
            raise Unprocessable(
                f"order {order.order_id} has {max(0, left)} unit(s) of {sku} left to refund, not {count}",
                code="not_refundable",
                sku=sku,
                refundable=max(0, left),
            )


def refunded_so_far(refunds: Iterable[RefundSplit]) -> dict[str, LineRefund]:
    """What earlier refunds gave back, per sku: the `refunded` input of the next one."""
    total: dict[str, LineRefund] = {}
    for refund in refunds:
        for line in refund.lines:
            total[line.sku] = total.get(line.sku, LineRefund(line.sku)) + line
    return total
