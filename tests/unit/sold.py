"""Orders as they stand after the sale (shipped, paid, delivered): the one builder of the returns tests."""

from __future__ import annotations

from collections.abc import Sequence

from oms.domain.models import Address, Customer
from oms.domain.money import allocate_values
from oms.domain.orders import Order, OrderLine, PaymentState, Shipment, ShipmentLine, ShipmentStatus, Totals

CREATED = "2026-11-01T00:00:00Z"
DELIVERED = "2026-11-05T10:00:00Z"


def sold(
    lines: Sequence[tuple[str, int, int]],
    shipping: int = 1000,
    tax_percent: int = 12,
    shipments: Sequence[Sequence[tuple[str, int]]] | None = None,
    delivered_at: str | None = DELIVERED,
    status: ShipmentStatus = "delivered",
) -> Order:
    """An order of `lines` (sku, quantity, unit price), taxed at `tax_percent` (shipping too, rounded down),
    in `shipments` (default: one with every line), each captured in full and in `status`."""
    order_lines = [
        OrderLine(sku=sku, quantity=qty, unit_price=price, line_total=qty * price, tax=qty * price * tax_percent // 100)
        for sku, qty, price in lines
    ]
    subtotal = sum(line.line_total for line in order_lines)
    tax = sum(line.tax for line in order_lines) + shipping * tax_percent // 100
    plan = shipments if shipments is not None else [[(sku, qty) for sku, qty, _ in lines]]
    order = Order(
        order_id="ord_1",
        storefront_id="sf_1",
        status="delivered",
        customer=Customer(id="c-1", email="ana@example.com"),
        lines=order_lines,
        currency="PHP",
        totals=Totals(subtotal=subtotal, tax=tax, shipping=shipping, total=subtotal + tax + shipping),
        shipments=[
            Shipment(
                shipment_id=str(i + 1),
                location_id=f"wh-{i + 1}",
                service_level="standard",
                lines=[ShipmentLine(sku=sku, quantity=qty) for sku, qty in units],
                status=status,
                delivered_at=delivered_at if status == "delivered" else None,
            )
            for i, units in enumerate(plan)
        ],
        payment=PaymentState(method="card", status="captured"),
        shipping_address=Address(name="Ana", line1="1 Ayala Ave", city="Makati", postal_code="1226", country="PH"),
        service_level="standard",
        created_at=CREATED,
        updated_at=DELIVERED,
    )
    allocate_values(order)
    for shipment in order.shipments:
        shipment.captured = shipment.value
    order.payment.authorized = order.payment.captured = order.totals.total
    return order


def capture(order: Order, captured: Sequence[int]) -> Order:
    """The order with each shipment captured as given (the order's capture their sum)."""
    for shipment, amount in zip(order.shipments, captured, strict=True):
        shipment.captured = amount
    order.payment.captured = sum(captured)
    return order
