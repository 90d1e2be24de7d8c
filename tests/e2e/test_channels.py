"""Channels over HTTP: a marketplace partner (its endpoint a local receiver) sells sf-local's stock; its
orders become orders once, the last unit raced with the storefront's checkout is sold once and the loser
refused, and the channel ends with the right figure after a burst."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from tests.e2e.conftest import Api, checkout_body, unique
from tests.e2e.test_partners import Receiver, receiver
from tests.e2e.test_supply import partner_event
from tests.e2e.test_webhooks import post_event, wait_for

__all__ = ["receiver"]  # the fixture, used by name

LOCATION = "mnl-wh-1"


def marketplace(api: Api, url: str) -> tuple[str, str]:
    partner_id = unique("shopee")
    made = api.admin("PUT", f"/v1/admin/partners/{partner_id}", {"roles": ["marketplace"], "url": url})
    assert made.status_code == 201, made.text
    return partner_id, made.json()["secret"]


def heard(kind: str) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body in Receiver.received if json.loads(body)["type"] == kind]


def told(api: Api, channel_id: str, sku: str) -> int | None:
    figures = api.admin("GET", f"/v1/admin/channels/{channel_id}/stock").json()["skus"]
    return next((f["quantity"] for f in figures if f["sku"] == sku), None)


def sold(channel_id: str, marketplace_order_id: str, sku: str) -> dict[str, Any]:
    order = checkout_body((sku, 1))
    return partner_event(
        "marketplace.order_created",
        channel_id=channel_id,
        marketplace_order_id=marketplace_order_id,
        customer=order["customer"],
        currency="PHP",
        lines=order["lines"],
        shipping_address=order["shipping_address"],
        payment={"method": "marketplace"},
    )


def test_a_channel_sells_the_storefronts_stock_once_and_hears_every_figure(api: Api, receiver: str) -> None:
    partner_id, secret = marketplace(api, receiver)
    sku, channel_id = unique("CH"), unique("shopee-ph")
    api.stock_at(LOCATION, sku, 6)
    setup = {"storefront_id": "sf-local", "partner_id": partner_id, "skus": [sku], "buffer": {"units": 1}}
    assert api.admin("PUT", f"/v1/admin/channels/{channel_id}", setup).status_code == 201
    assert wait_for(lambda: told(api, channel_id, sku) == 5)  # 6 less its buffer of 1
    assert any(e["data"]["quantities"].get(sku) == 5 for e in heard("marketplace.stock"))

    # A marketplace order: one order, however often it is delivered.
    first = sold(channel_id, "SHP-1", sku)
    for _ in range(2):
        assert post_event(api, partner_id, first, secret=secret).status_code == 202

    def orders() -> list[dict[str, Any]]:
        return list(api.admin("GET", "/v1/admin/orders?q=SHP-1").json()["orders"])

    assert wait_for(lambda: len(orders()) == 1)
    order = orders()[0]
    assert order["source"]["marketplace_order_id"] == "SHP-1" and order["payment"]["method"] == "marketplace"
    assert wait_for(lambda: told(api, channel_id, sku) == 4)

    # A burst of storefront checkouts: the channel ends with the last figure (5 sold of 6: 1 left, its buffer).
    for _ in range(4):
        assert api.checkout(checkout_body((sku, 1))).status_code == 201
    assert wait_for(lambda: told(api, channel_id, sku) == 0)

    # The last unit, raced by a marketplace order and a storefront checkout: sold once, the loser refused.
    answers: dict[str, Any] = {}

    def storefront() -> None:
        answers["storefront"] = api.checkout(checkout_body((sku, 1))).status_code

    def channel() -> None:
        answers["channel"] = post_event(api, partner_id, sold(channel_id, "SHP-LAST", sku), secret=secret).status_code

    racers = [threading.Thread(target=storefront), threading.Thread(target=channel)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert answers["channel"] == 202

    def settled() -> bool:
        refused = [e for e in heard("marketplace.order_refused") if e["data"]["marketplace_order_id"] == "SHP-LAST"]
        won = api.admin("GET", "/v1/admin/orders?q=SHP-LAST").json()["orders"]
        return (answers["storefront"] == 201 and bool(refused)) or (answers["storefront"] == 409 and bool(won))

    assert wait_for(settled), (answers, heard("marketplace.order_refused"))
    stock = api.stock(sku)
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (6, 6, 0)  # never oversold


def test_a_marketplace_order_naming_another_partners_channel_is_refused(api: Api, receiver: str) -> None:
    owner, _ = marketplace(api, receiver)
    stranger, secret = marketplace(api, receiver)
    sku, channel_id = unique("CH"), unique("lazada-ph")
    api.stock_at(LOCATION, sku, 3)
    assert (
        api.admin(
            # Its own sku only: a channel of every sku would outlive this module's receiver, and every later
            # stock change would be retried against a marketplace that is gone.
            "PUT",
            f"/v1/admin/channels/{channel_id}",
            {"storefront_id": "sf-local", "partner_id": owner, "skus": [sku]},
        ).status_code
        == 201
    )
    foreign = sold(channel_id, f"LZD-{uuid.uuid4().hex[:6]}", sku)
    assert post_event(api, stranger, foreign, secret=secret).status_code == 202
    time.sleep(1.5)  # the worker has taken it by now; nothing may come of it
    bad = api.admin("PUT", f"/v1/admin/channels/{channel_id}", {"storefront_id": "sf-nowhere", "partner_id": owner})
    assert (bad.status_code, bad.json()["code"]) == (404, "storefront_not_found")
    assert api.stock(sku)["reserved"] == 0
