"""Outbound: order events reach the storefront's webhook signed; late shipments are escalated by the sweeper."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest

from local import environ
from oms.signing import verify
from tests.local.conftest import Client
from tests.local.test_runtime import eventually, order_of, place

SECRET = "whsec_storefront_local"


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, Any], bool]] = []
    failures_left = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.failures_left > 0:  # the storefront is down for a moment
            Receiver.failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        try:
            verify(self.headers.get("OMS-Signature"), body, [SECRET], int(time.time()))
            signed = True
        except Exception:
            signed = False
        Receiver.received.append((json.loads(body), signed))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def storefront_webhook(client: Client) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/oms-events"
    Receiver.received, Receiver.failures_left = [], 0
    from oms.store import config as config_store

    with environ.scoped(client.stack.function_env("api")):
        config_store.put_storefront("sf-local", "Local Shop (B2C)", {"webhook_url": url})
    prefix = client.stack.function_env("notifier")["OMS_SECRETS_PREFIX"]
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=f"{prefix}storefronts/sf-local", SecretString=json.dumps({"current": SECRET})
    )
    from oms.adapters import registry

    registry.clear_cache()  # a secret another test's stack left in this process's cache is not this one
    yield url
    server.shutdown()


def test_order_events_reach_the_storefront_webhook_signed_with_its_secret(
    client: Client, storefront_webhook: str
) -> None:
    order_id = place(client, "out-1")
    assert eventually(lambda: any(e["type"] == "order.processing" for e, _ in Receiver.received), timeout=60)
    event, signed = next((e, s) for e, s in Receiver.received if e["type"] == "order.processing")
    assert signed
    assert event["data"]["order_id"] == order_id
    assert event["data"]["storefront_id"] == "sf-local"


def test_a_failed_delivery_is_retried_until_the_storefront_answers(client: Client, storefront_webhook: str) -> None:
    Receiver.failures_left = 1
    place(client, "out-2")
    assert eventually(lambda: any(e["type"] == "order.processing" for e, _ in Receiver.received), timeout=60)


def test_a_released_shipment_not_packed_within_its_sla_is_escalated(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = place(client, "sla-1")
    assert eventually(lambda: order_of(client, order_id)["status"] == "processing")
    monkeypatch.setenv("OMS_CLOCK_OFFSET_SECONDS", str(25 * 3600))  # past the 24 h default SLA
    (timer,) = [t for t in client.stack.timers if any("Sweeper" in target for target in t.targets)]
    timer.fire()
    order = order_of(client, order_id)
    assert "shipment.sla_missed" in [e["type"] for e in order["timeline"]]
    assert "not packed by" in order["shipments"][0]["issue"]
    timer.fire()  # escalated once, not on every tick
    assert [e["type"] for e in order_of(client, order_id)["timeline"]].count("shipment.sla_missed") == 1
