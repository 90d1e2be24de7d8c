"""Partners onboarded, rotated and confined through the API alone; storefront webhooks delivered signed."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from oms import signing
from tests.e2e.conftest import Api, checkout_body, unique
from tests.e2e.test_webhooks import post_event, snapshot, wait_for


def test_a_new_partner_is_onboarded_rotated_and_confined_through_the_api(api: Api) -> None:
    partner_id, sku = unique("wh"), unique("PART")
    api.location(f"{partner_id}-loc", 14.6, 121.0)

    created = api.admin(
        "PUT", f"/v1/admin/partners/{partner_id}", {"roles": ["location"], "location_ids": [f"{partner_id}-loc"]}
    )
    assert created.status_code == 201, created.text
    first = created.json()["secret"]
    assert created.json()["roles"] == ["location"]
    again = api.admin(
        "PUT", f"/v1/admin/partners/{partner_id}", {"roles": ["location"], "location_ids": [f"{partner_id}-loc"]}
    )
    assert again.status_code == 200 and "secret" not in again.json()  # shown once

    assert post_event(api, partner_id, snapshot(f"{partner_id}-loc", sku, 3), secret=first).status_code == 202
    assert wait_for(lambda: api.stock(sku)["on_hand"] == 3)

    # Out of scope: another location's stock, refused at once.
    refused = post_event(api, partner_id, snapshot("mnl-wh-1", sku, 99), secret=first)
    assert (refused.status_code, refused.json()["code"]) == (403, "partner_out_of_scope")

    rotated = api.admin("POST", f"/v1/admin/partners/{partner_id}/secret")
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["secret"]
    assert second != first and rotated.json()["previous_valid_until"]
    assert post_event(api, partner_id, snapshot(f"{partner_id}-loc", sku, 4), secret=second).status_code == 202
    assert post_event(api, partner_id, snapshot(f"{partner_id}-loc", sku, 4), secret=first).status_code == 202  # 24 h
    assert post_event(api, partner_id, snapshot(f"{partner_id}-loc", sku, 4), secret="whsec_guess").status_code == 401

    listed = api.admin("GET", "/v1/admin/partners?limit=100").json()["partners"]
    assert partner_id in [p["partner_id"] for p in listed]
    assert all("secret" not in p for p in listed)


def test_a_partner_scope_names_existing_locations_and_known_roles(api: Api) -> None:
    missing = api.admin(
        "PUT", f"/v1/admin/partners/{unique('wh')}", {"roles": ["location"], "location_ids": ["nowhere"]}
    )
    assert (missing.status_code, missing.json()["code"]) == (422, "location_not_found")
    bad_role = api.admin("PUT", f"/v1/admin/partners/{unique('wh')}", {"roles": ["god"]})
    assert (bad_role.status_code, bad_role.json()["code"]) == (422, "validation_error")
    assert api.request("GET", "/v1/admin/partners").status_code == 403  # a storefront key


def test_a_warehouse_event_about_another_locations_shipment_is_refused_on_the_order(api: Api) -> None:
    partner_id, sku = unique("wh"), unique("SCOPE")
    home, other = f"{partner_id}-a", f"{partner_id}-b"
    api.location(home, 14.55, 121.02)
    api.location(other, 10.32, 123.89)
    api.stock_at(home, sku, 5)
    scope = {"roles": ["location"], "location_ids": [other]}
    secret = api.admin("PUT", f"/v1/admin/partners/{partner_id}", scope)
    order = api.checkout(checkout_body((sku, 1))).json()
    shipment_id = order["shipments"][0]["shipment_id"]
    assert order["shipments"][0]["location_id"] == home

    packed = {
        "id": unique("evt"),
        "type": "shipment.packed",
        "occurred_at": "2026-11-26T01:00:00Z",
        "data": {"order_id": order["order_id"], "shipment_id": shipment_id},
    }
    assert post_event(api, partner_id, packed, secret=secret.json()["secret"]).status_code == 202

    def refused() -> Any:
        timeline = api.request("GET", f"/v1/orders/{order['order_id']}").json()["timeline"]
        return [e for e in timeline if e["type"] == "partner_event.refused"]

    [entry] = wait_for(refused)
    assert entry["detail"]["partner_id"] == partner_id and home in entry["detail"]["reason"]
    shipment = api.request("GET", f"/v1/orders/{order['order_id']}").json()["shipments"][0]
    assert shipment["status"] not in ("packed", "shipped")


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()


def test_a_storefront_webhook_gets_a_secret_once_and_every_event_signed_with_it(api: Api, receiver: str) -> None:
    storefront = api.admin("GET", "/v1/admin/storefronts/sf-local").json()
    config = {k: v for k, v in storefront.items() if k not in ("storefront_id", "webhook_secret")}
    reply = api.admin("PUT", "/v1/admin/storefronts/sf-local", {**config, "webhook_url": receiver})
    assert reply.status_code == 200, reply.text
    secret = (
        reply.json().get("webhook_secret")
        or api.admin("POST", "/v1/admin/storefronts/sf-local/secret").json()["secret"]
    )
    time.sleep(0.1)
    try:
        sku = unique("HOOK")
        api.stock_at("mnl-wh-1", sku, 2)
        order_id = api.checkout(checkout_body((sku, 1))).json()["order_id"]
        assert api.request("POST", f"/v1/orders/{order_id}/cancel").status_code == 200

        def cancelled() -> list[tuple[dict[str, str], bytes]]:
            return [(h, b) for h, b in Receiver.received if order_id.encode() in b and b'"order.cancelled"' in b]

        assert wait_for(cancelled), [json.loads(b) for _, b in Receiver.received]
        for headers, body in Receiver.received:
            if order_id.encode() in body:  # every event of the order, signed with the secret the PUT answered
                signing.verify(headers.get("oms-signature"), body, [secret], int(time.time()))
    finally:
        api.admin("PUT", "/v1/admin/storefronts/sf-local", config)
