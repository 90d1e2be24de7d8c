"""Net terms: a B2B customer's open balance is one counter, moved with the orders that move it, so
invoice orders cannot together exceed the credit limit, however they race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from oms.domain.credit import DEFAULT_CREDIT_LIMIT
from oms.services import partner_events
from oms.services.checkout import place_order
from oms.services.compensate import close
from oms.services.deps import Deps
from oms.services.steps import load
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.events import ERP, event
from tests.services.flow import run_fulfil

B2B = {
    "customer": {"id": "acme", "email": "buyer@acme.example", "type": "b2b", "company": "Acme"},
    "payment": {"method": "invoice"},
    "po_number": "PO-1",
}


def invoice_order(deps: Deps, key: str, units: int = 1, price: int = 10000) -> str:
    request = body({"A": units}, **B2B)
    request.lines[0].unit_price = price
    return place_order(deps, request, "sf-1", key).order.order_id


def balance(deps: Deps) -> int:
    return deps.uow.credit.balance("sf-1", "acme")


def test_three_invoice_orders_over_the_limit_together_are_not_all_authorized(deps: Deps) -> None:
    # The report: three orders of PHP 30,236.27 against the default PHP 50,000 limit were all authorized.
    orders = [invoice_order(deps, f"k{n}", price=2_699_667) for n in range(3)]

    outcomes = [run_fulfil(deps, order_id) for order_id in orders]

    assert outcomes == ["released", "rejected", "rejected"]
    first, *rest = (load(deps, order_id) for order_id in orders)
    assert balance(deps) == first.payment.authorized == first.totals.total <= DEFAULT_CREDIT_LIMIT
    for order in rest:
        assert order.reason and order.reason.startswith("credit limit exceeded")
        assert (order.payment.status, order.payment.authorized) == ("failed", 0)


def test_a_cancelled_invoice_order_gives_its_credit_back_once(deps: Deps) -> None:
    first = invoice_order(deps, "k1", price=4_000_000)
    assert run_fulfil(deps, first) == "released"
    assert balance(deps) > 4_000_000

    close(deps, first, "cancelled", "by the buyer")
    close(deps, first, "cancelled", "by the buyer")  # a retried cancel

    assert balance(deps) == 0
    assert run_fulfil(deps, invoice_order(deps, "k2", price=4_000_000)) == "released"


def test_a_paid_invoice_gives_its_credit_back(deps: Deps) -> None:
    order_id = invoice_order(deps, "k1", price=4_000_000)
    run_fulfil(deps, order_id)
    owed = balance(deps)
    paid = event("payment.invoice_paid", order_id=order_id, amount=1_000_000)

    assert partner_events.apply(deps, ERP, paid) == "applied"
    assert partner_events.apply(deps, ERP, paid) == "duplicate"

    assert balance(deps) == owed - 1_000_000
    assert load(deps, order_id).payment.settled == 1_000_000


@pytest.mark.parametrize("round_", range(3))
def test_twenty_concurrent_invoice_orders_never_exceed_the_limit(deps: Deps, store: MemoryStore, round_: int) -> None:
    store.storefronts["sf-1"] = {"default_credit_limit": 100_000}
    store.put_stock("A", "mnl", 100)
    orders = [invoice_order(deps, f"r{round_}-{n}", price=10_000) for n in range(20)]  # ~11,200 each with tax

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda order_id: run_fulfil(deps, order_id), orders))

    authorized = [
        load(deps, order_id) for order_id, outcome in zip(orders, outcomes, strict=True) if outcome == "released"
    ]
    assert balance(deps) == sum(o.payment.authorized for o in authorized) <= 100_000
    assert len(authorized) == 100_000 // authorized[0].totals.total  # every unit of credit that fits is used
    assert outcomes.count("rejected") == 20 - len(authorized)
