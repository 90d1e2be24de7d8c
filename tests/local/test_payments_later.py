"""Payments after checkout on the local stack (the synthesized template, requests through the gateway, the
sweeper's timer fired, the business clock moved): an authorization renewed before it lapses, an
asynchronous authorization confirmed and one timed out, cash on delivery remitted and one parcel refused
at the door and returned without a refund; a flash sale's buckets merged back when it ends."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.local.conftest import Client
from tests.local.test_runtime import ORDER, eventually, order_of, post_partner_event


def checkout(client: Client, **payment: Any) -> str:
    body = {**ORDER, "payment": payment}
    status, order = client.call("POST", "/v1/orders", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, order
    return str(order["order_id"])


def event(kind: str, **data: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": kind, "occurred_at": "2026-12-06T01:00:00Z", "data": data}


def sweep(client: Client) -> None:
    (timer,) = [t for t in client.stack.timers if any("Sweeper" in target for target in t.targets)]
    timer.fire()


def types(client: Client, order_id: str) -> list[str]:
    return [e["type"] for e in order_of(client, order_id)["timeline"]]


def deliver(client: Client, order_id: str) -> None:
    ref = {"order_id": order_id, "shipment_id": "1"}
    assert eventually(lambda: order_of(client, order_id)["shipments"][0]["status"] == "released")
    post_partner_event(client, "warehouse", event("shipment.packed", **ref))
    assert eventually(lambda: order_of(client, order_id)["shipments"][0]["status"] == "shipped")


def test_an_authorization_is_renewed_by_the_sweeper_a_day_before_it_lapses(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = checkout(client, method="card", token="tok_visa")
    assert eventually(lambda: order_of(client, order_id)["status"] == "processing")
    first = order_of(client, order_id)["payment"]
    monkeypatch.setenv("OMS_CLOCK_OFFSET_SECONDS", str(6 * 86400 + 120))  # six days on: a day before it lapses
    sweep(client)
    renewed = order_of(client, order_id)["payment"]
    assert renewed["authorization_expires_at"] > first["authorization_expires_at"]
    assert types(client, order_id).count("payment.reauthorized") == 1
    sweep(client)
    assert types(client, order_id).count("payment.reauthorized") == 1  # once


def test_an_asynchronous_authorization_is_confirmed_by_its_provider_or_times_out(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirmed = checkout(client, method="card", token="tok_pending")
    timed_out = checkout(client, method="card", token="tok_pending")
    for order_id in (confirmed, timed_out):
        assert eventually(lambda order_id=order_id: "payment.pending" in types(client, order_id))
        assert order_of(client, order_id)["shipments"][0]["status"] == "allocated"
    total = order_of(client, confirmed)["totals"]["total"]
    post_partner_event(client, "payments", event("payment.authorized", order_id=confirmed, amount=total))
    assert eventually(lambda: order_of(client, confirmed)["status"] == "processing")

    monkeypatch.setenv("OMS_CLOCK_OFFSET_SECONDS", str(31 * 60))
    sweep(client)
    assert order_of(client, timed_out)["status"] == "rejected"
    assert order_of(client, confirmed)["status"] == "processing"


def test_cash_on_delivery_is_remitted_and_a_parcel_refused_at_the_door_comes_back_unrefunded(client: Client) -> None:
    paid = checkout(client, method="cod")
    refused = checkout(client, method="cod")
    for order_id in (paid, refused):
        deliver(client, order_id)
    total = order_of(client, paid)["totals"]["total"]
    post_partner_event(client, "carrier", event("shipment.delivered", order_id=paid, shipment_id="1"))
    post_partner_event(client, "carrier", event("payment.cod_remitted", order_id=paid, shipment_id="1", amount=total))
    assert eventually(lambda: order_of(client, paid)["payment"]["captured"] == total)
    assert order_of(client, paid)["payment"]["status"] == "captured"

    post_partner_event(
        client, "carrier", event("shipment.exception", order_id=refused, shipment_id="1", detail="refused at the door")
    )

    def returned() -> list[dict[str, Any]]:
        return list(client.call("GET", f"/v1/orders/{refused}/returns")[1]["returns"])

    (ret,) = eventually(returned)
    assert ret["status"] == "in_transit"
    back = event(
        "return.received",
        return_id=ret["return_id"],
        location_id=ret["location_id"],
        lines=[{"sku": "MUG-CLASSIC", "quantity": 1, "condition": "resellable"}],
    )
    post_partner_event(client, "warehouse", back)
    done = eventually(lambda: (r := returned()[0])["status"] == "refunded" and r)
    assert done["refund"]["total"] == 0 and order_of(client, refused)["payment"]["refunded"] == 0


def test_a_flash_sale_with_an_end_is_merged_back_by_the_sweeper_when_it_ends(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    sku = f"SALE-{uuid.uuid4().hex[:6]}"
    path = f"/v1/admin/inventory/mnl-wh-1/{sku}"

    def stock() -> dict[str, Any]:
        (level,) = client.call("GET", f"/v1/admin/inventory/{sku}", key=client.admin)[1]["locations"]
        return dict(level)

    assert client.call("PUT", path, {"on_hand": 9}, key=client.admin)[0] == 200
    sale = {"buckets": 3, "until": "2099-01-01T00:00:00Z"}
    status, spread = client.call("PUT", f"{path}/buckets", sale, key=client.admin)
    assert status == 200, spread
    sweep(client)
    assert sum(stock()["buckets"].values()) == 9  # still on

    monkeypatch.setenv("OMS_CLOCK_OFFSET_SECONDS", str(80 * 365 * 86400))  # the sale is over
    sweep(client)
    level = stock()
    assert (level["on_hand"], level["reserved"], level["available"], level.get("buckets")) == (9, 0, 9, None)
