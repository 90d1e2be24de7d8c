"""The lifecycle transitions, on plain orders: idempotent, ordered, and money that adds up."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain import lifecycle
from oms.domain.errors import Conflict
from oms.domain.models import Address, Customer
from oms.domain.money import allocate_values
from oms.domain.orders import Order, OrderLine, PaymentState, Shipment, ShipmentLine, Totals

AT = "2026-11-26T00:00:00Z"


def order(shipments: list[list[tuple[str, int]]], prices: dict[str, int] | None = None, shipping: int = 9900) -> Order:
    prices = prices or {}
    units: dict[str, int] = {}
    for lines in shipments:
        for sku, qty in lines:
            units[sku] = units.get(sku, 0) + qty
    order_lines = [
        OrderLine(
            sku=sku,
            quantity=qty,
            unit_price=prices.get(sku, 1000),
            line_total=qty * prices.get(sku, 1000),
            tax=qty * prices.get(sku, 1000) * 12 // 100,
        )
        for sku, qty in units.items()
    ]
    subtotal = sum(ln.line_total for ln in order_lines)
    tax = sum(ln.tax for ln in order_lines) + shipping * 12 // 100
    result = Order(
        order_id="ord_1",
        storefront_id="sf",
        customer=Customer(id="c", email="a@b.co"),
        lines=order_lines,
        currency="PHP",
        totals=Totals(subtotal=subtotal, tax=tax, shipping=shipping, total=subtotal + tax + shipping),
        shipments=[
            Shipment(
                shipment_id=str(i + 1),
                location_id=f"loc{i}",
                service_level="standard",
                lines=[ShipmentLine(sku=sku, quantity=qty) for sku, qty in lines],
            )
            for i, lines in enumerate(shipments)
        ],
        payment=PaymentState(method="card", token="tok_visa"),
        shipping_address=Address(name="A", line1="1", city="M", postal_code="1226", country="PH"),
        service_level="standard",
        created_at=AT,
        updated_at=AT,
    )
    allocate_values(result)
    return result


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 7)), min_size=1, max_size=3), min_size=1, max_size=4
    ),
    st.integers(0, 10_000),
)
def test_shipment_values_add_up_to_the_order_total_exactly(
    shipments: list[list[tuple[str, int]]], shipping: int
) -> None:
    placed = order(shipments, {"A": 333, "B": 1999, "C": 7}, shipping)
    assert sum(s.value for s in placed.shipments) == placed.totals.total
    assert all(s.value >= 0 for s in placed.shipments)


def released(placed: Order) -> Order:
    lifecycle.authorized(placed, "auth_1", placed.totals.total, AT)
    for shipment in placed.shipments:
        lifecycle.booked(placed, shipment.shipment_id, "Sandbox", "T1", "L1", f"bk{shipment.shipment_id}", AT)
        lifecycle.released(placed, shipment.shipment_id, AT)
    return placed


def ship(placed: Order, shipment_id: str) -> None:
    shipment = lifecycle.shipment_of(placed, shipment_id)
    lifecycle.packed(placed, shipment_id, AT)
    lifecycle.captured(placed, shipment_id, f"cap{shipment_id}", shipment.value, AT)
    lifecycle.shipped(placed, shipment_id, AT)


def test_an_order_is_processing_once_every_shipment_is_released() -> None:
    placed = order([[("A", 1)], [("B", 1)]])
    lifecycle.authorized(placed, "auth_1", placed.totals.total, AT)
    lifecycle.booked(placed, "1", "Sandbox", "T1", "L1", "bk1", AT)
    lifecycle.released(placed, "1", AT)
    assert placed.status == "accepted"
    lifecycle.booked(placed, "2", "Sandbox", "T2", "L2", "bk2", AT)
    change = lifecycle.released(placed, "2", AT)
    assert placed.status == "processing"
    assert [e.type for e in change.entries] == ["shipment.released", "order.processing"]


def test_applying_a_transition_twice_changes_nothing_the_second_time() -> None:
    placed = released(order([[("A", 2)]]))
    assert lifecycle.packed(placed, "1", AT)
    assert not lifecycle.packed(placed, "1", AT)
    assert lifecycle.captured(placed, "1", "cap1", placed.shipments[0].value, AT)
    assert not lifecycle.captured(placed, "1", "cap1", placed.shipments[0].value, AT)
    assert placed.payment.captured == placed.totals.total


def test_a_split_order_is_partially_shipped_then_shipped_then_delivered() -> None:
    placed = released(order([[("A", 1)], [("B", 1)]]))
    ship(placed, "1")
    assert (placed.status, placed.payment.status) == ("partially_shipped", "partially_captured")
    ship(placed, "2")
    assert (placed.status, placed.payment.status) == ("shipped", "captured")
    lifecycle.delivered(placed, "1", AT)
    assert placed.status == "shipped"
    change = lifecycle.delivered(placed, "2", AT)
    assert placed.status == "delivered"
    assert "order.delivered" in [e.type for e in change.entries]


def test_an_event_that_comes_too_early_is_not_lost_but_deferred() -> None:
    placed = released(order([[("A", 1)]]))
    with pytest.raises(lifecycle.NotYet):
        lifecycle.delivered(placed, "1", AT)
    lifecycle.packed(placed, "1", AT)
    with pytest.raises(lifecycle.NotYet):
        lifecycle.shipped(placed, "1", AT)  # not paid yet


def test_a_capture_above_the_authorization_is_refused() -> None:
    placed = released(order([[("A", 1)]]))
    lifecycle.packed(placed, "1", AT)
    with pytest.raises(Conflict):
        lifecycle.captured(placed, "1", "cap", placed.totals.total + 1, AT)


def test_an_order_can_be_cancelled_until_a_shipment_is_packed_and_being_paid_for() -> None:
    placed = released(order([[("A", 1)], [("B", 1)]]))
    lifecycle.close(placed.model_copy(deep=True), "cancelled", "changed mind", AT)  # released: still possible
    lifecycle.packed(placed, "1", AT)
    with pytest.raises(lifecycle.NotCancellable):  # its ship phase is capturing the payment
        lifecycle.close(placed.model_copy(deep=True), "cancelled", "changed mind", AT)
    lifecycle.capture_failed(placed, "1", "card expired", AT)
    lifecycle.close(placed.model_copy(deep=True), "cancelled", "changed mind", AT)  # waits unpaid: possible
    ship(placed, "1")
    with pytest.raises(lifecycle.NotCancellable):
        lifecycle.close(placed, "cancelled", "changed mind", AT)


def test_closing_cancels_every_open_shipment_and_frees_the_whole_authorization() -> None:
    placed = released(order([[("A", 1)], [("B", 1)]]))
    lifecycle.close(placed, "rejected", "fraud", AT)
    assert {s.status for s in placed.shipments} == {"cancelled"}
    assert lifecycle.open_authorization(placed) == placed.totals.total
    lifecycle.voided(placed, lifecycle.open_authorization(placed), AT)
    assert (placed.payment.status, placed.payment.authorized) == ("voided", 0)
    with pytest.raises(lifecycle.OrderClosed):
        lifecycle.booked(placed, "1", "x", "y", "z", "new-booking", AT)


def test_dropping_the_last_open_shipment_cancels_the_order_and_leaves_the_rest_to_capture() -> None:
    placed = released(order([[("A", 1)], [("B", 1)]]))
    ship(placed, "1")
    lifecycle.drop_shipment(placed, "2", "no stock anywhere", AT)
    assert placed.status == "shipped"
    assert lifecycle.open_authorization(placed) == placed.shipments[1].value


def test_shipment_values_are_split_in_integers_exact_past_a_floats_precision() -> None:
    # 2**60 + 1 minor units over 3 units: a float cannot hold a third of it; divmod can.
    placed = order([[("A", 1)], [("A", 2)]], {"A": (2**60 + 1) // 3}, 0)
    goods = sum(ln.line_total + ln.tax for ln in placed.lines)
    first, second = (s.value for s in placed.shipments)
    assert first + second == placed.totals.total
    assert abs(3 * first - goods) < 3 and abs(3 * second - 2 * goods) < 3  # each within a minor unit of its share
