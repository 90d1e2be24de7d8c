"""Cancelling units before they are packed: stock back, the shipment shrunk (or cancelled) and booked again,
the authorization and the totals down by exactly the units' goods and tax."""

from __future__ import annotations

import pytest

from oms.domain.errors import Unprocessable
from oms.domain.lifecycle import OrderClosed
from oms.domain.line_cancel import NotCancellableUnits
from oms.services import partner_events
from oms.services.cancel_lines import cancel_lines
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.steps import load
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.conftest import spy
from tests.services.events import CARRIER, WAREHOUSE, delivered, packed
from tests.services.flow import run_fulfil, run_ship


def test_a_unit_cancelled_shrinks_its_shipment_books_it_again_and_gives_back_its_money(
    deps: Deps, store: MemoryStore
) -> None:
    order = place_order(deps, body({"A": 1, "B": 1, "C": 2, "D": 1}), "sf-1", "k").order
    assert run_fulfil(deps, order.order_id) == "released"
    placed = load(deps, order.order_id)
    dvo = next(s for s in placed.shipments if s.location_id == "dvo")
    c_line = next(line for line in placed.lines if line.sku == "C")
    partners = spy(deps, carrier={}, location={}, payment={})

    after = cancel_lines(deps, order.order_id, {"C": 1}, "sf-1")

    price = c_line.unit_price + c_line.tax // 2  # one of two units: its goods and half the line's tax
    assert after.totals.total == placed.totals.total - price
    assert after.payment.authorized == placed.payment.authorized - price
    shrunk = next(s for s in after.shipments if s.shipment_id == dvo.shipment_id)
    assert {ln.sku: ln.quantity for ln in shrunk.lines} == {"C": 1, "D": 1}
    assert shrunk.status == "allocated" and shrunk.booking_id is None and shrunk.value == dvo.value - price
    assert store.stock[("C", "dvo")].reserved == 1
    assert sorted(partners["carrier"].calls + partners["location"].calls) == ["cancel", "recall"]
    assert partners["payment"].calls == ["void"]
    assert sum(s.value for s in after.shipments) == after.totals.total  # what capturing all will take
    phase = deps.phases.started[f"{order.order_id}-fulfil-reroute-{dvo.shipment_id}-less1"]  # type: ignore[attr-defined]
    assert run_fulfil(deps, order.order_id, phase.payload["shipment_ids"]) == "released"

    for shipment in after.shipments:  # the rest of the order goes on and is paid exactly
        partner_events.apply(deps, WAREHOUSE, packed(order.order_id, shipment.shipment_id))
        assert run_ship(deps, order.order_id, shipment.shipment_id) == "shipped"
        partner_events.apply(deps, CARRIER, delivered(order.order_id, shipment.shipment_id))
    done = load(deps, order.order_id)
    assert (done.status, done.payment.status) == ("delivered", "captured")
    assert done.payment.captured == done.totals.total
    kinds = [kind for _, (kind, _) in deps.publisher.published]  # type: ignore[attr-defined]
    assert kinds.count("order.lines_cancelled") == 1


def test_emptying_a_shipment_cancels_it_and_cancelling_everything_cancels_the_order(
    deps: Deps, store: MemoryStore
) -> None:
    order = place_order(deps, body({"A": 1, "B": 1, "C": 1, "D": 1}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    after = cancel_lines(deps, order.order_id, {"C": 1, "D": 1}, "sf-1")
    dvo = next(s for s in after.shipments if s.location_id == "dvo")
    assert dvo.status == "cancelled" and after.status != "cancelled"
    assert (store.stock[("C", "dvo")].reserved, store.stock[("D", "dvo")].reserved) == (0, 0)
    assert after.totals.shipping == order.totals.shipping  # the order still travels
    assert sum(s.value for s in after.shipments if s.status != "cancelled") == after.totals.total

    gone = cancel_lines(deps, order.order_id, {"A": 1, "B": 1}, "sf-1")
    assert gone.status == "cancelled" and store.stock[("A", "ceb")].reserved == 0
    with pytest.raises(OrderClosed):
        cancel_lines(deps, order.order_id, {"A": 1}, "sf-1")


def test_units_packed_or_not_on_the_order_are_refused_and_nothing_is_written(deps: Deps, store: MemoryStore) -> None:
    order = place_order(deps, body({"A": 2, "B": 1}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    (shipment,) = order.shipments
    partner_events.apply(deps, WAREHOUSE, packed(order.order_id, shipment.shipment_id))
    commits = store.commits
    with pytest.raises(NotCancellableUnits) as packed_units:
        cancel_lines(deps, order.order_id, {"A": 1}, "sf-1")
    assert packed_units.value.extra["lines"] == [{"sku": "A", "requested": 1, "cancellable": 0}]
    with pytest.raises(Unprocessable) as typo:
        cancel_lines(deps, order.order_id, {"Z": 1}, "sf-1")
    assert typo.value.code == "sku_not_on_order"
    assert store.commits == commits


def test_an_invoice_order_gives_back_its_credit_with_the_units(deps: Deps, store: MemoryStore) -> None:
    b2b = {"id": "acme", "email": "ap@acme.example", "type": "b2b", "company": "Acme"}
    order = place_order(deps, body({"A": 2}, customer=b2b, payment={"method": "invoice"}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    owed = deps.uow.credit.balance("sf-1", "acme")
    after = cancel_lines(deps, order.order_id, {"A": 1}, "sf-1")
    assert deps.uow.credit.balance("sf-1", "acme") == owed - (order.totals.total - after.totals.total) > 0
