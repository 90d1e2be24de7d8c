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


def notifier_calls(client: Client, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every event the notifier is invoked with, from now on (EventBridge's and its queue's batches)."""
    registry, calls = client.stack.registry, []
    notifier = registry.find("notifier").name
    real = registry.invoke

    def invoke(key: str, event: Any, request_id: str | None = None) -> Any:
        if registry.find(key).name == notifier:
            calls.append(event)
        return real(key, event, request_id)

    monkeypatch.setattr(registry, "invoke", invoke)
    return calls


def publish(client: Client, detail_type: str) -> str:
    """One order event on the bus, as the OMS publishes it for a subscribed storefront; returns its id."""
    bus = client.stack.function_env("api")["OMS_EVENT_BUS_NAME"]
    detail = {"order_id": f"ord-{detail_type}", "storefront_id": "sf-local", "storefront_subscribed": True}
    events = boto3.client("events", region_name="us-east-1")
    entry = {"Source": "oms", "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": bus}
    [answer] = events.put_events(Entries=[entry])["Entries"]
    return str(answer["EventId"])


def queue_urls(client: Client) -> tuple[str, str]:
    env = client.stack.function_env("api")
    return env["OMS_NOTIFICATIONS_QUEUE_URL"], env["OMS_NOTIFICATIONS_DLQ_URL"]


def test_a_notification_is_delivered_by_invoking_the_notifier_with_no_sqs_message(
    client: Client, storefront_webhook: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = notifier_calls(client, monkeypatch)
    place(client, "out-direct")
    assert eventually(lambda: any(e["type"] == "order.processing" for e, _ in Receiver.received), timeout=60)
    assert client.stack.registry.wait_idle(30)
    assert calls and all("detail-type" in event for event in calls)  # EventBridge's events, bare
    assert not [event for event in calls if "Records" in event]  # no batch from the queue: nothing was queued


def test_a_storefront_down_for_a_moment_gets_the_event_from_lambdas_own_retries(
    client: Client, storefront_webhook: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = notifier_calls(client, monkeypatch)
    Receiver.failures_left = 2  # the first try and the first retry fail; the second retry delivers
    event_id = publish(client, "order.processing")
    assert eventually(lambda: [e["id"] for e, _ in Receiver.received] == [event_id], timeout=30)
    assert [event["id"] for event in calls] == [event_id] * 3
    assert client.stack.registry.wait_idle(30)
    assert not [event for event in calls if "Records" in event]


def test_an_event_still_failing_after_lambdas_retries_continues_through_the_notifications_queue(
    client: Client, storefront_webhook: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = notifier_calls(client, monkeypatch)
    Receiver.failures_left = 3  # Lambda's three attempts fail; the queue's first delivery succeeds
    event_id = publish(client, "order.shipped")
    assert eventually(lambda: [e["id"] for e, _ in Receiver.received] == [event_id], timeout=30)
    [batch] = [event for event in calls if "Records" in event]
    [message] = batch["Records"]
    record = json.loads(message["body"])  # Lambda's failure record, the event inside
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"]["id"] == event_id
    assert record["responseContext"]["functionError"] == "Unhandled"


def test_an_event_the_storefront_never_takes_ends_in_the_dead_letter_queue_after_both_retry_paths(
    client: Client, storefront_webhook: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = notifier_calls(client, monkeypatch)
    Receiver.failures_left = 1_000
    event_id = publish(client, "order.cancelled")
    _, dlq = queue_urls(client)
    sqs = boto3.client("sqs", region_name="us-east-1")

    def dead() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0, VisibilityTimeout=0).get("Messages", [])

    [message] = eventually(dead, timeout=60)
    record = json.loads(message["Body"])
    assert (record["requestContext"]["condition"], record["requestPayload"]["id"]) == ("RetriesExhausted", event_id)
    # Three invocations by Lambda, then three receives from the queue (maxReceiveCount) before the DLQ.
    assert sum(1 for event in calls if "Records" not in event) == 3
    assert sum(1 for event in calls if "Records" in event) == 3
    assert Receiver.received == []
