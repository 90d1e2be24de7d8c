"""The local runtime runs the synthesized stack as AWS would: workflows, queues, schedules, atomic DynamoDB."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local import environ
from local.assembly import load
from local.runtime import LocalStack
from tests.local.conftest import Client

ROOT = Path(__file__).resolve().parents[2]
ORDER = {
    "customer": {"id": "c-1", "email": "ana@example.com", "type": "b2c"},
    "currency": "PHP",
    "lines": [{"sku": "MUG-CLASSIC", "quantity": 1, "unit_price": 45000}],
    "shipping_address": {
        "name": "Ana Cruz",
        "line1": "1 Ayala Ave",
        "city": "Makati",
        "region": "Metro Manila",
        "postal_code": "1226",
        "country": "PH",
    },
    "service_level": "standard",
    "payment": {"method": "card", "token": "tok_visa"},
}


def eventually(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def timeline_types(client: Client, order_id: str) -> list[str]:
    _, order = client.call("GET", f"/v1/orders/{order_id}")
    return [entry["type"] for entry in order["timeline"]]


def place(client: Client, key: str) -> str:
    status, order = client.call("POST", "/v1/orders", ORDER, headers={"Idempotency-Key": key})
    assert status == 201, order
    return str(order["order_id"])


def executions(stack: LocalStack, order_id: str) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = stack.function_env("api")["OMS_FULFIL_STATE_MACHINE_ARN"]
    found = sfn.list_executions(stateMachineArn=arn)["executions"]
    return [sfn.describe_execution(executionArn=e["executionArn"]) for e in found if e["name"].startswith(order_id)]


def test_runtime_serializes_dynamodb_so_conditional_writes_never_oversell(stack: LocalStack) -> None:
    table = stack.function_env("api")["OMS_INVENTORY_TABLE"]
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    key = {"sku": {"S": "RACE"}, "sk": {"S": "LOC#x"}}
    ddb.put_item(TableName=table, Item={**key, "available": {"N": "50"}})
    successes = []

    def buyer() -> None:
        for _ in range(10):
            try:
                ddb.update_item(
                    TableName=table,
                    Key=key,
                    UpdateExpression="SET available = available - :one",
                    ConditionExpression="available >= :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )
                successes.append(1)
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"

    threads = [threading.Thread(target=buyer) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    left = ddb.get_item(TableName=table, Key=key)["Item"]["available"]["N"]
    assert (len(successes), left) == (50, "0")


def order_of(client: Client, order_id: str) -> dict[str, Any]:
    return dict(client.call("GET", f"/v1/orders/{order_id}")[1])


def test_checkout_starts_the_fulfil_workflow_which_runs_its_lambda_tasks_in_process(client: Client) -> None:
    order_id = place(client, "wf-1")
    assert eventually(lambda: order_of(client, order_id)["status"] == "processing")
    assert {"payment.authorized", "shipment.booked", "shipment.released"} <= set(timeline_types(client, order_id))
    assert eventually(lambda: [e["status"] for e in executions(client.stack, order_id)] == ["SUCCEEDED"])


def test_a_transient_task_error_is_retried_with_backoff_by_the_state_machine(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.workflow import handler as workflow

    real = workflow.TASKS["screen_and_authorize"]
    calls: list[int] = []

    def flaky(payload: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise workflow.TransientError("the fraud screen timed out")
        return real(payload)

    monkeypatch.setitem(workflow.TASKS, "screen_and_authorize", flaky)
    order_id = place(client, "wf-retry")
    assert eventually(lambda: order_of(client, order_id)["status"] == "processing")
    assert len(calls) == 2
    assert eventually(lambda: [e["status"] for e in executions(client.stack, order_id)] == ["SUCCEEDED"])


def test_a_failing_task_is_caught_compensated_and_the_reason_shown_on_the_order(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.workflow import handler as workflow

    def broken(payload: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("the payment provider answered nonsense")

    monkeypatch.setitem(workflow.TASKS, "screen_and_authorize", broken)
    order_id = place(client, "wf-catch")
    assert eventually(lambda: order_of(client, order_id)["status"] == "rejected")
    order = order_of(client, order_id)
    assert "the payment provider answered nonsense" in order["reason"]
    _, stock = client.call("GET", "/v1/admin/inventory/MUG-CLASSIC", key=client.admin)
    assert stock["reserved"] == 0
    assert eventually(lambda: [e["status"] for e in executions(client.stack, order_id)] == ["FAILED"])


def test_a_poison_message_reaches_the_dead_letter_queue_after_max_receive_count(stack: LocalStack) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = stack.function_env("api")["OMS_PARTNER_EVENTS_QUEUE_URL"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    dlq_url = sqs.get_queue_url(QueueName=redrive["deadLetterTargetArn"].rsplit(":", 1)[-1])["QueueUrl"]
    worker = stack.registry.find("partner_events").name
    before = stack.registry.stats.invocations[worker]

    sqs.send_message(QueueUrl=url, MessageBody="this is not a partner event")

    def in_dlq() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=0).get("Messages", [])

    moved = eventually(in_dlq, timeout=60)
    assert moved and moved[0]["Body"] == "this is not a partner event"
    assert stack.registry.stats.invocations[worker] - before == redrive["maxReceiveCount"]


def test_a_good_message_next_to_a_poison_one_is_applied_once(stack: LocalStack, client: Client) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = stack.function_env("api")["OMS_PARTNER_EVENTS_QUEUE_URL"]
    event = {
        "id": "erp-1",
        "type": "inventory.snapshot",
        "occurred_at": "2026-11-26T00:00:00Z",
        "data": {"location_id": "dvo-3pl", "sku": "MUG-CLASSIC", "on_hand": 77},
    }
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "bad", "MessageBody": "{}"},
            {"Id": "good", "MessageBody": json.dumps({"partner_id": "erp", "event": event})},
        ],
    )

    def on_hand() -> int:
        _, stock = client.call("GET", "/v1/admin/inventory/MUG-CLASSIC", key=client.admin)
        return next(lv["on_hand"] for lv in stock["locations"] if lv["location_id"] == "dvo-3pl")

    assert eventually(lambda: on_hand() == 77)


def test_schedule_rule_invokes_the_sweeper_which_releases_expired_holds(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, hold = client.call("POST", "/v1/holds", {"lines": [{"sku": "LAMP-ARC", "quantity": 3}], "ttl_seconds": 60})
    assert status == 201, hold
    _, stock = client.call("GET", "/v1/admin/inventory/LAMP-ARC", key=client.admin)
    assert stock["reserved"] == 3
    monkeypatch.setenv("OMS_CLOCK_OFFSET_SECONDS", "120")  # the business clock moves; nobody waits
    (timer,) = [t for t in client.stack.timers if any("Sweeper" in target for target in t.targets)]
    timer.fire()
    _, stock = client.call("GET", "/v1/admin/inventory/LAMP-ARC", key=client.admin)
    assert stock["reserved"] == 0


def test_each_function_runs_with_its_own_environment_from_the_template(stack: LocalStack) -> None:
    api, authorizer = stack.function_env("api"), stack.function_env("authorizer")
    assert "OMS_ORDERS_TABLE" in api and "OMS_ORDERS_TABLE" not in authorizer
    seen: dict[str, str | None] = {}

    def look(name: str, env: dict[str, str]) -> None:
        import os

        with environ.scoped(env):
            time.sleep(0.01)
            seen[name] = os.environ.get("OMS_ORDERS_TABLE")

    threads = [threading.Thread(target=look, args=(n, e)) for n, e in (("api", api), ("authorizer", authorizer))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"api": api["OMS_ORDERS_TABLE"], "authorizer": None}


def test_every_template_resource_type_is_run_or_named_at_start_up(stack: LocalStack) -> None:
    from local.runtime import HANDLED_TYPES

    named = {line.split(" ", 1)[0] for line in stack.unsupported}
    assert set(stack.assembly.type_counts()) == (set(stack.assembly.type_counts()) & HANDLED_TYPES) | named
    assert not (named & HANDLED_TYPES)
    assert any(line.startswith("AWS::CloudWatch::Alarm") for line in stack.unsupported)


def test_keys_and_the_alarm_topic_are_named_at_start_up_with_why_they_are_not_emulated(cdk_out: Path) -> None:
    from local.cloud import not_emulated
    from local.runtime import HANDLED_TYPES

    assembly = load(cdk_out)
    lines = {line.split(" ", 1)[0]: line for line in not_emulated(assembly, HANDLED_TYPES)}
    for kind in ("AWS::KMS::Key", "AWS::SNS::Topic", "AWS::SNS::TopicPolicy"):
        assert kind in lines
        assert "NOT SUPPORTED" not in lines[kind], lines[kind]
    # The stack's outputs resolve locally too, the alarm topic's ARN among them.
    topic_arn = assembly.resolve(assembly.template["Outputs"]["AlarmTopicArn"]["Value"])
    assert topic_arn == f"arn:aws:sns:{assembly.region}:{assembly.account_id}:oms-dev-alarms"


def test_invoke_command_runs_one_function_with_a_sample_event() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local", "invoke", "api", "events/api/health.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["statusCode"] == 200 and json.loads(reply["body"]) == {"status": "ok"}


def test_make_run_names_a_busy_port_and_exits_instead_of_serving() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "local", "run", "--port", str(port), "--no-seed"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 2
    assert f"port {port} is already in use" in done.stderr


def test_one_correlation_id_runs_from_the_api_request_into_the_workflow(client: Client) -> None:
    assert client.stack.gateway is not None
    status, headers, body = client.stack.gateway.handle(
        "POST",
        "/v1/orders",
        [
            ("Authorization", f"Bearer {client.creds.storefront_keys['sf-local']}"),
            ("Content-Type", "application/json"),
            ("Idempotency-Key", "corr-1"),
        ],
        json.dumps(ORDER).encode(),
    )
    assert status == 201
    request_id = dict(headers)["x-amzn-RequestId"]
    order_id = json.loads(body)["order_id"]
    (execution,) = eventually(lambda: executions(client.stack, order_id))
    assert json.loads(execution["input"])["correlation_id"] == request_id


def test_a_signed_webhook_travels_through_the_queue_to_the_worker_with_its_correlation_id(client: Client) -> None:
    from oms.signing import sign

    assert client.stack.gateway is not None
    event = {
        "id": "snap-corr",
        "type": "inventory.snapshot",
        "occurred_at": "2026-11-26T00:00:00Z",
        "data": {"location_id": "dvo-3pl", "sku": "MUG-CLASSIC", "on_hand": 55},
    }
    body = json.dumps(event).encode()
    status, _, _ = client.stack.gateway.handle(
        "POST",
        "/v1/webhooks/erp",
        [
            ("Content-Type", "application/json"),
            ("OMS-Signature", sign(body, client.creds.partner_secret, int(time.time()))),
        ],
        body,
    )
    assert status == 202

    def on_hand() -> int:
        _, stock = client.call("GET", "/v1/admin/inventory/MUG-CLASSIC", key=client.admin)
        return int(next(lv["on_hand"] for lv in stock["locations"] if lv["location_id"] == "dvo-3pl"))

    assert eventually(lambda: on_hand() == 55)


def post_partner_event(client: Client, partner: str, event: dict[str, Any]) -> None:
    from oms.signing import sign

    assert client.stack.gateway is not None
    body = json.dumps(event).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("OMS-Signature", sign(body, client.creds.partner_secret, int(time.time()))),
    ]
    status, _, _ = client.stack.gateway.handle("POST", f"/v1/webhooks/{partner}", headers, body)
    assert status == 202


def fail_to_start(monkeypatch: pytest.MonkeyPatch, machine: str) -> list[str]:
    """Step Functions refuses every `machine` phase until the returned list is cleared... by the test."""
    from oms.adapters.step_functions import StepFunctionsStarter
    from oms.ports.phases import Phase

    real, refused = StepFunctionsStarter.start, []

    def start(self: StepFunctionsStarter, phase: Phase) -> bool:
        if phase.machine == machine and not refused:
            refused.append(phase.name)
            return False
        return real(self, phase)

    monkeypatch.setattr(StepFunctionsStarter, "start", start)
    return refused


def test_a_fulfil_phase_that_did_not_start_at_checkout_is_started_by_the_sweeper(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = fail_to_start(monkeypatch, "fulfil")
    order_id = place(client, "unstarted-fulfil")
    assert refused == [f"{order_id}-fulfil"]
    assert order_of(client, order_id)["status"] == "accepted"
    assert "phase.not_started" in timeline_types(client, order_id)

    (timer,) = [t for t in client.stack.timers if any("Sweeper" in target for target in t.targets)]
    timer.fire()

    assert eventually(lambda: order_of(client, order_id)["status"] == "processing")
    assert "phase.started_late" in timeline_types(client, order_id)
    timer.fire()  # started once: the order has left the deadlines index
    assert timeline_types(client, order_id).count("phase.started_late") == 1


def test_a_ship_phase_that_did_not_start_is_started_by_the_sweeper_not_by_a_redelivery(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = place(client, "unstarted-ship")
    assert eventually(lambda: order_of(client, order_id)["status"] == "processing")
    refused = fail_to_start(monkeypatch, "ship")
    packed = {
        "id": f"evt-packed-{order_id}",
        "type": "shipment.packed",
        "occurred_at": "2026-11-26T00:00:00Z",
        "data": {"order_id": order_id, "shipment_id": "1"},
    }
    post_partner_event(client, "warehouse", packed)
    assert eventually(lambda: "phase.not_started" in timeline_types(client, order_id))
    assert refused == [f"{order_id}-ship-1"]
    # Express runs two executions of one name: a redelivered event must not start a second ship phase.
    post_partner_event(client, "warehouse", packed)
    time.sleep(2)
    assert order_of(client, order_id)["status"] == "processing"

    (timer,) = [t for t in client.stack.timers if any("Sweeper" in target for target in t.targets)]
    timer.fire()

    assert eventually(lambda: order_of(client, order_id)["status"] == "shipped")
    timeline = timeline_types(client, order_id)
    assert [timeline.count(t) for t in ("shipment.packed", "payment.captured", "phase.started_late")] == [1, 1, 1]


def worker_calls(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every event the partner_events worker is invoked with from now on (direct, or its queue's batches)."""
    registry, calls = stack.registry, []
    worker = registry.find("partner_events").name
    real = registry.invoke

    def invoke(key: str, event: Any, request_id: str | None = None) -> Any:
        if registry.find(key).name == worker:
            calls.append(event)
        return real(key, event, request_id)

    monkeypatch.setattr(registry, "invoke", invoke)
    return calls


def snapshot(event_id: str, on_hand: int) -> dict[str, Any]:
    data = {"location_id": "dvo-3pl", "sku": "MUG-CLASSIC", "on_hand": on_hand}
    return {"id": event_id, "type": "inventory.snapshot", "occurred_at": "2026-11-26T00:00:00Z", "data": data}


def applied(monkeypatch: pytest.MonkeyPatch, failures: int = 0) -> list[str]:
    """The outcome of each time the worker applies an event; the first `failures` times it crashes (a bug)."""
    from oms.services import partner_events

    real, outcomes = partner_events.apply, []

    def apply(*args: Any) -> str:
        if len(outcomes) < failures:
            outcomes.append("crashed")
            raise RuntimeError("the worker crashed")
        outcomes.append(real(*args))
        return outcomes[-1]

    monkeypatch.setattr(partner_events, "apply", apply)
    return outcomes


def test_a_partner_event_goes_from_the_webhook_to_the_worker_by_invocation_and_is_applied_once(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls, outcomes = worker_calls(client.stack, monkeypatch), applied(monkeypatch)
    post_partner_event(client, "erp", snapshot("snap-direct", 66))
    post_partner_event(client, "erp", snapshot("snap-direct", 66))  # the partner's retry of the same event
    assert client.stack.registry.wait_idle(30)
    _, stock = client.call("GET", "/v1/admin/inventory/MUG-CLASSIC", key=client.admin)
    assert next(lv["on_hand"] for lv in stock["locations"] if lv["location_id"] == "dvo-3pl") == 66
    assert [call["event"]["id"] for call in calls] == ["snap-direct", "snap-direct"]  # invoked, never a batch
    assert all(call["correlation_id"] and call["partner_id"] == "erp" for call in calls)
    assert sorted(outcome == "duplicate" for outcome in outcomes) == [False, True]  # both ran; one applied


def test_a_crashing_worker_hands_the_event_to_its_queue_after_lambdas_retries_and_applies_it_once(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls, outcomes = worker_calls(client.stack, monkeypatch), applied(monkeypatch, failures=3)
    post_partner_event(client, "erp", snapshot("snap-crash", 44))

    def on_hand() -> int:
        _, stock = client.call("GET", "/v1/admin/inventory/MUG-CLASSIC", key=client.admin)
        return int(next(lv["on_hand"] for lv in stock["locations"] if lv["location_id"] == "dvo-3pl"))

    assert eventually(lambda: on_hand() == 44, timeout=30)
    assert outcomes[:3] == ["crashed"] * 3 and outcomes[3] != "duplicate"
    direct, batches = [c for c in calls if "Records" not in c], [c for c in calls if "Records" in c]
    assert len(direct) == 3  # the invocation and Lambda's two retries
    [batch] = batches
    record = json.loads(batch["Records"][0]["body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"]["event"]["id"] == "snap-crash"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert len(outcomes) == 4  # applied once: nothing is delivered again


def test_the_event_invoke_configs_come_from_the_template_the_sweepers_without_retries(stack: LocalStack) -> None:
    from local.async_invoke import AsyncConfig

    configs = stack.registry.async_config
    sweeper = stack.registry.find("sweeper").name
    assert configs[sweeper] == AsyncConfig(max_retries=0, max_age_s=60, on_failure_queue_url=None)
    for worker, queue in (("partner_events", "PARTNER_EVENTS"), ("notifier", "NOTIFICATIONS")):
        url = stack.function_env("api")[f"OMS_{queue}_QUEUE_URL"]
        assert configs[stack.registry.find(worker).name] == AsyncConfig(2, 6 * 3600, url)
    assert "AWS::Lambda::EventInvokeConfig" not in " ".join(stack.unsupported)
