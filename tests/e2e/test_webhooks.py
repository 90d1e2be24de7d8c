"""Partner webhooks over HTTP: verified, queued, applied once by the worker."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from oms.signing import sign
from tests.e2e.conftest import PARTNER_SECRET, Api, unique


def post_event(
    api: Api,
    partner: str,
    event: dict[str, Any],
    secret: str = PARTNER_SECRET,
    at: int | None = None,
    tamper: bool = False,
) -> Any:
    body = json.dumps(event).encode()
    signature = sign(body, secret, at or int(time.time()))
    if tamper:
        body = body.replace(b'"on_hand": 5', b'"on_hand": 500')
    return api.request(
        "POST",
        f"/v1/webhooks/{partner}",
        key=None,
        data=body,
        headers={"OMS-Signature": signature, "Content-Type": "application/json"},
    )


def snapshot(location_id: str, sku: str, on_hand: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "inventory.snapshot",
        "occurred_at": "2026-11-26T01:00:00Z",
        "data": {"location_id": location_id, "sku": sku, "on_hand": on_hand},
    }


def wait_for(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return result


def test_a_signed_stock_snapshot_is_accepted_and_applied(api: Api) -> None:
    sku = unique("ERP")
    event = snapshot("mnl-wh-1", sku, 5)
    reply = post_event(api, "erp", event)
    assert (reply.status_code, reply.json()) == (202, {"accepted": True, "id": event["id"]})
    assert wait_for(lambda: api.stock(sku)["on_hand"] == 5)


def test_a_replayed_event_is_accepted_and_has_no_second_effect(api: Api) -> None:
    sku = unique("ERP")
    event = snapshot("mnl-wh-1", sku, 5)
    assert post_event(api, "erp", event).status_code == 202
    assert wait_for(lambda: api.stock(sku)["on_hand"] == 5)
    api.stock_at("mnl-wh-1", sku, 9)  # a count taken after the snapshot
    assert post_event(api, "erp", event).status_code == 202
    time.sleep(1.5)
    assert api.stock(sku)["on_hand"] == 9


def test_an_unsigned_webhook_is_401_and_queues_nothing(api: Api) -> None:
    sku = unique("ERP")
    reply = api.request("POST", "/v1/webhooks/erp", key=None, json=snapshot("mnl-wh-1", sku, 5))
    assert (reply.status_code, reply.json()["code"]) == (401, "signature_invalid")
    time.sleep(1)
    assert api.stock(sku)["locations"] == []


def test_a_badly_signed_tampered_or_stale_webhook_is_401(api: Api) -> None:
    sku = unique("ERP")
    event = snapshot("mnl-wh-1", sku, 5)
    assert post_event(api, "erp", event, secret="whsec_wrong").status_code == 401
    assert post_event(api, "erp", event, tamper=True).status_code == 401
    assert post_event(api, "erp", event, at=int(time.time()) - 301).status_code == 401
    time.sleep(1)
    assert api.stock(sku)["locations"] == []


def test_an_unknown_partner_is_401(api: Api) -> None:
    reply = post_event(api, "stranger", snapshot("mnl-wh-1", "X", 1))
    assert (reply.status_code, reply.json()["code"]) == (401, "unknown_partner")


def test_a_malformed_event_is_400(api: Api) -> None:
    reply = post_event(api, "erp", {"id": "e-1", "type": "shipment.teleported", "data": {}})
    assert (reply.status_code, reply.json()["code"]) == (400, "invalid_event")
