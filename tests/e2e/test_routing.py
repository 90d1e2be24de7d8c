"""Routing and the delivery promise through checkout and availability, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY_2, Api, checkout_body, unique


def zone_where_it_is(hour: int) -> str:
    """An Etc/GMT zone where the local time now is `hour` o'clock, so cut-offs can be placed around now."""
    offset = (hour - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@pytest.fixture
def sku(api: Api) -> str:
    return unique("ROUTE")


def same_day_store(api: Api, sku: str, cut_off: str) -> str:
    """A store 3 km from Makati that can deliver same day, its local time now about 10:00."""
    location_id = unique("sd")
    api.location(
        location_id,
        14.5547,
        121.0444,
        kind="warehouse",
        capabilities={"same_day": True},
        same_day_radius_km=15,
        cut_off=cut_off,
        timezone=zone_where_it_is(10),
    )
    api.stock_at(location_id, sku, 5)
    return location_id


def options(api: Api, sku: str, key: str | None = None) -> dict[str, Any]:
    reply = api.request(
        "GET", f"/v1/availability?sku={sku}&country=PH&postal_code=1226", **({"key": key} if key else {})
    )
    assert reply.status_code == 200, reply.text
    return {o["service_level"]: o for o in reply.json()["delivery_options"]}


def test_same_day_is_offered_and_promised_from_a_nearby_location_before_its_cut_off(api: Api, sku: str) -> None:
    same_day_store(api, sku, cut_off="23:00")
    offered = options(api, sku)
    assert {"same_day", "express", "standard"} <= set(offered)
    assert offered["same_day"]["price"] == 34900 and offered["same_day"]["currency"] == "PHP"
    assert offered["same_day"]["promised_by"] < offered["standard"]["promised_by"]
    order = api.checkout(checkout_body((sku, 1), service_level="same_day"))
    assert order.status_code == 201, order.text
    (shipment,) = order.json()["shipments"]
    assert shipment["promised_by"] == offered["same_day"]["promised_by"]


def test_same_day_is_refused_after_the_cut_off_and_nothing_is_reserved(api: Api, sku: str) -> None:
    same_day_store(api, sku, cut_off="06:00")
    assert "same_day" not in options(api, sku)
    reply = api.checkout(checkout_body((sku, 1), service_level="same_day"))
    assert (reply.status_code, reply.json()["code"]) == (422, "service_level_unavailable")
    assert "standard" in reply.json()["available_service_levels"]
    assert api.stock(sku)["reserved"] == 0


def test_same_day_is_not_offered_beyond_the_same_day_radius(api: Api, sku: str) -> None:
    far = unique("far")
    api.location(
        far,
        10.3157,
        123.8854,
        capabilities={"same_day": True},
        same_day_radius_km=15,
        cut_off="23:00",
        timezone=zone_where_it_is(10),
    )
    api.stock_at(far, sku, 5)
    assert "same_day" not in options(api, sku)


def test_fewest_shipments_beats_nearest(api: Api, sku: str) -> None:
    near, far = unique("near"), unique("far")
    api.location(near, 14.55, 121.02)
    api.stock_at(near, sku, 2)
    api.location(far, 14.68, 121.04)
    api.stock_at(far, sku, 4)
    order = api.checkout(checkout_body((sku, 4))).json()
    assert [s["location_id"] for s in order["shipments"]] == [far]
    explained = {c["location_id"]: c for c in order["routing"]["candidates"]}
    assert explained[near]["rejected"]


def test_a_storefront_that_does_not_ship_from_stores_never_routes_to_one(api: Api, sku: str) -> None:
    store, warehouse = unique("store"), unique("wh")
    api.location(store, 14.55, 121.02, kind="store", capabilities={"ship_from_store": True})
    api.stock_at(store, sku, 5)
    api.location(warehouse, 14.68, 121.04)
    api.stock_at(warehouse, sku, 5)
    rules = {"name": "Local Trade Portal (B2B)", "routing": {"ship_from_store": False}}
    assert api.request("PUT", "/v1/admin/storefronts/sf-local-2", key=ADMIN_KEY, json=rules).status_code == 200
    try:
        b2b = api.checkout(checkout_body((sku, 1)), storefront_key=STOREFRONT_KEY_2).json()
        assert [s["location_id"] for s in b2b["shipments"]] == [warehouse]
        b2c = api.checkout(checkout_body((sku, 1))).json()
        assert [s["location_id"] for s in b2c["shipments"]] == [store]
    finally:
        api.request("PUT", "/v1/admin/storefronts/sf-local-2", key=ADMIN_KEY, json={"name": "Local Trade Portal (B2B)"})


def test_routing_rules_naming_an_unknown_location_are_refused(api: Api) -> None:
    body = {"name": "X", "routing": {"exclude_locations": ["no-such-location"]}}
    reply = api.request("PUT", "/v1/admin/storefronts/sf-rules", key=ADMIN_KEY, json=body)
    assert (reply.status_code, reply.json()["code"]) == (422, "unknown_location_in_rules")
    body = {"name": "X", "routing": {"rules": ["eligibility", "cheapest_moon"]}}
    reply = api.request("PUT", "/v1/admin/storefronts/sf-rules", key=ADMIN_KEY, json=body)
    assert (reply.status_code, reply.json()["code"]) == (422, "unknown_routing_rule")


def test_the_plan_and_its_explanation_are_on_the_order_and_its_timeline(api: Api, sku: str) -> None:
    warehouse = unique("wh")
    api.location(warehouse, 14.6, 121.0)
    api.stock_at(warehouse, sku, 3)
    placed = api.checkout(checkout_body((sku, 1))).json()
    assert placed["routing"]["candidates"]
    order = api.request("GET", f"/v1/orders/{placed['order_id']}").json()
    accepted = order["timeline"][0]
    assert accepted["type"] == "order.accepted"
    assert accepted["detail"]["routing"]


def test_a_location_out_of_capacity_for_the_day_gets_no_more_shipments(api: Api, sku: str) -> None:
    busy, spare = unique("busy"), unique("spare")
    api.location(busy, 14.55, 121.02, capacity_per_day=2)
    api.stock_at(busy, sku, 10)
    api.location(spare, 14.68, 121.04)
    api.stock_at(spare, sku, 10)
    routed = [api.checkout(checkout_body((sku, 1))).json()["shipments"][0]["location_id"] for _ in range(3)]
    assert routed == [busy, busy, spare]
