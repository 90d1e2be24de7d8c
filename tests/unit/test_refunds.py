"""Refunds of returned units: the goods, their tax and shipping, to the minor unit, never beyond what was paid."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.errors import Unprocessable
from oms.domain.orders import Order
from oms.domain.refunds import LineRefund, RefundSplit, largest_remainder, line_values, refund_for, refunded_so_far
from tests.unit.sold import capture, sold

# Three lines, six units, shipping 1000 (+120 tax): the shipping shares are 1000 * 1/6, 2/6, 3/6.
THREE_LINES = [("JACKET", 1, 59900), ("SHIRT", 2, 33333), ("SOCKS", 3, 12345)]


def test_a_partial_return_of_a_three_line_order_refunds_each_part_to_the_minor_unit() -> None:
    order = sold(THREE_LINES)

    refund = refund_for(order, {"SHIRT": 1, "SOCKS": 2}, refund_shipping=True)

    # SHIRT: 66666 / 2, tax 7999 / 2 -> 3999, its shipping 333 / 2 -> 166 and 40 / 2 -> 20.
    # SOCKS: 37035 * 2/3, tax 4444 * 2/3 -> 2962, shipping 500 * 2/3 -> 333 and 60 * 2/3 -> 40.
    assert refund.lines == (
        LineRefund("SHIRT", 1, goods=33333, tax=3999, shipping=166, shipping_tax=20),
        LineRefund("SOCKS", 2, goods=24690, tax=2962, shipping=333, shipping_tax=40),
    )
    assert refund.total == 37518 + 28025


def test_the_last_unit_of_a_line_takes_the_remainder() -> None:
    order = sold(THREE_LINES)
    first = refund_for(order, {"SHIRT": 1}, refund_shipping=True)

    last = refund_for(order, {"SHIRT": 1}, refund_shipping=True, refunded=refunded_so_far([first]))

    assert last.lines == (LineRefund("SHIRT", 1, goods=33333, tax=4000, shipping=167, shipping_tax=20),)
    line = line_values(order)["SHIRT"]
    assert first.total + last.total == line.total == 66666 + 7999 + 333 + 40


def test_shipping_of_1000_over_three_single_unit_lines_is_334_333_333() -> None:
    order = sold([("A", 1, 500), ("B", 1, 500), ("C", 1, 500)], shipping=1000)

    shares = [refund_for(order, {sku: 1}, refund_shipping=True).shipping for sku in "ABC"]

    assert shares == [334, 333, 333]  # the unit left over goes to the first line: ties are deterministic


def test_shipping_of_1000_over_one_line_of_three_units_returned_one_at_a_time_is_333_333_334() -> None:
    order = sold([("A", 3, 500)], shipping=1000)
    refunds: list[RefundSplit] = []
    for _ in range(3):
        refunds.append(refund_for(order, {"A": 1}, refund_shipping=True, refunded=refunded_so_far(refunds)))

    assert [r.shipping for r in refunds] == [333, 333, 334]
    assert sum(r.total for r in refunds) == order.totals.total


def test_shipping_is_kept_when_the_policy_does_not_refund_it() -> None:
    order = sold(THREE_LINES)

    refund = refund_for(order, {"JACKET": 1, "SHIRT": 2, "SOCKS": 3}, refund_shipping=False)

    assert (refund.shipping, refund.shipping_tax) == (0, 0)
    assert refund.total == order.totals.subtotal + sum(line.tax for line in order.lines)


def test_returning_everything_with_shipping_refunds_the_order_total() -> None:
    order = sold(THREE_LINES)

    refund = refund_for(order, {"JACKET": 1, "SHIRT": 2, "SOCKS": 3}, refund_shipping=True)

    assert refund.total == order.totals.total
    assert refund.as_dict()["total"] == sum(line["total"] for line in refund.as_dict()["lines"])


def test_lines_of_the_same_sku_refund_as_one_line() -> None:
    order = sold([("A", 1, 1000), ("A", 2, 1000)], shipping=0)

    refund = refund_for(order, {"A": 3}, refund_shipping=True)

    assert refund.lines == (LineRefund("A", 3, goods=3000, tax=360),)


def test_units_of_a_shipment_never_captured_refund_nothing() -> None:
    # Shipment 1 carries the shipping (allocate_values) and was paid; shipment 2 was not.
    order = capture(sold([("A", 2, 1000)], shipping=9900, shipments=[[("A", 1)], [("A", 1)]]), [12208, 0])

    one = refund_for(order, {"A": 1}, refund_shipping=True)
    both = refund_for(order, {"A": 2}, refund_shipping=True)

    assert one.total == 1000 + 120 + 4950 + 594
    assert both.total == order.payment.captured == 12208


def test_a_half_captured_shipment_refunds_half_of_its_units() -> None:
    order = capture(sold([("A", 2, 1000)], shipping=9900, shipments=[[("A", 1)], [("A", 1)]]), [12208, 560])

    assert refund_for(order, {"A": 2}, refund_shipping=True).total == 12208 + 560


def test_a_cancel_of_units_never_paid_refunds_nothing() -> None:
    order = capture(sold([("A", 2, 1000), ("B", 1, 500)], shipments=[[("A", 2)], [("B", 1)]]), [0, 0])

    refund = refund_for(order, {"B": 1}, refund_shipping=True)

    assert refund.total == 0
    assert refund.lines == (LineRefund("B", 1),)  # the units are counted as given back all the same


def test_money_refunded_outside_returns_leaves_less_to_refund() -> None:
    order = sold([("A", 2, 1000)], shipping=0)
    order.payment.refunded = order.payment.captured - 100

    assert refund_for(order, {"A": 2}, refund_shipping=True).total == 100


@pytest.mark.parametrize(
    ("units", "refunded", "code"),
    [
        ({"HAT": 1}, {}, "not_refundable"),
        ({"SHIRT": 3}, {}, "not_refundable"),
        ({"SHIRT": 2}, {"SHIRT": LineRefund("SHIRT", 1, goods=33333)}, "not_refundable"),
        ({"SHIRT": 0}, {}, "invalid_quantity"),
    ],
    ids=["sku not on the order", "more than ordered", "more than left to refund", "no unit"],
)
def test_a_refund_the_order_cannot_cover_is_refused_by_name(
    units: dict[str, int], refunded: dict[str, LineRefund], code: str
) -> None:
    with pytest.raises(Unprocessable) as refused:
        refund_for(sold(THREE_LINES), units, refund_shipping=True, refunded=refunded)
    assert refused.value.code == code


def test_largest_remainder_gives_the_units_left_to_the_largest_remainders() -> None:
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert largest_remainder(100, [1, 2, 3]) == [17, 33, 50]  # 16.67, 33.33, 50: the .67 takes the unit
    assert largest_remainder(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError, match="all zero"):
        largest_remainder(1, [0, 0])


def test_refunds_of_different_skus_cannot_be_added() -> None:
    with pytest.raises(ValueError, match="cannot add"):
        _ = LineRefund("A", 1) + LineRefund("B", 1)


# -- properties ---------------------------------------------------------------------------------------


@st.composite
def orders(draw: st.DrawFn) -> Order:
    """A delivered order of 1-4 skus over 1-3 shipments, each shipment captured in full, in part, or not."""
    skus = [f"S{i}" for i in range(draw(st.integers(1, 4)))]
    lines = [(sku, draw(st.integers(1, 5)), draw(st.integers(0, 100_000))) for sku in skus]
    count = draw(st.integers(1, 3))
    plan: list[list[tuple[str, int]]] = [[] for _ in range(count)]
    for sku, quantity, _ in lines:
        for _ in range(quantity):
            plan[draw(st.integers(0, count - 1))].append((sku, 1))
    plan = [units for units in plan if units]
    order = sold(
        lines, shipping=draw(st.integers(0, 20_000)), tax_percent=draw(st.sampled_from([0, 7, 12])), shipments=plan
    )
    if draw(st.booleans()):
        capture(order, [draw(st.sampled_from([0, s.value, s.value // 3])) for s in order.shipments])
    return order


@st.composite
def returns(draw: st.DrawFn, order: Order) -> list[dict[str, int]]:
    """Every unit of the order given back, over several returns of random sizes."""
    left = {line.sku: line.quantity for line in line_values(order).values()}
    batches = []
    while left:
        # Drawn as what stays behind, so the simplest case is everything at once.
        batch = {sku: n - draw(st.integers(0, n)) for sku, n in left.items()}
        batch = {sku: n for sku, n in batch.items() if n} or {next(iter(left)): next(iter(left.values()))}
        for sku, n in batch.items():
            left[sku] -= n
        left = {sku: n for sku, n in left.items() if n}
        batches.append(batch)
    return batches


def _in_turn(order: Order, batches: list[dict[str, int]], refund_shipping: bool) -> list[RefundSplit]:
    refunds: list[RefundSplit] = []
    for batch in batches:
        refunds.append(refund_for(order, batch, refund_shipping=refund_shipping, refunded=refunded_so_far(refunds)))
    return refunds


@settings(max_examples=300, deadline=None)
@given(data=st.data(), refund_shipping=st.booleans())
def test_every_refund_is_the_exact_sum_of_its_parts(data: st.DataObject, refund_shipping: bool) -> None:
    order = data.draw(orders())
    for refund in _in_turn(order, data.draw(returns(order)), refund_shipping):
        assert refund.total == refund.goods + refund.tax + refund.shipping + refund.shipping_tax
        assert refund.total == sum(line.total for line in refund.lines)
        assert all(part >= 0 for line in refund.lines for part in line.parts())


@settings(max_examples=300, deadline=None)
@given(data=st.data(), refund_shipping=st.booleans())
def test_refunds_never_exceed_what_was_captured_per_line_and_per_order(
    data: st.DataObject, refund_shipping: bool
) -> None:
    order = data.draw(orders())
    refunds = _in_turn(order, data.draw(returns(order)), refund_shipping)
    values = line_values(order)
    for sku, line in refunded_so_far(refunds).items():
        assert line.total <= values[sku].captured
    assert sum(r.total for r in refunds) <= order.payment.captured
    assert sum(v.captured for v in values.values()) <= order.payment.captured


@settings(max_examples=300, deadline=None)
@given(data=st.data(), refund_shipping=st.booleans())
def test_returning_units_in_several_returns_refunds_what_returning_them_at_once_would(
    data: st.DataObject, refund_shipping: bool
) -> None:
    order = data.draw(orders())
    everything = {sku: value.quantity for sku, value in line_values(order).items()}

    in_turn = refunded_so_far(_in_turn(order, data.draw(returns(order)), refund_shipping))
    at_once = refunded_so_far([refund_for(order, everything, refund_shipping=refund_shipping)])

    assert {sku: line.total for sku, line in in_turn.items()} == {sku: line.total for sku, line in at_once.items()}
    if order.payment.captured == order.totals.total:  # nothing capped: the parts agree too, not only the totals
        assert in_turn == at_once
        assert sum(line.total for line in at_once.values()) == (
            order.totals.total if refund_shipping else order.totals.subtotal + sum(ln.tax for ln in order.lines)
        )
