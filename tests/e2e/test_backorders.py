"""Backorders over HTTP: a `backorder` product sold against a purchase order, its promise moved when the
inbound slips, released when the goods are received; the storefront told each time, once."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.e2e.conftest import Api, checkout_body, unique
from tests.e2e.test_partners import Receiver, receiver
from tests.e2e.test_supply import level, partner_event
from tests.e2e.test_webhooks import post_event, wait_for

__all__ = ["receiver"]  # the fixture, used by name

LOCATION = "mnl-wh-1"  # seeded, and sold by sf-local


def told(kind: str, order_id: str) -> list[dict[str, Any]]:
    events = [json.loads(body) for _, body in Receiver.received]
    return [e for e in events if e["type"] == kind and e["data"]["order_id"] == order_id]


def test_a_backorder_is_promised_from_its_inbound_moved_when_it_slips_and_released_on_receipt(
    api: Api, receiver: str
) -> None:
    storefront = api.admin("GET", "/v1/admin/storefronts/sf-local").json()
    config = {k: v for k, v in storefront.items() if k not in ("storefront_id", "webhook_secret")}
    assert api.admin("PUT", "/v1/admin/storefronts/sf-local", {**config, "webhook_url": receiver}).status_code == 200
    sku, inbound_id = unique("PRE"), unique("po")
    try:
        assert api.admin("PUT", f"/v1/admin/products/{sku}", {"name": "Pre-order", "backorder": True}).ok
        due, later = "2027-01-10T02:00:00Z", "2027-01-20T02:00:00Z"
        lines = [{"sku": sku, "quantity": 5}]
        inbound = {"location_id": LOCATION, "expected_at": due, "lines": lines}
        assert api.admin("PUT", f"/v1/admin/inbound/{inbound_id}", inbound).status_code == 201

        placed = api.checkout(checkout_body((sku, 3)))
        assert placed.status_code == 201, placed.text
        order = placed.json()
        (shipment,) = order["shipments"]
        assert shipment["location_id"] == LOCATION and shipment["status"] == "allocated"
        assert [(u["inbound_id"], u["quantity"]) for u in shipment["awaiting"]] == [(inbound_id, 3)]
        assert shipment["promised_by"] > due
        seen = api.request("GET", f"/v1/availability?sku={sku}").json()["skus"][0]
        assert seen["backorder"] is True and seen["available"] == 0
        assert [(i["quantity"], i["promised"]) for i in seen["incoming"]] == [(5, 3)]
        too_many = api.checkout(checkout_body((sku, 3)))  # two left to promise
        assert too_many.status_code == 409 and too_many.json()["code"] == "insufficient_stock"

        # The supplier is late: the promise moves and the storefront hears of it.
        assert api.admin("PUT", f"/v1/admin/inbound/{inbound_id}", {**inbound, "expected_at": later}).ok
        moved = api.request("GET", f"/v1/orders/{order['order_id']}").json()["shipments"][0]
        assert moved["promised_by"] > later and moved["awaiting"][0]["expected_at"] == later
        assert wait_for(lambda: told("shipment.promise_moved", order["order_id"]))

        receipt = partner_event("inbound.received", inbound_id=inbound_id, location_id=LOCATION, lines=lines)
        assert post_event(api, "warehouse", receipt).status_code == 202

        def released() -> bool:
            current = api.request("GET", f"/v1/orders/{order['order_id']}").json()["shipments"][0]
            return current["status"] == "released" and current["awaiting"] == []

        assert wait_for(released)
        assert (level(api, sku, LOCATION)["on_hand"], level(api, sku, LOCATION)["reserved"]) == (5, 3)
        assert wait_for(lambda: told("shipment.backorder_arrived", order["order_id"]))
        assert post_event(api, "warehouse", receipt).status_code == 202  # a redelivery changes nothing
        time.sleep(1)
        assert len(told("shipment.backorder_arrived", order["order_id"])) == 1
        assert len(told("shipment.promise_moved", order["order_id"])) == 1
        assert level(api, sku, LOCATION)["reserved"] == 3
    finally:
        api.admin("PUT", "/v1/admin/storefronts/sf-local", config)
