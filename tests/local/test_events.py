"""Every sample in events/ runs on the seeded local stack and gets the answer its function gives to it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from local.runtime import LocalStack, Options
from local.seed import seed
from oms import signing
from scripts.sign_event import main as sign_main
from scripts.sign_event import raw_body, sign_event
from tests.local.conftest import Client

EVENTS = Path(__file__).resolve().parents[2] / "events"
Check = Callable[[Any], None]


def status(expected: int) -> Check:
    def check(reply: Any) -> None:
        assert reply["statusCode"] == expected, reply

    return check


def policy(reply: Any) -> None:
    effects = {statement["Effect"] for statement in reply["policyDocument"]["Statement"]}
    assert "Allow" in effects and reply["context"]["storefront_id"] == "sf-local", reply


def no_failures(reply: Any) -> None:
    assert reply == {"batchItemFailures": []}


def applied(reply: Any) -> None:
    """An event invoked directly (the webhooks function's hand-off, an EventBridge target): nothing to answer."""
    assert reply is None


def screened(reply: Any) -> None:
    assert isinstance(reply, dict) and reply["decision"] == "approve" and reply["shipment_ids"], reply


def sweep(reply: Any) -> None:
    assert reply == {"holds_expired": 0, "sales_ended": 0, "shipments_escalated": 0, "phases_started": 0}


EXPECTED: dict[str, Check] = {
    "api/health.json": status(200),
    "api/create_order.json": status(201),
    "api/availability.json": status(200),
    "api/admin_put_inventory.json": status(200),
    "authorizer/token.json": policy,
    "webhooks/shipment_packed.json": status(202),
    "partner_events/inventory_snapshot.json": no_failures,
    "partner_events/inventory_snapshot_invoked.json": applied,
    "workflow/screen_and_authorize.json": screened,
    "sweeper/scheduled.json": sweep,
    "notifier/order_event.json": no_failures,
    "notifier/order_event_invoked.json": applied,
}
CHECKOUT = json.loads(json.loads((EVENTS / "api/create_order.json").read_text())["body"])


@pytest.fixture(scope="module")
def seeded(cdk_out: Path) -> Iterator[Client]:
    """One stack for every sample (as `python -m local invoke` has one per run): no pollers, no timers."""
    stack = LocalStack.from_cdk_out(cdk_out, Options(start_background=False)).start()
    try:
        yield Client(stack, seed(stack))
    finally:
        stack.stop()


def load(sample: str) -> Any:
    return json.loads((EVENTS / sample).read_text())


def prepare(sample: str, event: Any, client: Client) -> Any:
    """What a sample needs from the running stack: a fresh signature, an order that exists."""
    if sample.startswith("webhooks/"):
        return sign_event(event, client.creds.partner_secret)
    if sample.startswith("workflow/"):
        status, order = client.call("POST", "/v1/orders", CHECKOUT, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert status == 201, order
        event["input"]["order_id"] = order["order_id"]
    return event


def test_every_sample_event_has_an_expected_answer() -> None:
    assert sorted(str(p.relative_to(EVENTS)) for p in EVENTS.rglob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_the_sample_event_gets_its_expected_answer(seeded: Client, sample: str) -> None:
    function = sample.split("/", 1)[0]
    event = prepare(sample, load(sample), seeded)

    reply = seeded.stack.registry.invoke(function, event)

    EXPECTED[sample](reply)


def test_the_erp_snapshot_sample_sets_on_hand_at_its_location(seeded: Client) -> None:
    reply = seeded.stack.registry.invoke("partner_events", load("partner_events/inventory_snapshot.json"))

    no_failures(reply)
    _, stock = seeded.call("GET", "/v1/admin/inventory/MUG-CLASSIC", key=seeded.admin)
    assert {lv["location_id"]: lv["on_hand"] for lv in stock["locations"]}["dvo-3pl"] == 90


def test_the_erp_snapshot_invoked_directly_as_the_webhooks_function_hands_it_on_sets_on_hand(seeded: Client) -> None:
    applied(seeded.stack.registry.invoke("partner_events", load("partner_events/inventory_snapshot_invoked.json")))

    _, stock = seeded.call("GET", "/v1/admin/inventory/LAMP-ARC", key=seeded.admin)
    assert {lv["location_id"]: lv["on_hand"] for lv in stock["locations"]}["ceb-wh-1"] == 12


def test_the_workflow_sample_records_the_fraud_screen_and_authorization_on_the_order(seeded: Client) -> None:
    event = prepare("workflow/screen_and_authorize.json", load("workflow/screen_and_authorize.json"), seeded)

    seeded.stack.registry.invoke("workflow", event)

    _, order = seeded.call("GET", f"/v1/orders/{event['input']['order_id']}")
    types = [entry["type"] for entry in order["timeline"]]
    assert "fraud.approved" in types and "payment.authorized" in types


def test_the_stored_webhook_sample_is_stale_until_it_is_signed_again(seeded: Client) -> None:
    stored = load("webhooks/shipment_packed.json")

    reply = seeded.stack.registry.invoke("webhooks", stored)

    assert reply["statusCode"] == 401 and json.loads(reply["body"])["reason"] == "stale"


def test_sign_event_signs_the_raw_body_in_both_header_maps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = tmp_path / "event.json"
    sample.write_text((EVENTS / "webhooks/shipment_packed.json").read_text())

    assert sign_main([str(sample), "--secret", "whsec_test"]) == 0

    signed = json.loads(capsys.readouterr().out)
    header = signed["headers"][signing.SIGNATURE_HEADER]
    assert signed["multiValueHeaders"][signing.SIGNATURE_HEADER] == [header]
    signing.verify(header, raw_body(signed), ["whsec_test"], int(time.time()))
    assert json.loads(sample.read_text()) == load("webhooks/shipment_packed.json")  # printed, not rewritten
