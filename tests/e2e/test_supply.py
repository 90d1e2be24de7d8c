"""Supply over HTTP: an inbound expected then received, a transfer shipped and received, a cycle count with
its variance; what is coming shows in availability."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tests.e2e.conftest import Api, checkout_body, unique
from tests.e2e.test_partners import Receiver, receiver
from tests.e2e.test_webhooks import post_event, wait_for

__all__ = ["receiver"]  # the fixture, used by name


def received_events() -> list[dict[str, Any]]:
    return [json.loads(body) for _, body in Receiver.received]


def partner_event(kind: str, **data: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": kind, "occurred_at": "2026-11-26T01:00:00Z", "data": data}


def level(api: Api, sku: str, location_id: str) -> dict[str, Any]:
    return next((lv for lv in api.stock(sku)["locations"] if lv["location_id"] == location_id), {})


def test_an_inbound_is_expected_then_received_and_shows_what_is_coming(api: Api) -> None:
    sku, location_id = unique("PO"), unique("dc")
    api.location(location_id, 14.6, 121.0)
    api.stock_at(location_id, sku, 1)
    put = api.admin(
        "PUT",
        f"/v1/admin/inbound/{unique('po')}",
        {"location_id": location_id, "expected_at": "2026-12-20T00:00:00Z", "lines": [{"sku": sku, "quantity": 10}]},
    )
    assert put.status_code == 201, put.text
    inbound_id = put.json()["inbound_id"]
    seen = api.request("GET", f"/v1/availability?sku={sku}").json()["skus"][0]
    assert seen["incoming"] == [] or seen["incoming"][0]["quantity"] == 10  # sf-local may not sell the new location

    receipt = partner_event(
        "inbound.received", inbound_id=inbound_id, location_id=location_id, lines=[{"sku": sku, "quantity": 7}]
    )
    assert post_event(api, "warehouse", receipt).status_code == 202
    assert wait_for(lambda: level(api, sku, location_id).get("on_hand") == 8)
    assert post_event(api, "warehouse", receipt).status_code == 202  # a redelivery
    time.sleep(1)
    assert level(api, sku, location_id)["on_hand"] == 8
    inbound = api.admin("GET", f"/v1/admin/inbound/{inbound_id}").json()
    assert (inbound["status"], inbound["lines"][0]["received"]) == ("partially_received", 7)


def test_a_transfer_is_shipped_and_received_with_units_conserved(api: Api) -> None:
    sku, source, target = unique("TRF"), unique("src"), unique("dst")
    api.location(source, 14.6, 121.0)
    api.location(target, 10.3, 123.9)
    api.stock_at(source, sku, 6)

    created = api.admin(
        "POST",
        "/v1/admin/transfers",
        {"from_location_id": source, "to_location_id": target, "lines": [{"sku": sku, "quantity": 4}]},
    )
    assert created.status_code == 201, created.text
    transfer_id = created.json()["transfer_id"]
    assert (level(api, sku, source)["reserved"], level(api, sku, source)["available"]) == (4, 2)

    assert post_event(api, "warehouse", partner_event("transfer.shipped", transfer_id=transfer_id)).status_code == 202
    assert wait_for(lambda: level(api, sku, source).get("on_hand") == 2)
    assert post_event(api, "warehouse", partner_event("transfer.received", transfer_id=transfer_id)).status_code == 202
    assert wait_for(lambda: level(api, sku, target).get("on_hand") == 4)
    assert api.stock(sku)["on_hand"] == 6  # nothing made or lost on the way
    assert api.admin("GET", f"/v1/admin/transfers/{transfer_id}").json()["status"] == "received"


def test_bad_supply_requests_are_4xx_and_write_nothing(api: Api) -> None:
    sku = unique("BADSUP")
    api.stock_at("mnl-wh-1", sku, 2)
    cases = [
        (
            "POST",
            "/v1/admin/transfers",
            {"from_location_id": "mnl-wh-1", "to_location_id": "mnl-wh-1", "lines": [{"sku": sku, "quantity": 1}]},
            422,
            "transfer_to_itself",
        ),
        (
            "POST",
            "/v1/admin/transfers",
            {"from_location_id": "mnl-wh-1", "to_location_id": "nowhere", "lines": [{"sku": sku, "quantity": 1}]},
            404,
            "location_not_found",
        ),
        (
            "POST",
            "/v1/admin/transfers",
            {"from_location_id": "mnl-wh-1", "to_location_id": "ceb-wh-1", "lines": [{"sku": sku, "quantity": 3}]},
            409,
            "insufficient_stock",
        ),
        (
            "POST",
            "/v1/admin/transfers",
            {"from_location_id": "mnl-wh-1", "to_location_id": "ceb-wh-1", "lines": [{"sku": sku, "quantity": 0}]},
            422,
            "validation_error",
        ),
        (
            "PUT",
            f"/v1/admin/inbound/{unique('po')}",
            {"location_id": "mnl-wh-1", "expected_at": "soon", "lines": [{"sku": sku, "quantity": 1}]},
            422,
            "validation_error",
        ),
        (
            "PUT",
            f"/v1/admin/inbound/{unique('po')}",
            {
                "location_id": "mnl-wh-1",
                "expected_at": "2026-12-20T00:00:00Z",
                "lines": [{"sku": unique("TYPO"), "quantity": 1}],
            },
            422,
            "unknown_sku",
        ),
    ]
    for method, path, body, status, code in cases:
        answer = api.admin(method, path, body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (path, body, answer.text)
    assert (level(api, sku, "mnl-wh-1")["on_hand"], level(api, sku, "mnl-wh-1")["reserved"]) == (2, 0)


def test_a_cycle_count_sets_on_hand_and_keeps_the_variance(api: Api) -> None:
    sku = unique("COUNT")
    api.stock_at("mnl-wh-1", sku, 9)
    count = partner_event("inventory.counted", location_id="mnl-wh-1", sku=sku, on_hand=6)
    assert post_event(api, "warehouse", count).status_code == 202
    assert wait_for(lambda: level(api, sku, "mnl-wh-1").get("on_hand") == 6)
    adjusted = api.admin("POST", f"/v1/admin/inventory/mnl-wh-1/{sku}/adjustments", {"delta": 1, "reason": "found one"})
    trail = adjusted.json()["adjustments"]
    assert any(entry["reason"] == "counted" and entry["delta"] == -3 and entry["counted"] == 6 for entry in trail), (
        trail
    )


def test_sales_make_a_level_low_once_and_the_report_suggests_a_transfer_from_the_surplus(
    api: Api, receiver: str
) -> None:
    storefront = api.admin("GET", "/v1/admin/storefronts/sf-local").json()
    config = {k: v for k, v in storefront.items() if k not in ("storefront_id", "webhook_secret")}
    assert api.admin("PUT", "/v1/admin/storefronts/sf-local", {**config, "webhook_url": receiver}).status_code == 200
    sku, near, far = unique("HEALTH"), unique("mkt"), unique("dvo")
    try:
        api.location(near, 14.55, 121.02)  # Makati, beside the checkout's address
        api.location(far, 7.19, 125.45)  # Davao: far, and with far more than it sells
        api.stock_at(near, sku, 12)
        api.stock_at(far, sku, 500)
        for _ in range(4):  # 8 units sold from Makati today: 4 left, under the week a warehouse needs to restock
            order = api.checkout(checkout_body((sku, 2))).json()
            assert order["shipments"][0]["location_id"] == near, order["shipments"]
            ship(api, order)
        # One unit sold in Davao: its 499 left are years of cover there, a surplus to move.
        davao = {"name": "Ben", "line1": "1 Roxas Ave", "city": "Davao", "postal_code": "8000", "country": "PH"}
        order = api.checkout(checkout_body((sku, 1), shipping_address=davao)).json()
        assert order["shipments"][0]["location_id"] == far, order["shipments"]
        ship(api, order)

        def low() -> list[dict[str, Any]]:
            return [e for e in received_events() if e["type"] == "stock.low" and e["data"]["sku"] == sku]

        assert wait_for(low), received_events()
        time.sleep(2)  # a further change must not announce it again
        assert len(low()) == 1 and low()[0]["data"]["location_id"] == near

        report = api.admin("GET", f"/v1/admin/stock-health?sku={sku}").json()["levels"]
        here = next(lv for lv in report if lv["location_id"] == near)
        assert here["status"] == "low" and here["daily_sales"] > 0
        assert here["suggestion"]["type"] == "transfer" and here["suggestion"]["from_location_id"] == far
        assert next(lv for lv in report if lv["location_id"] == far)["status"] == "over"
        by_status = api.admin("GET", f"/v1/admin/stock-health?location_id={near}&status=low").json()["levels"]
        assert sku in [lv["sku"] for lv in by_status]
    finally:
        api.admin("PUT", "/v1/admin/storefronts/sf-local", config)


def ship(api: Api, order: dict[str, Any]) -> None:
    """Pack it (the warehouse partner) and wait for the ship phase: the units leave as a sale."""
    for shipment in order["shipments"]:
        ref = {"order_id": order["order_id"], "shipment_id": shipment["shipment_id"]}
        wait_for(
            lambda: api.request("GET", f"/v1/orders/{order['order_id']}").json()["shipments"][0]["status"] == "released"
        )
        assert post_event(api, "warehouse", partner_event("shipment.packed", **ref)).status_code == 202
    assert wait_for(lambda: api.request("GET", f"/v1/orders/{order['order_id']}").json()["status"] == "shipped")


def test_a_count_below_what_is_promised_shows_the_shortage_and_the_orders_it_hits(api: Api) -> None:
    sku = unique("SHORT")
    api.stock_at("mnl-wh-1", sku, 4)
    order = api.checkout(checkout_body((sku, 3))).json()
    assert order["shipments"][0]["location_id"] == "mnl-wh-1"
    count = partner_event("inventory.counted", location_id="mnl-wh-1", sku=sku, on_hand=1)
    assert post_event(api, "warehouse", count).status_code == 202

    def short() -> dict[str, Any]:
        levels = api.admin("GET", f"/v1/admin/stock-health?sku={sku}").json()["levels"]
        return next((lv for lv in levels if lv["location_id"] == "mnl-wh-1" and lv["shortage"]), {})

    level = wait_for(short)
    assert level["shortage"] == 2 and order["order_id"] in level["orders_short"]
    assert (level["on_hand"], level["reserved"], level["available"]) == (3, 3, 0)  # the promised units kept
