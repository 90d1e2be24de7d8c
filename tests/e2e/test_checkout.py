"""Checkout over HTTP: live stock across locations, never sold twice, idempotent, storefront-scoped."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import STOREFRONT_KEY_2, Api, checkout_body, unique


@pytest.fixture
def sku(api: Api) -> str:
    """A fresh sku stocked 12 / 15 / 10 at three new locations around Metro Manila."""
    name = unique("SKU")
    for location_id, lat, lon, units in (("a", 14.60, 120.98, 12), ("b", 14.55, 121.02, 15), ("c", 14.68, 121.04, 10)):
        location = f"{name.lower()}-{location_id}"
        api.location(location, lat, lon)
        api.stock_at(location, name, units)
    return name


def test_an_order_is_created_priced_and_its_stock_reserved(api: Api, sku: str) -> None:
    reply = api.checkout(checkout_body((sku, 2)))
    assert reply.status_code == 201, reply.text
    order = reply.json()
    assert order["status"] == "accepted" and order["storefront_id"] == "sf-local"
    assert order["totals"] == {"subtotal": 119800, "tax": 14376 + 1188, "shipping": 9900, "total": 145264}
    assert sum(line["quantity"] for s in order["shipments"] for line in s["lines"]) == 2
    assert order["payment"]["method"] == "card" and "token" not in order["payment"]
    stock = api.stock(sku)
    assert (stock["reserved"], stock["available"]) == (2, 35)


def test_the_nearest_location_holding_everything_ships_the_order(api: Api, sku: str) -> None:
    # Makati (1226) is nearest to location b (14.55, 121.02).
    order = api.checkout(checkout_body((sku, 3))).json()
    assert [s["location_id"] for s in order["shipments"]] == [f"{sku.lower()}-b"]


def test_a_split_happens_only_when_no_location_can_ship_everything(api: Api, sku: str) -> None:
    order = api.checkout(checkout_body((sku, 20))).json()
    assert len(order["shipments"]) == 2
    assert sum(ln["quantity"] for s in order["shipments"] for ln in s["lines"]) == 20


def test_150_concurrent_buyers_of_37_units_get_exactly_37_orders(api: Api, sku: str) -> None:
    def buy(_: int) -> int:
        return api.checkout(checkout_body((sku, 1))).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = Counter(pool.map(buy, range(150)))
    assert statuses == Counter({201: 37, 409: 113})
    stock = api.stock(sku)
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (37, 37, 0)


def test_twenty_concurrent_requests_with_one_key_make_one_order_reserved_once(api: Api, sku: str) -> None:
    key = str(uuid.uuid4())
    body = checkout_body((sku, 2))

    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda _: api.checkout(body, key=key), range(20)))
    assert sorted({r.status_code for r in replies}) in ([200, 201], [201])
    assert [r.status_code for r in replies].count(201) == 1
    assert len({r.json()["order_id"] for r in replies}) == 1
    assert api.stock(sku)["reserved"] == 2


def test_the_same_key_and_body_again_answer_the_same_order_with_200(api: Api, sku: str) -> None:
    key = str(uuid.uuid4())
    first = api.checkout(checkout_body((sku, 1)), key=key)
    again = api.checkout(checkout_body((sku, 1)), key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order_id"] == first.json()["order_id"]
    assert api.stock(sku)["reserved"] == 1


def test_the_same_key_with_another_body_is_422_idempotency_key_reused(api: Api, sku: str) -> None:
    key = str(uuid.uuid4())
    assert api.checkout(checkout_body((sku, 1)), key=key).status_code == 201
    reply = api.checkout(checkout_body((sku, 2)), key=key)
    assert reply.status_code == 422 and reply.json()["code"] == "idempotency_key_reused"
    assert api.stock(sku)["reserved"] == 1


def test_a_retry_after_the_stock_ran_out_still_gets_its_order(api: Api, sku: str) -> None:
    key = str(uuid.uuid4())
    first = api.checkout(checkout_body((sku, 37)), key=key)
    assert first.status_code == 201
    assert api.checkout(checkout_body((sku, 37)), key=key).json()["order_id"] == first.json()["order_id"]


def test_not_enough_stock_is_409_with_availability_per_line(api: Api, sku: str) -> None:
    sold_out = unique("GONE")
    api.stock_at("mnl-wh-1", sold_out, 0)
    reply = api.checkout(checkout_body((sku, 40), (sold_out, 1)))
    assert reply.status_code == 409
    problem = reply.json()
    assert problem["code"] == "insufficient_stock"
    assert {(ln["sku"], ln["requested"], ln["available"]) for ln in problem["lines"]} == {
        (sku, 40, 37),
        (sold_out, 1, 0),
    }
    assert api.stock(sku)["reserved"] == 0


def test_a_sku_nothing_stocks_or_describes_is_a_422_typo_not_a_stock_out(api: Api, sku: str) -> None:
    typo = unique("TSHRIT")
    reply = api.checkout(checkout_body((sku, 1), (typo, 1)))
    assert (reply.status_code, reply.json()["code"], reply.json()["lines"]) == (422, "unknown_sku", [{"sku": typo}])
    assert api.stock(sku)["reserved"] == 0


def test_ship_complete_forces_one_location_or_409(api: Api, sku: str) -> None:
    b2b: dict[str, Any] = {
        "customer": {
            "id": "acme",
            "email": "buyer@acme.test",
            "type": "b2b",
            "company": "Acme",
            "tax_id": "123-456-789",
        },
        "po_number": "PO-7781",
        "payment": {"method": "invoice"},
        "ship_complete": True,
    }
    assert api.checkout(checkout_body((sku, 16), **b2b)).json()["code"] == "ship_complete_unavailable"
    order = api.checkout(checkout_body((sku, 15), **b2b))
    assert order.status_code == 201, order.text
    placed = order.json()
    assert len(placed["shipments"]) == 1
    assert (placed["po_number"], placed["ship_complete"], placed["payment"]["method"]) == ("PO-7781", True, "invoice")
    assert placed["customer"]["company"] == "Acme"


def test_another_storefronts_order_is_404_and_never_listed(api: Api, sku: str) -> None:
    order_id = api.checkout(checkout_body((sku, 1))).json()["order_id"]
    assert api.request("GET", f"/v1/orders/{order_id}").status_code == 200
    other = api.request("GET", f"/v1/orders/{order_id}", key=STOREFRONT_KEY_2)
    assert other.status_code == 404 and other.json()["code"] == "order_not_found"
    listed = api.request("GET", "/v1/orders?limit=100", key=STOREFRONT_KEY_2).json()["orders"]
    assert order_id not in {o["order_id"] for o in listed}
    cancel = api.request("POST", f"/v1/orders/{order_id}/cancel", key=STOREFRONT_KEY_2)
    assert (cancel.status_code, cancel.json()["code"]) == (404, "order_not_found")
    assert api.request("GET", f"/v1/orders/{order_id}").json()["status"] != "cancelled"


def test_orders_list_newest_first_in_pages_with_an_opaque_cursor(api: Api) -> None:
    sku = unique("PAGE")
    api.location(f"{sku.lower()}-wh", 14.6, 121.0)
    api.stock_at(f"{sku.lower()}-wh", sku, 10)
    placed = [
        api.checkout(checkout_body((sku, 1)), storefront_key=STOREFRONT_KEY_2).json()["order_id"] for _ in range(3)
    ]
    first = api.request("GET", "/v1/orders?limit=2", key=STOREFRONT_KEY_2).json()
    second = api.request("GET", f"/v1/orders?limit=2&cursor={first['next_cursor']}", key=STOREFRONT_KEY_2).json()
    seen = [o["order_id"] for o in first["orders"] + second["orders"]]
    assert seen[:3] == placed[::-1]
    forged = api.request("GET", "/v1/orders?cursor=bm90LWEtY3Vyc29y", key=STOREFRONT_KEY_2)
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_cursor"


def test_an_order_shows_its_timeline_once_the_fulfil_phase_ran(api: Api, sku: str) -> None:
    import time

    order_id = api.checkout(checkout_body((sku, 1))).json()["order_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        order = api.request("GET", f"/v1/orders/{order_id}").json()
        if order["status"] == "processing":
            break
        time.sleep(0.1)
    types = [e["type"] for e in order["timeline"]]
    assert types[0] == "order.accepted"
    assert {"fraud.approved", "payment.authorized", "shipment.booked", "shipment.released"} <= set(types)
    assert order["shipments"][0]["carrier"] and order["shipments"][0]["tracking_number"]


def test_availability_shows_totals_and_locations_for_storefronts(api: Api, sku: str) -> None:
    reply = api.request("GET", f"/v1/availability?sku={sku}&sku=UNKNOWN-SKU")
    assert reply.status_code == 200
    by_sku = {entry["sku"]: entry for entry in reply.json()["skus"]}
    assert by_sku[sku]["available"] == 37 and len(by_sku[sku]["locations"]) == 3
    assert by_sku["UNKNOWN-SKU"] == {
        "sku": "UNKNOWN-SKU",
        "available": 0,
        "locations": [],
        "incoming": [],
        "backorder": False,
    }
