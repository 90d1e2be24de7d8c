"""A shipment a location refuses moves under the storefront's routing rules, with a new promise."""

from __future__ import annotations

from oms.domain.models import Location
from oms.services import partner_events
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.steps import load
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.events import WAREHOUSE, rejected
from tests.services.flow import run_fulfil


def add_store_near_makati(store: MemoryStore) -> None:
    shop = Location(location_id="shop", name="Glorietta", type="store", lat=14.551, lon=121.025)
    store.locations["shop"] = shop
    store.put_stock("A", "shop", 10)


def test_a_refused_shipment_moves_only_where_the_storefront_allows_and_gets_that_location_promise(
    deps: Deps, store: MemoryStore
) -> None:
    add_store_near_makati(store)
    store.storefronts["sf-1"] = {"routing": {"allowed_location_types": ["warehouse"]}}
    order = place_order(deps, body({"A": 2}), "sf-1", "k").order
    assert [s.location_id for s in order.shipments] == ["mnl"]
    run_fulfil(deps, order.order_id)

    outcome = partner_events.apply(deps, WAREHOUSE, rejected(order.order_id, "1"))

    moved = load(deps, order.order_id).shipments[0]
    assert outcome == "rerouted to ceb"  # the nearer store is not a location this storefront ships from
    assert (moved.location_id, moved.status, moved.rejected_by) == ("ceb", "allocated", ["mnl"])
    assert moved.promised_by is not None and moved.promised_by > (order.shipments[0].promised_by or "")
    assert (store.stock[("A", "mnl")].reserved, store.stock[("A", "ceb")].reserved) == (0, 2)
    assert store.stock[("A", "shop")].reserved == 0


def test_a_refused_shipment_no_allowed_location_can_take_is_cancelled_with_its_share_of_the_money(
    deps: Deps, store: MemoryStore
) -> None:
    store.storefronts["sf-1"] = {"routing": {"exclude_locations": ["ceb"]}}
    order = place_order(deps, body({"A": 2}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)

    assert partner_events.apply(deps, WAREHOUSE, rejected(order.order_id, "1")) == "cancelled"

    cancelled = load(deps, order.order_id)
    assert (cancelled.status, cancelled.payment.status) == ("cancelled", "voided")
    assert store.stock[("A", "mnl")].reserved == 0


def test_a_redelivered_rejection_moves_the_shipment_once(deps: Deps, store: MemoryStore) -> None:
    order = place_order(deps, body({"A": 2}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    event = rejected(order.order_id, "1")

    assert [partner_events.apply(deps, WAREHOUSE, event) for _ in range(2)] == ["rerouted to ceb", "duplicate"]
    assert store.stock[("A", "ceb")].reserved == 2
