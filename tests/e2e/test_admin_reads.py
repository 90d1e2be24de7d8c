"""Operators' reads over HTTP: every storefront's orders searched and paged, one order with what partners
said about it, the review queue, locations, products and a location's whole stock."""

from __future__ import annotations

import json
import time
from typing import Any

from oms.signing import sign
from tests.e2e.conftest import PARTNER_SECRET, STOREFRONT_KEY_2, Api, checkout_body, unique


def orders(api: Api, query: str) -> dict[str, Any]:
    reply = api.admin("GET", f"/v1/admin/orders?{query}")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_an_operator_finds_orders_of_every_storefront_by_email_po_sku_and_status(api: Api) -> None:
    sku, other = unique("FIND"), unique("FIND")
    for name in (sku, other):
        api.stock_at("mnl-wh-1", name, 10)
    email = f"{unique('buyer')}@example.com"
    first = api.checkout(checkout_body((sku, 1), customer={"id": "c-1", "email": email, "type": "b2c"})).json()
    second = api.checkout(checkout_body((other, 1), po_number=unique("PO")), storefront_key=STOREFRONT_KEY_2)
    assert second.status_code == 201, second.text
    held = api.checkout(checkout_body((sku, 1), customer={"id": "c-2", "email": "x@review.test", "type": "b2c"}))

    assert [o["order_id"] for o in orders(api, f"q={email}")["orders"]] == [first["order_id"]]
    assert [o["order_id"] for o in orders(api, f"q={second.json()['po_number']}")["orders"]] == [
        second.json()["order_id"]
    ]
    assert {o["order_id"] for o in orders(api, f"sku={sku}")["orders"]} == {first["order_id"], held.json()["order_id"]}
    assert [o["order_id"] for o in orders(api, f"q={first['order_id']}")["orders"]] == [first["order_id"]]
    by_storefront = orders(api, f"storefront_id=sf-local-2&sku={other}")["orders"]
    assert [o["storefront_id"] for o in by_storefront] == ["sf-local-2"]

    deadline = time.monotonic() + 60
    while held.json()["order_id"] not in [o["order_id"] for o in orders(api, "status=on_hold&limit=100")["orders"]]:
        assert time.monotonic() < deadline, "the held order never reached the review queue"
        time.sleep(0.2)


def test_admin_orders_page_newest_first_without_repeats(api: Api) -> None:
    sku = unique("PAGE")
    api.stock_at("mnl-wh-1", sku, 10)
    placed = [api.checkout(checkout_body((sku, 1))).json()["order_id"] for _ in range(3)]

    seen: list[str] = []
    cursor = ""
    while True:
        page = orders(api, f"sku={sku}&limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [o["order_id"] for o in page["orders"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert seen == list(reversed(placed))


def test_admin_order_search_refuses_bad_dates_and_cursors_and_storefront_keys(api: Api) -> None:
    bad_date = api.admin("GET", "/v1/admin/orders?created_after=2026-13-45")
    assert (bad_date.status_code, bad_date.json()["code"]) == (422, "validation_error")
    bad_cursor = api.admin("GET", "/v1/admin/orders?cursor=bm9wZQ")
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (400, "invalid_cursor")
    assert api.request("GET", "/v1/admin/orders").status_code == 403


def test_an_operator_sees_an_orders_routing_and_every_partner_event_applied_or_refused(api: Api) -> None:
    sku = unique("SEEN")
    api.stock_at("mnl-wh-1", sku, 5)
    order = api.checkout(checkout_body((sku, 1))).json()
    body = json.dumps(
        {
            "id": unique("evt"),
            "type": "shipment.packed",  # a carrier may not pack: refused, and recorded on the order
            "occurred_at": "2026-11-26T01:00:00Z",
            "data": {"order_id": order["order_id"], "shipment_id": order["shipments"][0]["shipment_id"]},
        }
    ).encode()
    headers = {"OMS-Signature": sign(body, PARTNER_SECRET, int(time.time())), "Content-Type": "application/json"}
    refused = api.request("POST", "/v1/webhooks/carrier", key=None, data=body, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "partner_out_of_scope")

    seen = api.admin("GET", f"/v1/admin/orders/{order['order_id']}").json()
    assert seen["routing"] and seen["partner_events_seen"] == {"applied": [], "refused": []}
    assert api.admin("GET", "/v1/admin/orders/ord_missing").status_code == 404


def test_an_operator_lists_locations_products_and_one_locations_whole_stock_by_page(api: Api) -> None:
    location_id = unique("inv")
    api.location(location_id, 14.6, 121.0)
    skus = sorted(unique("LOC") for _ in range(3))
    for sku in skus:
        api.stock_at(location_id, sku, 4)

    first = api.admin("GET", f"/v1/admin/inventory?location_id={location_id}&limit=2").json()
    rest = api.admin("GET", f"/v1/admin/inventory?location_id={location_id}&cursor={first['next_cursor']}").json()
    levels = first["levels"] + rest["levels"]
    assert [lv["sku"] for lv in levels] == skus and rest["next_cursor"] is None
    assert all((lv["on_hand"], lv["available"]) == (4, 4) for lv in levels)
    other = api.admin("GET", f"/v1/admin/inventory?location_id=mnl-wh-1&cursor={first['next_cursor']}")
    assert (other.status_code, other.json()["code"]) == (400, "invalid_cursor")  # another location's cursor

    locations = api.admin("GET", "/v1/admin/locations?limit=100").json()["locations"]
    assert location_id in [loc["location_id"] for loc in locations]
    assert api.admin("GET", "/v1/admin/products").json()["products"]  # the demo's made-to-order sofa at least
    dead = api.admin("GET", "/v1/admin/dead-letters").json()
    assert [q["queue"] for q in dead["queues"]] == ["partner-events", "notifications"]


def test_an_operator_cancels_any_storefronts_order_and_its_stock_comes_back(api: Api) -> None:
    sku = unique("OPCANCEL")
    api.stock_at("mnl-wh-1", sku, 3)
    order = api.checkout(checkout_body((sku, 2)), storefront_key=STOREFRONT_KEY_2).json()

    cancelled = api.admin("POST", f"/v1/admin/orders/{order['order_id']}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and "operator" in cancelled.json()["reason"]
    assert api.stock(sku)["reserved"] == 0
    assert api.request("POST", f"/v1/admin/orders/{order['order_id']}/cancel").status_code == 403  # storefront key
    missing = api.admin("POST", "/v1/admin/orders/ord_nope/cancel")
    assert (missing.status_code, missing.json()["code"]) == (404, "order_not_found")


def test_a_forged_cursor_is_a_400_not_a_key_dynamodb_refuses(api: Api) -> None:
    import base64

    forged = {"scope": "mnl-wh-1", "key": {"sku": "A", "pk": "x"}}  # the right listing, a key of other attributes
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    for path in (f"/v1/admin/inventory?location_id=mnl-wh-1&cursor={cursor}", f"/v1/orders?cursor={cursor}"):
        reply = api.admin("GET", path) if "admin" in path else api.request("GET", path)
        assert (reply.status_code, reply.json()["code"]) == (400, "invalid_cursor"), reply.text
