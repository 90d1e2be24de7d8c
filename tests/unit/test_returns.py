"""Returns: what a customer may send back under the storefront's policy, and a return's way to its refund."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.errors import Conflict, OmsError, Unprocessable
from oms.domain.orders import Order
from oms.domain.refunds import LineRefund, line_values
from oms.domain.returns import (
    AlreadyApplied,
    ReceivedLine,
    Return,
    ReturnLabel,
    ReturnPolicy,
    ReturnRequest,
    ReturnRequestLine,
    approve,
    check_request,
    closed,
    in_transit,
    labelled,
    open_return,
    received,
    refund_due,
    refund_failed,
    refunded,
    refunded_so_far,
    reject,
    units_returned,
)
from tests.unit.sold import DELIVERED, sold

THREE_LINES = [("JACKET", 1, 59900), ("SHIRT", 2, 33333), ("SOCKS", 3, 12345)]
SOON = "2026-11-10T00:00:00Z"  # five days after delivery
POLICY = ReturnPolicy(window_days=30, auto_approve=True, refund_shipping=True)
REVIEWED = ReturnPolicy(auto_approve=False)


def ask(**units: int) -> list[ReturnRequestLine]:
    return [ReturnRequestLine(sku=sku, quantity=n, reason="too small") for sku, n in units.items()]


def opened(order: Order, policy: ReturnPolicy = POLICY, earlier: list[Return] | None = None, **units: int) -> Return:
    ret, _ = open_return(order, policy, ask(**units), earlier or [], f"rma_{len(earlier or [])}", SOON)
    return ret


def came_back(ret: Return, location: str = "store-2", damaged: dict[str, int] | None = None, event: str = "p:1") -> Any:
    damaged = damaged or {}
    lines = [
        ReceivedLine(sku=sku, quantity=n - damaged.get(sku, 0), condition="resellable")
        for sku, n in ret.units().items()
    ]
    lines = [line for line in lines if line.quantity]
    lines += [ReceivedLine(sku=sku, quantity=n, condition="damaged") for sku, n in damaged.items()]
    return received(ret, location, lines, event, SOON)


def code_of(error: pytest.ExceptionInfo[OmsError]) -> tuple[str, Any]:
    return error.value.code, error.value.extra.get("reason")


# -- the policy ---------------------------------------------------------------------------------------


def test_a_storefront_without_a_returns_policy_takes_returns_for_30_days_approved_at_once() -> None:
    assert ReturnPolicy.from_config(None) == ReturnPolicy.from_config({}) == ReturnPolicy()
    assert ReturnPolicy() == ReturnPolicy(30, frozenset(), auto_approve=True, refund_shipping=False)


def test_a_storefront_sets_its_own_returns_policy() -> None:
    config = {"window_days": 14, "non_returnable": ["GIFTCARD"], "auto_approve": False, "refund_shipping": True}
    assert ReturnPolicy.from_config(config) == ReturnPolicy(14, frozenset({"GIFTCARD"}), False, True)


@pytest.mark.parametrize(
    "config",
    [
        {"window": 30},
        {"window_days": -1},
        {"window_days": True},
        {"window_days": "30"},
        {"window_days": 100_000},
        {"non_returnable": "GIFTCARD"},
        {"non_returnable": [1]},
        {"auto_approve": "yes"},
        {"refund_shipping": 1},
    ],
)
def test_a_bad_returns_policy_is_refused_naming_the_setting(config: dict[str, Any]) -> None:
    with pytest.raises(Unprocessable) as refused:
        ReturnPolicy.from_config(config)
    assert refused.value.code == "invalid_return_policy"


# -- the request --------------------------------------------------------------------------------------


def test_a_request_names_the_units_it_asks_back_summed_per_sku() -> None:
    lines = [*ask(SHIRT=1), *ask(SHIRT=1, SOCKS=2)]
    assert check_request(sold(THREE_LINES), POLICY, lines, {}, SOON) == {"SHIRT": 2, "SOCKS": 2}


@pytest.mark.parametrize(
    ("order", "policy", "units", "already", "now", "reason"),
    [
        (sold(THREE_LINES), POLICY, {"HAT": 1}, {}, SOON, "sku_not_on_order"),
        (
            sold(THREE_LINES),
            ReturnPolicy(non_returnable=frozenset({"SOCKS"})),
            {"SOCKS": 1},
            {},
            SOON,
            "non_returnable_product",
        ),
        (sold(THREE_LINES, status="shipped"), POLICY, {"SOCKS": 1}, {}, SOON, "never_delivered"),
        (sold(THREE_LINES, status="allocated"), POLICY, {"SOCKS": 1}, {}, SOON, "never_delivered"),
        (sold(THREE_LINES), POLICY, {"SOCKS": 1}, {}, "2026-12-05T10:00:01Z", "outside_window"),
        (sold(THREE_LINES), ReturnPolicy(window_days=0), {"SOCKS": 1}, {}, SOON, "outside_window"),
        (sold(THREE_LINES), POLICY, {"SOCKS": 4}, {}, SOON, "more_than_delivered"),
        (sold(THREE_LINES), POLICY, {"SOCKS": 2}, {"SOCKS": 2}, SOON, "more_than_delivered"),
    ],
    ids=[
        "sku not on the order",
        "a product the store does not take back",
        "shipped, not delivered yet",
        "never shipped",
        "a second after the 30-day window",
        "a store that takes nothing back",
        "more than delivered",
        "more than delivered less already returned",
    ],
)
def test_a_return_the_policy_does_not_allow_is_refused_with_its_reason(
    order: Order, policy: ReturnPolicy, units: dict[str, int], already: dict[str, int], now: str, reason: str
) -> None:
    with pytest.raises(Unprocessable) as refused:
        check_request(order, policy, ask(**units), already, now)
    assert code_of(refused) == ("not_returnable", reason)
    assert refused.value.detail


def test_the_last_second_of_the_window_still_takes_a_return() -> None:
    assert check_request(sold(THREE_LINES), POLICY, ask(SOCKS=1), {}, "2026-12-05T10:00:00Z") == {"SOCKS": 1}


def test_only_the_units_of_delivered_shipments_can_come_back() -> None:
    order = sold([("A", 3, 1000)], shipments=[[("A", 2)], [("A", 1)]])
    order.shipments[1].status, order.shipments[1].delivered_at = "shipped", None

    assert check_request(order, POLICY, ask(A=2), {}, SOON) == {"A": 2}
    with pytest.raises(Unprocessable) as refused:
        check_request(order, POLICY, ask(A=3), {}, SOON)
    assert refused.value.extra["returnable"] == 2


def test_a_request_without_units_is_refused() -> None:
    with pytest.raises(Unprocessable) as none:
        check_request(sold(THREE_LINES), POLICY, [], {}, SOON)
    zero = ReturnRequestLine.model_construct(sku="SOCKS", quantity=0, reason="x")
    with pytest.raises(Unprocessable) as nothing:
        check_request(sold(THREE_LINES), POLICY, [zero], {}, SOON)
    assert none.value.code == nothing.value.code == "invalid_quantity"


@pytest.mark.parametrize(
    "body",
    [
        {"lines": []},
        {"lines": [{"sku": "SOCKS", "quantity": 0, "reason": "x"}]},
        {"lines": [{"sku": "SOCKS", "quantity": 1}]},
        {"lines": [{"sku": "SOCKS", "quantity": 1, "reason": "x", "refund": 1}]},
    ],
)
def test_a_malformed_return_body_is_refused_at_the_edge(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ReturnRequest.model_validate(body)


# -- opening and deciding -----------------------------------------------------------------------------


def test_an_auto_approved_return_opens_approved_with_its_refund_quoted() -> None:
    ret, change = open_return(sold(THREE_LINES), POLICY, ask(SHIRT=1, SOCKS=2), [], "rma_1", SOON)

    assert (ret.status, ret.decided_by, ret.units()) == ("approved", "policy", {"SHIRT": 1, "SOCKS": 2})
    assert ret.refund is not None and ret.refund.total == 37518 + 28025 and ret.refund.refund_id is None
    assert [e.type for e in change.entries] == ["return.requested", "return.approved"]
    assert [kind for kind, _ in change.events] == ["return.requested", "return.approved"]


def test_a_return_under_review_waits_for_a_decision() -> None:
    ret, change = open_return(sold(THREE_LINES), REVIEWED, ask(SOCKS=1), [], "rma_1", SOON)

    assert ret.status == "requested"
    assert [e.type for e in change.entries] == ["return.requested"]
    assert [e.type for e in approve(ret, SOON, by="ops").entries] == ["return.approved"]
    assert (ret.status, ret.decided_by, ret.decided_at) == ("approved", "ops", SOON)


def test_units_already_on_their_way_back_cannot_be_asked_back_again() -> None:
    order = sold(THREE_LINES)
    first = opened(order, SOCKS=2)

    with pytest.raises(Unprocessable) as refused:
        opened(order, earlier=[first], SOCKS=2)
    assert refused.value.extra["returnable"] == 1


def test_a_rejected_or_abandoned_return_gives_its_units_back_to_ask_for() -> None:
    order = sold(THREE_LINES)
    rejected = opened(order, REVIEWED, SOCKS=3)
    reject(rejected, "worn", SOON, by="ops")
    abandoned = opened(order, SOCKS=3)
    closed(abandoned, "never sent", SOON)

    assert units_returned([rejected, abandoned]) == {}
    assert opened(order, earlier=[rejected, abandoned], SOCKS=3).units() == {"SOCKS": 3}


def test_a_decision_is_taken_once_and_only_on_a_requested_return() -> None:
    ret = opened(sold(THREE_LINES), REVIEWED, SOCKS=1)
    reject(ret, "worn", SOON, by="ops")

    assert not reject(ret, "worn", SOON, by="ops")  # the same decision again changes nothing
    with pytest.raises(Conflict) as closed_already:
        approve(ret, SOON, by="ops")
    assert closed_already.value.code == "return_closed"
    with pytest.raises(Conflict) as decided:
        reject(opened(sold(THREE_LINES), SOCKS=1), "late", SOON, by="ops")
    assert decided.value.code == "return_closed"


def test_a_label_then_the_parcel_on_its_way() -> None:
    ret = opened(sold(THREE_LINES), SOCKS=1)
    label = ReturnLabel(carrier="sandbox", tracking_number="RT1", label_ref="lbl_1")

    assert labelled(ret, label, SOON) and not labelled(ret, label, SOON)
    assert in_transit(ret, SOON) and not in_transit(ret, SOON)
    assert (ret.status, ret.label, ret.in_transit_at) == ("in_transit", label, SOON)


def test_a_return_waiting_for_review_has_no_label_and_is_not_on_its_way() -> None:
    ret = opened(sold(THREE_LINES), REVIEWED, SOCKS=1)
    with pytest.raises(Conflict) as unlabelled:
        labelled(ret, ReturnLabel(carrier="sandbox"), SOON)
    with pytest.raises(Conflict) as unsent:
        in_transit(ret, SOON)
    assert unlabelled.value.code == unsent.value.code == "return_not_approved"


# -- receiving ----------------------------------------------------------------------------------------


def test_resellable_units_go_back_on_hand_and_damaged_ones_to_quarantine_where_received() -> None:
    ret = opened(sold(THREE_LINES), SHIRT=2, SOCKS=3)

    receipt = came_back(ret, "store-2", damaged={"SOCKS": 1})

    assert (receipt.location_id, receipt.restock, receipt.quarantine) == (
        "store-2",
        {"SHIRT": 2, "SOCKS": 2},
        {"SOCKS": 1},
    )
    assert [(ln.received_resellable, ln.received_damaged, ln.location_id) for ln in ret.lines] == [
        (2, 0, "store-2"),
        (2, 1, "store-2"),
    ]
    assert ret.status == "received" and [e.type for e in receipt.change.entries] == ["return.received"]


def test_the_same_receipt_twice_is_taken_once() -> None:
    ret = opened(sold(THREE_LINES), SOCKS=1)
    came_back(ret, event="p:1")
    with pytest.raises(AlreadyApplied):
        came_back(ret, event="p:1")
    with pytest.raises(Conflict) as again:
        came_back(ret, event="p:2")
    assert again.value.code == "return_already_received"


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([("SOCKS", 1, "resellable")], "receipt_mismatch"),
        ([("SOCKS", 2, "resellable"), ("SOCKS", 1, "damaged")], "receipt_mismatch"),
        ([("SOCKS", 2, "resellable"), ("HAT", 1, "damaged")], "sku_not_on_return"),
    ],
    ids=["fewer than approved", "more than approved", "a sku not on the return"],
)
def test_a_receipt_that_does_not_account_for_the_approved_units_changes_nothing(
    lines: list[tuple[str, int, Any]], code: str
) -> None:
    ret = opened(sold(THREE_LINES), SOCKS=2)
    before = ret.model_copy(deep=True)
    with pytest.raises(Unprocessable) as refused:
        received(ret, "wh-1", [ReceivedLine(sku=s, quantity=n, condition=c) for s, n, c in lines], "p:1", SOON)
    assert refused.value.code == code
    assert ret == before


@pytest.mark.parametrize(
    ("step", "code"),
    [("review", "return_not_approved"), ("reject", "return_closed"), ("abandon", "return_closed")],
)
def test_a_receipt_for_a_return_not_expected_back_is_refused(step: str, code: str) -> None:
    ret = opened(sold(THREE_LINES), REVIEWED, SOCKS=1)
    if step == "reject":
        reject(ret, "worn", SOON, by="ops")
    elif step == "abandon":
        closed(ret, "never sent", SOON)
    with pytest.raises(Conflict) as refused:
        came_back(ret)
    assert refused.value.code == code


# -- refunding and closing ----------------------------------------------------------------------------


def test_a_partial_return_then_the_rest_refunds_the_order_to_the_minor_unit() -> None:
    order = sold(THREE_LINES)
    first = opened(order, SHIRT=1, SOCKS=2)
    came_back(first, damaged={"SOCKS": 1})
    split = refund_due(first, order, POLICY, [first])
    refunded(first, split, "re_1", SOON)
    second = opened(order, earlier=[first], JACKET=1, SHIRT=1, SOCKS=1)
    came_back(second, event="p:2")
    refunded(second, refund_due(second, order, POLICY, [first, second]), "re_2", SOON)

    assert split.total == 37518 + 28025  # damaged units are refunded like the others
    assert first.refund is not None and second.refund is not None
    assert first.refund.total + second.refund.total == order.totals.total
    assert refunded_so_far([first, second]) == {
        sku: LineRefund(sku, v.quantity, v.goods, v.tax, v.shipping, v.shipping_tax)
        for sku, v in line_values(order).items()
    }


def test_a_refund_is_recorded_once() -> None:
    order = sold(THREE_LINES)
    ret = opened(order, SOCKS=1)
    with pytest.raises(Conflict) as early:
        refunded(ret, refund_due(ret, order, POLICY, [ret]), "re_1", SOON)
    came_back(ret)
    split = refund_due(ret, order, POLICY, [ret])
    change = refunded(ret, split, "re_1", SOON)

    assert early.value.code == "return_not_received"
    assert [e.type for e in change.entries] == ["return.refunded"] and change.events[0][1]["amount"] == split.total
    assert not refunded(ret, split, "re_1", SOON)
    with pytest.raises(Conflict) as twice:
        refunded(ret, split, "re_2", SOON)
    assert twice.value.code == "return_already_refunded"


def test_a_refused_refund_waits_received_saying_why_until_it_goes_through() -> None:
    order = sold(THREE_LINES)
    ret = opened(order, SOCKS=1)
    came_back(ret)
    refund_failed(ret, "provider down", SOON)
    refund_failed(ret, "provider down", SOON)

    assert (ret.status, ret.issue, ret.refund_attempts) == ("received", "refund failed: provider down", 2)
    refunded(ret, refund_due(ret, order, POLICY, [ret]), "re_1", SOON)
    assert (ret.status, ret.issue) == ("refunded", None)


def test_a_parcel_never_paid_for_comes_back_with_nothing_to_refund() -> None:
    order = sold([("A", 1, 1000)])
    order.shipments[0].captured = order.payment.captured = 0  # cash on delivery, refused at the door
    ret = opened(order, A=1)
    came_back(ret)
    refunded(ret, refund_due(ret, order, POLICY, [ret]), None, SOON)

    assert ret.refund is not None and (ret.refund.total, ret.refund.refund_id) == (0, None)
    assert refunded_so_far([ret]) == {"A": LineRefund("A", 1)}


def test_a_received_return_closes_only_once_refunded() -> None:
    order = sold(THREE_LINES)
    ret = opened(order, SOCKS=1)
    came_back(ret)
    with pytest.raises(Conflict) as unpaid:
        closed(ret, "done", SOON)
    refunded(ret, refund_due(ret, order, POLICY, [ret]), "re_1", SOON)

    assert unpaid.value.code == "return_not_refunded"
    assert closed(ret, "done", SOON) and not closed(ret, "done", SOON)
    assert (ret.status, ret.closed_at, units_returned([ret])) == ("closed", SOON, {"SOCKS": 1})
    with pytest.raises(Conflict) as after:
        approve(ret, SOON, by="ops")
    assert after.value.code == "return_closed"


def test_the_public_return_keeps_its_bookkeeping_to_itself() -> None:
    ret = opened(sold(THREE_LINES), SOCKS=1)
    came_back(ret)
    shown = ret.public()

    assert "version" not in shown and "events" not in shown
    assert {"return_id", "status", "lines", "refund", "label"} <= set(shown)
    assert Return.model_validate(ret.model_dump()) == ret  # stored and read back unchanged
    assert ret.received_at == SOON and DELIVERED < SOON
