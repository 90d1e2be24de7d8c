"""A new order from a checkout request and the plan that sources it: priced, split into shipments."""

from __future__ import annotations

from collections.abc import Sequence

from oms.domain.models import CheckoutRequest
from oms.domain.money import allocate_values
from oms.domain.orders import AwaitedUnits, Order, OrderLine, PaymentState, Shipment, ShipmentLine, Totals
from oms.domain.pricing import price
from oms.domain.routing import Plan
from oms.ids import new_id
from oms.ports.tax import TaxCalculator


def build_order(
    request: CheckoutRequest,
    storefront_id: str,
    plan: Plan,
    tax: TaxCalculator,
    now: str,
    stocked: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    waits: Sequence[list[AwaitedUnits]] = (),
) -> Order:
    """The order for a plan; `stocked` names the (sku, location) pairs that hold stock records (reserved);
    `waits`, per shipment, the backordered units it waits for (reserved once they arrive)."""
    waits = list(waits) or [[] for _ in plan.shipments]
    totals = price(
        request.lines,
        request.currency,
        request.shipping_address,
        request.customer,
        request.service_level,
        len(plan.shipments),
        tax,
    )
    goods_tax = [t.tax for t in totals.tax_quote.lines if t.kind == "goods"]
    order = Order(
        order_id=new_id("ord"),
        storefront_id=storefront_id,
        customer=request.customer,
        lines=[
            OrderLine(
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                line_total=total,
                tax=line_tax,
                note=ln.note,
            )
            for ln, total, line_tax in zip(request.lines, totals.lines, goods_tax, strict=True)
        ],
        currency=request.currency,
        totals=Totals(**totals.as_dict()),
        shipments=[
            Shipment(
                shipment_id=f"{i + 1}",
                location_id=s.location_id,
                service_level=request.service_level,
                lines=[
                    ShipmentLine(
                        sku=ln.sku,
                        quantity=ln.quantity,
                        reserved=(ln.sku, s.location_id) in stocked or any(w.sku == ln.sku for w in waits[i]),
                    )
                    for ln in s.lines
                ],
                awaiting=waits[i],
                build_instructions=s.build_instructions,
                made_to_order=s.made_to_order,
                promised_by=s.promised_by,
            )
            for i, s in enumerate(plan.shipments)
        ],
        payment=PaymentState(method=request.payment.method, token=request.payment.token),
        shipping_address=request.shipping_address,
        service_level=request.service_level,
        po_number=request.po_number,
        ship_complete=request.ship_complete,
        hold_id=request.hold_id,
        routing=plan.explanation,
        created_at=now,
        updated_at=now,
    )
    allocate_values(order)
    return order
