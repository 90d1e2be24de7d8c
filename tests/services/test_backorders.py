"""Backorders in memory: a `backorder` product sold against an inbound, promised from its date, served
first come first served when it arrives, moved when it slips, short when it closes short."""

from __future__ import annotations

import pytest

from oms import bootstrap
from oms.clock import FrozenClock
from oms.domain.errors import InsufficientStock, Unprocessable
from oms.domain.models import Product
from oms.domain.orders import Order
from oms.services import compensate, partner_events
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.supply import put_inbound
from oms.store.memory import MemoryStore
from tests.network import MORNING, body
from tests.services.events import WAREHOUSE, event
from tests.services.flow import run_fulfil

DUE = "2026-03-10T02:00:00Z"  # a week after the test clock's morning


@pytest.fixture
def deps(store: MemoryStore) -> Deps:
    """Its own clock, moved on a second before each order: first come, first served is by placing time."""
    return bootstrap.in_memory(store, FrozenClock(MORNING.now()))


def buy(deps: Deps, lines: dict[str, int], key: str) -> Order:
    deps.clock.advance(seconds=1)  # type: ignore[attr-defined]
    return place_order(deps, body(lines), "sf-1", key).order


@pytest.fixture(autouse=True)
def preorder(store: MemoryStore) -> None:
    store.products["X"] = Product(sku="X", backorder=True)
    store.products["A"] = Product(sku="A")  # stocked, never backordered


def receive(deps: Deps, inbound_id: str, units: int, complete: bool = False) -> str:
    lines = [{"sku": "X", "quantity": units}]
    receipt = event("inbound.received", inbound_id=inbound_id, location_id="mnl", lines=lines, complete=complete)
    return partner_events.apply(deps, WAREHOUSE, receipt)


def order_of(store: MemoryStore, order_id: str) -> Order:
    found = store.order(order_id)
    assert found is not None
    return found


def lot(deps: Deps, inbound_id: str = "po-1") -> tuple[int, int, int]:
    inbound = deps.uow.supply.inbound(inbound_id)
    assert inbound is not None
    found = deps.uow.supply.lots(inbound).get("X")
    return (found.quantity, found.promised, found.held) if found else (0, 0, 0)


def stock(store: MemoryStore, sku: str = "X") -> tuple[int, int]:
    record = store.stock.get((sku, "mnl"))
    return (record.on_hand, record.reserved) if record else (0, 0)


def test_a_backorder_waits_for_its_inbound_then_is_booked_and_released(deps: Deps, store: MemoryStore) -> None:
    put_inbound(deps, "po-1", "mnl", DUE, {"X": 5}, "Acme")
    order = buy(deps, {"X": 3, "A": 1}, "k-1")

    (shipment,) = order.shipments
    assert shipment.location_id == "mnl"
    assert [(u.inbound_id, u.sku, u.quantity) for u in shipment.awaiting] == [("po-1", "X", 3)]
    assert shipment.promised_by is not None and shipment.promised_by > DUE  # from the inbound's date
    assert lot(deps) == (5, 3, 0) and stock(store) == (0, 0)  # promised, not reserved
    assert stock(store, "A") == (5, 1)  # what is on hand is reserved as ever
    assert order.timeline[0].detail["backordered"][0]["inbound_id"] == "po-1"

    assert run_fulfil(deps, order.order_id) == "released"  # authorized; nothing to release yet
    waiting = order_of(store, order.order_id)
    assert waiting.payment.status == "authorized" and waiting.shipments[0].status == "allocated"

    assert receive(deps, "po-1", 5).startswith("received 5")
    arrived = order_of(store, order.order_id)
    assert arrived.shipments[0].awaiting == []
    assert stock(store) == (5, 3)  # the three promised units reserved by the receipt itself
    assert lot(deps) == (0, 0, 0) and deps.uow.supply.incoming(["X"]) == []
    phase = deps.phases.started[f"{order.order_id}-fulfil-reroute-1-stocked"]  # type: ignore[attr-defined]
    assert phase.payload["shipment_ids"] == ["1"]
    assert run_fulfil(deps, order.order_id, phase.payload["shipment_ids"]) == "released"
    assert order_of(store, order.order_id).shipments[0].status == "released"
    published = [kind for _, (kind, _) in deps.publisher.published]  # type: ignore[attr-defined]
    assert published.count("shipment.backorder_arrived") == 1

    assert receive(deps, "po-1", 5) == "refused: inbound po-1 is received"  # closed: no second receipt


def test_stock_on_hand_is_sold_first_and_an_inbound_is_never_promised_twice(deps: Deps, store: MemoryStore) -> None:
    store.put_stock("X", "mnl", 2)
    put_inbound(deps, "po-1", "mnl", DUE, {"X": 4}, None)

    first = buy(deps, {"X": 1}, "k-1")
    assert first.shipments[0].awaiting == []  # on hand: no backorder at all
    second = buy(deps, {"X": 3}, "k-2")
    assert [u.quantity for u in second.shipments[0].awaiting] == [2]  # one on hand, two coming
    assert stock(store) == (2, 2) and lot(deps) == (4, 2, 0)

    with pytest.raises(InsufficientStock) as refused:
        place_order(deps, body({"X": 3}), "sf-1", "k-3")  # two left on the inbound, none on hand
    assert refused.value.extra["lines"] == [{"sku": "X", "requested": 3, "available": 0}]
    assert lot(deps) == (4, 2, 0)

    put_inbound(deps, "po-2", "mnl", DUE, {"A": 50}, None)
    with pytest.raises(InsufficientStock):  # not a backorder product: what is coming is not for sale
        place_order(deps, body({"A": 20}), "sf-1", "k-4")


def test_a_partial_receipt_serves_the_first_promise_whole_and_holds_units_for_the_next(
    deps: Deps, store: MemoryStore
) -> None:
    put_inbound(deps, "po-1", "mnl", DUE, {"X": 5}, None)
    early = buy(deps, {"X": 3}, "k-1")
    late = buy(deps, {"X": 2}, "k-2")

    receive(deps, "po-1", 2)  # not enough for the first: nobody is served, both units are held
    assert [len(order_of(store, o.order_id).shipments[0].awaiting) for o in (early, late)] == [1, 1]
    assert lot(deps) == (3, 5, 2) and stock(store) == (2, 2)

    receive(deps, "po-1", 2)  # four: the first (3) is served, one held for the second
    assert order_of(store, early.order_id).shipments[0].awaiting == []
    assert len(order_of(store, late.order_id).shipments[0].awaiting) == 1
    assert lot(deps) == (1, 2, 1) and stock(store) == (4, 4)

    receive(deps, "po-1", 1)  # the rest: the second is served
    assert order_of(store, late.order_id).shipments[0].awaiting == []
    assert stock(store) == (5, 5) and lot(deps) == (0, 0, 0)


def test_cancelling_a_backorder_gives_its_promise_back(deps: Deps, store: MemoryStore) -> None:
    put_inbound(deps, "po-1", "mnl", DUE, {"X": 5}, None)
    order = buy(deps, {"X": 3}, "k-1")
    other = buy(deps, {"X": 2}, "k-2")
    receive(deps, "po-1", 1)  # held for the first promise
    assert lot(deps) == (4, 5, 1)

    compensate.close(deps, order.order_id, "cancelled", "customer asked")
    assert lot(deps) == (4, 2, 1) and stock(store) == (1, 1)
    receive(deps, "po-1", 1)  # the second order is now first: the held unit and this one serve it
    assert order_of(store, other.order_id).shipments[0].awaiting == []
    assert stock(store) == (2, 2) and lot(deps) == (3, 0, 0)

    compensate.close(deps, other.order_id, "cancelled", "changed mind")  # after it arrived: plain stock
    assert stock(store) == (2, 0)


def test_a_slipped_inbound_moves_the_promise_and_tells_the_storefront_once(deps: Deps, store: MemoryStore) -> None:
    put_inbound(deps, "po-1", "mnl", DUE, {"X": 5}, None)
    order = buy(deps, {"X": 2}, "k-1")
    before = order.shipments[0].promised_by
    assert before is not None

    later = "2026-03-20T02:00:00Z"
    put_inbound(deps, "po-1", "mnl", later, {"X": 5}, None)
    put_inbound(deps, "po-1", "mnl", later, {"X": 5}, None)  # the same PUT again: nothing new to tell
    moved = order_of(store, order.order_id).shipments[0]
    assert moved.awaiting[0].expected_at == later
    assert moved.promised_by is not None and moved.promised_by > later > before
    told = [e for _, (kind, e) in deps.publisher.published if kind == "shipment.promise_moved"]  # type: ignore[attr-defined]
    assert len(told) == 1 and told[0]["previous"] == before and told[0]["promised_by"] == moved.promised_by

    with pytest.raises(Unprocessable) as cut:
        put_inbound(deps, "po-1", "mnl", later, {"X": 1}, None)
    assert cut.value.code == "below_promised"
    with pytest.raises(Unprocessable):
        put_inbound(deps, "po-1", "ceb", later, {"X": 5}, None)  # moving it would strand the promise
    assert lot(deps) == (5, 2, 0)


def test_an_inbound_closed_short_serves_what_fits_and_reports_the_rest(deps: Deps, store: MemoryStore) -> None:
    put_inbound(deps, "po-1", "mnl", DUE, {"X": 5}, None)
    first = buy(deps, {"X": 3}, "k-1")
    second = buy(deps, {"X": 2}, "k-2")

    receive(deps, "po-1", 2, complete=True)  # closed with two: the first cannot be served whole
    assert order_of(store, second.order_id).shipments[0].awaiting == []
    short = order_of(store, first.order_id).shipments[0]
    assert short.issue == "backordered units short: inbound po-1 closed without 3 X"
    assert stock(store) == (2, 2) and lot(deps) == (0, 3, 0)
    told = [kind for _, (kind, _) in deps.publisher.published]  # type: ignore[attr-defined]
    assert told.count("shipment.backorder_short") == 1

    receive(deps, "po-1", 1)  # a stray receipt after the close changes nothing
    compensate.close(deps, first.order_id, "cancelled", "operator: supplier short")
    assert stock(store) == (2, 2)  # the cancelled order held no stock, the other still does
    assert lot(deps) == (0, 0, 0)


def test_a_receipt_delivered_twice_serves_once(deps: Deps, store: MemoryStore) -> None:
    put_inbound(deps, "po-1", "mnl", DUE, {"X": 5}, None)
    order = buy(deps, {"X": 3}, "k-1")
    receipt = event("inbound.received", inbound_id="po-1", location_id="mnl", lines=[{"sku": "X", "quantity": 3}])
    partner_events.apply(deps, WAREHOUSE, receipt)
    assert partner_events.apply(deps, WAREHOUSE, receipt) == "duplicate"
    assert stock(store) == (3, 3) and order_of(store, order.order_id).shipments[0].awaiting == []
    arrivals = [k for _, (k, _) in deps.publisher.published if k == "shipment.backorder_arrived"]  # type: ignore[attr-defined]
    assert len(arrivals) == 1
