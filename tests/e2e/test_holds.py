"""Cart holds over HTTP: they reserve, they convert into an order without reserving twice, they release."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import STOREFRONT_KEY_2, Api, checkout_body, unique


@pytest.fixture
def sku(api: Api) -> str:
    name = unique("HOLD")
    api.location(f"{name.lower()}-wh", 14.6, 121.0)
    api.stock_at(f"{name.lower()}-wh", name, 10)
    return name


def hold(api: Api, sku: str, qty: int, **extra: Any) -> dict[str, Any]:
    reply = api.request("POST", "/v1/holds", json={"lines": [{"sku": sku, "quantity": qty}], **extra})
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def test_a_hold_reserves_stock_until_it_expires(api: Api, sku: str) -> None:
    placed = hold(api, sku, 4, ttl_seconds=600)
    assert placed["status"] == "active" and placed["expires_at"] > placed["created_at"]
    assert (api.stock(sku)["reserved"], api.stock(sku)["available"]) == (4, 6)


def test_an_order_naming_its_hold_converts_it_without_reserving_twice(api: Api, sku: str) -> None:
    placed = hold(api, sku, 4)
    order = api.checkout(checkout_body((sku, 4), hold_id=placed["hold_id"]))
    assert order.status_code == 201, order.text
    assert order.json()["hold_id"] == placed["hold_id"]
    assert api.stock(sku)["reserved"] == 4
    again = api.checkout(checkout_body((sku, 4), hold_id=placed["hold_id"]))
    assert (again.status_code, again.json()["code"]) == (409, "hold_not_active")


def test_an_order_for_more_than_its_hold_reserves_only_the_difference(api: Api, sku: str) -> None:
    placed = hold(api, sku, 2)
    assert api.checkout(checkout_body((sku, 5), hold_id=placed["hold_id"])).status_code == 201
    assert api.stock(sku)["reserved"] == 5


def test_an_order_for_less_than_its_hold_releases_the_rest(api: Api, sku: str) -> None:
    placed = hold(api, sku, 6)
    assert api.checkout(checkout_body((sku, 1), hold_id=placed["hold_id"])).status_code == 201
    assert api.stock(sku)["reserved"] == 1


def test_held_units_are_not_sold_to_anyone_else(api: Api, sku: str) -> None:
    hold(api, sku, 8)
    reply = api.checkout(checkout_body((sku, 3)))
    assert reply.status_code == 409 and reply.json()["lines"][0]["available"] == 2


def test_releasing_a_hold_returns_its_stock_once(api: Api, sku: str) -> None:
    placed = hold(api, sku, 4)
    assert api.request("DELETE", f"/v1/holds/{placed['hold_id']}").json()["status"] == "released"
    assert api.stock(sku)["reserved"] == 0
    again = api.request("DELETE", f"/v1/holds/{placed['hold_id']}")
    assert (again.status_code, again.json()["code"]) == (409, "hold_not_active")
    assert api.stock(sku)["reserved"] == 0


def test_another_storefronts_hold_cannot_be_seen_released_or_used(api: Api, sku: str) -> None:
    placed = hold(api, sku, 3)
    other = api.request("DELETE", f"/v1/holds/{placed['hold_id']}", key=STOREFRONT_KEY_2)
    assert (other.status_code, other.json()["code"]) == (404, "hold_not_found")
    order = api.checkout(checkout_body((sku, 3), hold_id=placed["hold_id"]), storefront_key=STOREFRONT_KEY_2)
    assert (order.status_code, order.json()["code"]) == (404, "hold_not_found")
    assert api.stock(sku)["reserved"] == 3


def test_a_hold_for_more_than_is_available_is_409_and_reserves_nothing(api: Api, sku: str) -> None:
    reply = api.request("POST", "/v1/holds", json={"lines": [{"sku": sku, "quantity": 11}]})
    assert (reply.status_code, reply.json()["code"]) == (409, "insufficient_stock")
    assert api.stock(sku)["reserved"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"lines": []},
        {"lines": [{"sku": "X", "quantity": 1}], "ttl_seconds": 5},
        {"lines": [{"sku": "X", "quantity": 1}], "ttl_seconds": 90_000},
        {},
    ],
)
def test_a_bad_hold_request_is_a_4xx_problem(api: Api, body: dict[str, Any]) -> None:
    reply = api.request("POST", "/v1/holds", json=body)
    assert reply.status_code == 422 and reply.json()["code"] == "validation_error"
