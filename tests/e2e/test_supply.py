"""Supply over HTTP: an inbound expected then received, a transfer shipped and received, a cycle count with
its variance; what is coming shows in availability."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.e2e.conftest import Api, unique
from tests.e2e.test_webhooks import post_event, wait_for


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
