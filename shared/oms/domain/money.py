"""An order's money split over its shipments, in integer minor units, so capturing each shipment
captures exactly the order's total."""

from __future__ import annotations

from oms.domain.orders import Order


def allocate_values(order: Order) -> None:
    """Split the order total over its shipments so capturing every shipment captures exactly the total.

    Goods and their tax follow the units (largest remainder, so no minor unit is lost); shipping and its
    tax go with the first shipment, the one that makes the order's first trip.
    """
    goods: dict[str, int] = {}
    units: dict[str, int] = {}
    for line in order.lines:
        goods[line.sku] = goods.get(line.sku, 0) + line.line_total + line.tax
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    values = {s.shipment_id: 0 for s in order.shipments}
    for sku, amount in goods.items():
        shares = [(s.shipment_id, sum(ln.quantity for ln in s.lines if ln.sku == sku)) for s in order.shipments]
        # Integer division only: each share's floor and remainder of amount * qty / units, exactly.
        split = {sid: divmod(amount * qty, units[sku]) for sid, qty in shares if qty}
        left = amount - sum(floor for floor, _ in split.values())
        # The largest remainders get the minor units left (ties by shipment order: deterministic).
        for sid in sorted(split, key=lambda sid: -split[sid][1])[:left]:
            values[sid] += 1
        for sid, (floor, _) in split.items():
            values[sid] += floor
    values[order.shipments[0].shipment_id] += order.totals.total - sum(goods.values())
    for shipment in order.shipments:
        shipment.value = values[shipment.shipment_id]
