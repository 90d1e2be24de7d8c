"""Returns through the services, in memory: requested, decided, labelled, received unit by unit (resellable
back on hand, damaged quarantined) and refunded to the minor unit; the ways a return is refused."""

from __future__ import annotations

from typing import Any

import pytest

from oms.domain.errors import Conflict, NotFound, Unprocessable
from oms.domain.orders import Order
from oms.domain.refunds import refund_for
from oms.domain.returns import ReturnRequest
from oms.services import partner_events
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.returns import attention, decide_return, refund_return, request_return
from oms.services.steps import load
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.events import CARRIER, WAREHOUSE, delivered, event, packed
from tests.services.flow import run_fulfil, run_ship


def deliver(deps: Deps, lines: dict[str, int], key: str, **overrides: Any) -> Order:
    order = place_order(deps, body(lines, **overrides), "sf-1", key).order
    assert run_fulfil(deps, order.order_id) == "released"
    for shipment in order.shipments:
        partner_events.apply(deps, WAREHOUSE, packed(order.order_id, shipment.shipment_id))
        assert run_ship(deps, order.order_id, shipment.shipment_id) == "shipped"
        partner_events.apply(deps, CARRIER, delivered(order.order_id, shipment.shipment_id))
    return load(deps, order.order_id)


def asked(*lines: tuple[str, int]) -> ReturnRequest:
    return ReturnRequest.model_validate({"lines": [{"sku": s, "quantity": q, "reason": "too small"} for s, q in lines]})


def receipt(return_id: str, location_id: str, *lines: tuple[str, int, str]) -> Any:
    units = [{"sku": s, "quantity": q, "condition": c} for s, q, c in lines]
    return event("return.received", return_id=return_id, location_id=location_id, lines=units)


def test_a_partial_return_is_labelled_received_and_refunded_goods_and_tax_to_the_minor_unit(
    deps: Deps, store: MemoryStore
) -> None:
    order = deliver(deps, {"A": 2, "B": 1}, "k-1")
    (shipment,) = order.shipments  # ceb holds both
    before = (store.stock[("A", "ceb")].on_hand, store.stock[("B", "ceb")].on_hand)

    requested = request_return(deps, "sf-1", order.order_id, asked(("A", 1), ("B", 1)), "ret-key-1")
    ret = requested.ret
    assert requested.created and ret.status == "approved"  # the default policy approves at once
    assert ret.label is not None and ret.label.tracking_number and ret.location_id == shipment.location_id

    parcel = receipt(ret.return_id, "ceb", ("A", 1, "resellable"), ("B", 1, "damaged"))
    outcome = partner_events.apply(deps, WAREHOUSE, parcel)
    assert outcome.startswith("received; refunded")
    done = deps.uow.returns.get(ret.return_id)
    assert done is not None and done.status == "refunded" and done.refund is not None
    a, b = order.lines
    # Goods and their tax, no shipping (the default policy): half of A's line, all of B's.
    assert done.refund.total == (a.line_total + a.tax) // 2 + b.line_total + b.tax
    assert done.refund.total == refund_for(order, {"A": 1, "B": 1}, refund_shipping=False).total
    paid = load(deps, order.order_id)
    assert paid.payment.refunded == done.refund.total <= paid.payment.captured
    assert store.stock[("A", "ceb")].on_hand == before[0] + 1  # resellable: back on the shelf
    assert (store.stock[("B", "ceb")].on_hand, store.stock[("B", "ceb")].quarantined) == (before[1], 1)
    kinds = [kind for _, (kind, _) in deps.publisher.published]  # type: ignore[attr-defined]
    for kind in ("return.requested", "return.approved", "return.labelled", "return.received", "return.refunded"):
        assert kinds.count(kind) == 1, kind

    # The same receipt again changes nothing, nor does another for the same parcel; the rest of A can
    # still come back, once.
    assert partner_events.apply(deps, WAREHOUSE, parcel).startswith("received; return refunded")
    stray = receipt(ret.return_id, "ceb", ("A", 1, "resellable"), ("B", 1, "damaged"))
    assert partner_events.apply(deps, WAREHOUSE, stray).startswith("refused: return")
    assert store.stock[("A", "ceb")].on_hand == before[0] + 1
    last = request_return(deps, "sf-1", order.order_id, asked(("A", 1)), "ret-key-2").ret
    partner_events.apply(deps, WAREHOUSE, receipt(last.return_id, "ceb", ("A", 1, "resellable")))
    whole = load(deps, order.order_id).payment
    assert whole.refunded == a.line_total + a.tax + b.line_total + b.tax  # one at a time: exactly the lines
    with pytest.raises(Unprocessable) as more:
        request_return(deps, "sf-1", order.order_id, asked(("A", 1)), "ret-key-3")
    assert more.value.code == "not_returnable"


def test_a_return_request_is_idempotent_by_key_and_refused_cleanly_otherwise(deps: Deps, store: MemoryStore) -> None:
    order = deliver(deps, {"A": 1}, "k-1")
    first = request_return(deps, "sf-1", order.order_id, asked(("A", 1)), "same")
    again = request_return(deps, "sf-1", order.order_id, asked(("A", 1)), "same")
    assert (again.created, again.ret.return_id) == (False, first.ret.return_id)
    with pytest.raises(Unprocessable) as reused:
        request_return(deps, "sf-1", order.order_id, asked(("B", 1)), "same")
    assert reused.value.code == "idempotency_key_reused"

    commits = store.commits
    with pytest.raises(NotFound):  # another storefront's order does not exist for this one
        request_return(deps, "sf-2", order.order_id, asked(("A", 1)), "other")
    with pytest.raises(Unprocessable) as twice:
        request_return(deps, "sf-1", order.order_id, asked(("A", 1)), "twice")  # already on its way back
    assert twice.value.code == "not_returnable"
    with pytest.raises(Unprocessable) as typo:
        request_return(deps, "sf-1", order.order_id, asked(("Z", 1)), "typo")
    assert typo.value.code == "not_returnable"
    undelivered = place_order(deps, body({"C": 1}), "sf-1", "k-2").order
    with pytest.raises(Unprocessable) as early:
        request_return(deps, "sf-1", undelivered.order_id, asked(("C", 1)), "early")
    assert early.value.code == "not_returnable"
    assert store.commits == commits + 1  # only the undelivered order's checkout wrote anything


def test_a_return_held_for_review_waits_for_an_operator_who_approves_or_rejects_it(
    deps: Deps, store: MemoryStore
) -> None:
    store.storefronts["sf-1"] = {"returns": {"auto_approve": False}}
    order = deliver(deps, {"A": 1, "B": 1}, "k-1")
    held = request_return(deps, "sf-1", order.order_id, asked(("A", 1)), "r-1").ret
    assert held.status == "requested" and held.label is None
    assert [r.return_id for r in attention(deps)] == [held.return_id]
    early = partner_events.apply(deps, WAREHOUSE, receipt(held.return_id, "ceb", ("A", 1, "resellable")))
    assert early == f"refused: return {held.return_id} waits for a decision"

    approved = decide_return(deps, held.return_id, "approve", "admin:k1")
    assert approved.status == "approved" and approved.label is not None and attention(deps) == []
    other = request_return(deps, "sf-1", order.order_id, asked(("B", 1)), "r-2").ret
    rejected = decide_return(deps, other.return_id, "reject", "admin:k1", "worn")
    assert (rejected.status, rejected.reason) == ("rejected", "worn")
    with pytest.raises(Conflict) as closed:
        decide_return(deps, other.return_id, "approve", "admin:k1")
    assert closed.value.code == "return_closed"
    again = request_return(deps, "sf-1", order.order_id, asked(("B", 1)), "r-3").ret  # a rejected one holds nothing
    assert again.status == "requested"


def test_a_refund_the_provider_refuses_waits_on_the_return_for_an_operator(deps: Deps, store: MemoryStore) -> None:
    payment = {"method": "card", "token": "tok_refund_fail"}
    order = deliver(deps, {"A": 1}, "k-1", payment=payment)
    ret = request_return(deps, "sf-1", order.order_id, asked(("A", 1)), "r-1").ret
    outcome = partner_events.apply(deps, WAREHOUSE, receipt(ret.return_id, "ceb", ("A", 1, "resellable")))
    assert outcome.startswith("received; refund refused")
    waiting = deps.uow.returns.get(ret.return_id)
    assert waiting is not None and waiting.status == "received" and waiting.issue and waiting.refund_attempts == 1
    assert [r.return_id for r in attention(deps)] == [ret.return_id]
    assert refund_return(deps, ret.return_id).startswith("refund refused")  # an operator asks again
    assert load(deps, order.order_id).payment.refunded == 0


def test_an_invoice_order_is_credited_back_and_its_open_balance_falls(deps: Deps, store: MemoryStore) -> None:
    b2b = {"id": "acme", "email": "ap@acme.example", "type": "b2b", "company": "Acme"}
    order = deliver(deps, {"A": 1}, "k-1", customer=b2b, payment={"method": "invoice"}, po_number="PO-1")
    owed = deps.uow.credit.balance("sf-1", "acme")
    ret = request_return(deps, "sf-1", order.order_id, asked(("A", 1)), "r-1").ret
    partner_events.apply(deps, WAREHOUSE, receipt(ret.return_id, "ceb", ("A", 1, "resellable")))
    done = deps.uow.returns.get(ret.return_id)
    assert done is not None and done.refund is not None and done.refund.refund_id == f"cn_{ret.return_id}"
    assert deps.uow.credit.balance("sf-1", "acme") == owed - done.refund.total


def test_units_of_one_sku_back_in_both_conditions_land_in_one_stock_write(deps: Deps, store: MemoryStore) -> None:
    order = deliver(deps, {"A": 2}, "k-1")
    before = store.stock[("A", "ceb")].on_hand
    ret = request_return(deps, "sf-1", order.order_id, asked(("A", 2)), "r-1").ret
    both = receipt(ret.return_id, "ceb", ("A", 1, "resellable"), ("A", 1, "damaged"))
    assert partner_events.apply(deps, WAREHOUSE, both).startswith("received; refunded")
    assert (store.stock[("A", "ceb")].on_hand, store.stock[("A", "ceb")].quarantined) == (before + 1, 1)
