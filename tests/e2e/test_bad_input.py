"""Every malformed request gets a 4xx problem with a named code, and writes nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.e2e.conftest import Api, checkout_body, unique

SKU = unique("BAD")
LOCATION = SKU.lower() + "-wh"
DEEP: Any = 1
for _ in range(40):  # deeper than any document of ours nests
    DEEP = [DEEP]


def _mutated(**changes: Any) -> dict[str, Any]:
    body = checkout_body((SKU, 1))
    for path, value in changes.items():
        target = body
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is ...:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return body


BAD_BODIES: dict[str, tuple[dict[str, Any], str]] = {
    "quantity zero": (_mutated(lines__0__quantity=0), "validation_error"),
    "quantity over 10,000": (_mutated(lines__0__quantity=10_001), "validation_error"),
    "quantity as text": (_mutated(lines__0__quantity="2"), "validation_error"),
    "negative price": (_mutated(lines__0__unit_price=-1), "validation_error"),
    "fractional price": (_mutated(lines__0__unit_price=599.5), "validation_error"),
    "unknown currency": (_mutated(currency="XYZ"), "validation_error"),
    "lower-case currency": (_mutated(currency="php"), "validation_error"),
    "unknown service level": (_mutated(service_level="teleport"), "validation_error"),
    "no lines": (_mutated(lines=[]), "validation_error"),
    "101 lines": (_mutated(lines=[{"sku": SKU, "quantity": 1, "unit_price": 1}] * 101), "validation_error"),
    "sku too long": (_mutated(lines__0__sku="S" * 65), "validation_error"),
    "sku with spaces": (_mutated(lines__0__sku="A B"), "validation_error"),
    "missing customer": (_mutated(customer=...), "validation_error"),
    "bad email": (_mutated(customer__email="not-an-email"), "validation_error"),
    "name too long": (_mutated(shipping_address__name="N" * 201), "validation_error"),
    "country not ISO": (_mutated(shipping_address__country="Philippines"), "validation_error"),
    "latitude out of range": (_mutated(shipping_address__lat=91.0, shipping_address__lon=0.0), "validation_error"),
    "card without token": (_mutated(payment={"method": "card"}), "validation_error"),
    "invoice for b2c": (_mutated(payment={"method": "invoice"}), "validation_error"),
    "unknown field": (_mutated(coupon="FREE"), "validation_error"),
    "body is a list": ([], "validation_error"),  # type: ignore[dict-item]
    "country the OMS cannot place": (_mutated(shipping_address__country="ZZ"), "destination_unlocatable"),
}


@pytest.fixture(scope="module")
def stocked(api: Api) -> Api:
    api.location(LOCATION, 14.6, 121.0)
    api.stock_at(LOCATION, SKU, 5)
    return api


def _nothing_written(api: Api, before: dict[str, Any], orders_before: int) -> None:
    assert api.stock(SKU) == before
    assert len(api.request("GET", "/v1/orders?limit=100").json()["orders"]) == orders_before


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_a_bad_checkout_body_is_a_4xx_problem_and_writes_nothing(stocked: Api, case: str) -> None:
    body, code = BAD_BODIES[case]
    before, orders = stocked.stock(SKU), len(stocked.request("GET", "/v1/orders?limit=100").json()["orders"])
    reply = stocked.checkout(copy.deepcopy(body))
    assert 400 <= reply.status_code < 500, reply.text
    assert reply.headers["Content-Type"] == "application/problem+json"
    problem = reply.json()
    assert problem["code"] == code and problem["status"] == reply.status_code and problem["detail"]
    if code == "validation_error":
        assert problem["errors"] and all(e["field"] for e in problem["errors"])
    _nothing_written(stocked, before, orders)


RAW_REQUESTS: dict[str, tuple[bytes, dict[str, str], int, str]] = {
    "invalid JSON": (b'{"lines": [', {"Content-Type": "application/json"}, 400, "invalid_json"),
    "not UTF-8": (b'{"customer": "\xff\xfe"}', {"Content-Type": "application/json"}, 400, "invalid_encoding"),
    "wrong content type": (
        json.dumps(checkout_body((SKU, 1))).encode(),
        {"Content-Type": "text/plain"},
        415,
        "unsupported_media_type",
    ),
    "nested 1,000 deep": (
        b'{"customer": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        {"Content-Type": "application/json"},
        400,
        "json_out_of_bounds",
    ),
    "a number JSON cannot hold": (
        b'{"lines": [{"quantity": 1e400}]}',
        {"Content-Type": "application/json"},
        400,
        "json_out_of_bounds",
    ),
    "oversize body": (
        b'{"x": "' + b"a" * 300_000 + b'"}',
        {"Content-Type": "application/json"},
        413,
        "payload_too_large",
    ),
}


@pytest.mark.parametrize("case", sorted(RAW_REQUESTS))
def test_a_malformed_request_is_a_4xx_problem_and_writes_nothing(stocked: Api, case: str) -> None:
    data, headers, status, code = RAW_REQUESTS[case]
    before, orders = stocked.stock(SKU), len(stocked.request("GET", "/v1/orders?limit=100").json()["orders"])
    reply = stocked.request("POST", "/v1/orders", data=data, headers={**headers, "Idempotency-Key": unique("k")})
    assert (reply.status_code, reply.json()["code"]) == (status, code), reply.text
    _nothing_written(stocked, before, orders)


def test_a_checkout_without_idempotency_key_is_400_and_writes_nothing(stocked: Api) -> None:
    before = stocked.stock(SKU)
    reply = stocked.request("POST", "/v1/orders", json=checkout_body((SKU, 1)))
    assert (reply.status_code, reply.json()["code"]) == (400, "idempotency_key_missing")
    assert stocked.stock(SKU) == before


def test_an_idempotency_key_that_is_not_printable_ascii_is_400(stocked: Api) -> None:
    reply = stocked.checkout(checkout_body((SKU, 1)), key="x" * 300)
    assert (reply.status_code, reply.json()["code"]) == (400, "idempotency_key_invalid")


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("PUT", "/v1/admin/locations/x1", {"name": "X", "type": "castle", "lat": 1, "lon": 1}, "validation_error"),
        ("PUT", "/v1/admin/locations/x1", {"name": "X", "type": "store", "lat": 100, "lon": 1}, "validation_error"),
        ("PUT", f"/v1/admin/inventory/{LOCATION}/{SKU}", {"on_hand": -1}, "validation_error"),
        ("PUT", f"/v1/admin/inventory/no-such-place/{SKU}", {"on_hand": 1}, "location_not_found"),
        ("PUT", f"/v1/admin/inventory/{LOCATION}/{SKU}", {"on_hand": 0, "safety_stock": 0, "x": 1}, "validation_error"),
        ("POST", f"/v1/admin/inventory/{LOCATION}/{SKU}/adjustments", {"delta": 0, "reason": "r"}, "validation_error"),
        ("POST", f"/v1/admin/inventory/{LOCATION}/{SKU}/adjustments", {"delta": 1}, "validation_error"),
        ("PUT", "/v1/admin/products/SOFA-X", {"made_to_order": True}, "validation_error"),
        (
            "PUT",
            "/v1/admin/products/SOFA-X",
            {"made_to_order": True, "workshop_location_id": LOCATION},
            "not_a_workshop",
        ),
        (
            "PUT",
            "/v1/admin/locations/x1",
            {"name": "X", "type": "store", "lat": 1, "lon": 1, "deep": DEEP},
            "json_out_of_bounds",
        ),
    ],
)
def test_bad_admin_input_is_a_4xx_problem_and_changes_no_stock(
    stocked: Api, method: str, path: str, body: dict[str, Any], code: str
) -> None:
    before = stocked.stock(SKU)
    reply = stocked.admin(method, path, body)
    assert 400 <= reply.status_code < 500 and reply.json()["code"] == code, reply.text
    assert stocked.stock(SKU) == before


def test_a_location_as_api_md_writes_it_is_accepted_and_a_vanishing_coordinate_is_zero(stocked: Api) -> None:
    # API.md's PUT /v1/admin/locations/mnl-wh-1 body, verbatim (its address names no recipient).
    api_md = json.loads(
        '{"name": "Manila DC", "type": "warehouse",'
        ' "address": {"line1": "1 Port Rd", "city": "Manila", "region": "Metro Manila", "postal_code": "1018",'
        ' "country": "PH"},'
        ' "lat": 14.5995, "lon": 120.9842}'
    )
    reply = stocked.admin("PUT", f"/v1/admin/locations/{unique('api-md')}", api_md)
    assert reply.status_code == 200, reply.text
    assert (reply.json()["lon"], reply.json()["address"]["region"]) == (120.9842, "Metro Manila")

    vanishing = stocked.admin("PUT", f"/v1/admin/locations/{unique('api-md')}", {**api_md, "lon": 2.2e-311})
    assert vanishing.status_code == 200, vanishing.text  # was a 502: DynamoDB refuses numbers below 1e-130
    assert (vanishing.json()["lon"], vanishing.json()["address"]["name"]) == (0.0, None)


def test_stock_cannot_be_set_below_what_is_reserved(stocked: Api) -> None:
    assert stocked.checkout(checkout_body((SKU, 2))).status_code == 201
    reply = stocked.admin("PUT", f"/v1/admin/inventory/{LOCATION}/{SKU}", {"on_hand": 1})
    assert (reply.status_code, reply.json()["code"]) == (409, "on_hand_below_reserved")
    reply = stocked.admin("POST", f"/v1/admin/inventory/{LOCATION}/{SKU}/adjustments", {"delta": -4, "reason": "lost"})
    assert (reply.status_code, reply.json()["code"]) == (409, "adjustment_below_reserved")
    stock = stocked.stock(SKU)
    assert (stock["on_hand"], stock["reserved"]) == (5, 2)


def test_an_adjustment_changes_on_hand_and_is_kept_in_the_audit_trail(stocked: Api) -> None:
    reply = stocked.admin("POST", f"/v1/admin/inventory/{LOCATION}/{SKU}/adjustments", {"delta": 3, "reason": "found"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["on_hand"] == stocked.stock(SKU)["on_hand"]
    assert reply.json()["adjustments"][0]["reason"] == "found"


@pytest.mark.parametrize(
    "query",
    ["", "?sku=", "?sku=" + "A" * 65, "?sku=has%20space", "?" + "&".join(f"sku=S{i}" for i in range(51))],
)
def test_a_bad_availability_query_is_a_4xx_problem(stocked: Api, query: str) -> None:
    reply = stocked.request("GET", "/v1/availability" + query)
    assert 400 <= reply.status_code < 500 and reply.json()["code"] == "validation_error", reply.text


@pytest.mark.parametrize("query", ["?limit=0", "?limit=101", "?limit=x", "?status=lost", "?created_after=yesterday"])
def test_a_bad_orders_listing_query_is_a_4xx_problem(stocked: Api, query: str) -> None:
    reply = stocked.request("GET", "/v1/orders" + query)
    assert 400 <= reply.status_code < 500 and reply.json()["code"] == "validation_error", reply.text
