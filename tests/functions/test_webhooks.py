"""Partner ingress on moto: a signed event is handed to the partner_events worker (an asynchronous
invocation) with a 202; anything else is a 4xx and hands on nothing."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

import oms.clock
from functions.webhooks import handler as webhooks
from oms import aws
from oms.adapters import registry
from oms.clock import FrozenClock
from oms.domain.partners import Partner
from oms.signing import sign, signature
from oms.store import config

AwsStack = Any  # conftest.AwsStack; tests/ is not a package, so its types are not importable here
ProxyEventFactory = Callable[..., dict[str, Any]]

NOW = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
T = int(NOW.timestamp())
SECRET = "whsec_current"
PREVIOUS = "whsec_previous"
EVENT = {
    "id": "evt_0001",
    "type": "shipment.packed",
    "occurred_at": "2026-01-31T09:29:58Z",
    "data": {"order_id": "ord_1", "shipment_id": "shp_1", "parcels": 1},
}


class Invocations(list[dict[str, Any]]):
    """The asynchronous invocations the webhooks function made: each one's arguments, its payload parsed."""

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.append({**kwargs, "Payload": json.loads(kwargs["Payload"])})
        return {"StatusCode": 202}


@pytest.fixture(autouse=True)
def handed_off(aws_stack: AwsStack, monkeypatch: pytest.MonkeyPatch) -> Invocations:
    invocations = Invocations()
    monkeypatch.setattr(aws, "lambda_", lambda: invocations)
    return invocations


def payloads(invocations: Invocations) -> list[dict[str, Any]]:
    return [i["Payload"] for i in invocations]


@pytest.fixture(autouse=True)
def partner(aws_stack: AwsStack, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(oms.clock, "clock", FrozenClock(NOW))
    webhooks.clear_cache()
    config.put_partner(Partner("warehouse", "Manila DC", frozenset({"location"}), frozenset({"mnl-wh-1"})))
    put_secret("warehouse", {"current": SECRET})
    return "warehouse"


def put_secret(partner_id: str, value: dict[str, str] | str) -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    text = value if isinstance(value, str) else json.dumps(value)
    name = f"oms/test/partners/{partner_id}"
    try:
        client.put_secret_value(SecretId=name, SecretString=text)
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=name, SecretString=text)


def call(
    proxy_event: ProxyEventFactory,
    context: Any,
    body: bytes | str,
    *,
    partner_id: str = "warehouse",
    header: str | None = None,
    header_name: str = "OMS-Signature",
    base64_encoded: bool = False,
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    raw = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[header_name] = header
    event = proxy_event(
        "POST",
        f"/v1/webhooks/{partner_id}",
        resource="/v1/webhooks/{partner_id}",
        path_parameters={"partner_id": partner_id},
        headers=headers,
        body=raw,
        base64_encoded=base64_encoded,
    )
    response = webhooks.handler(event, context)
    return response["statusCode"], response["headers"], json.loads(response["body"])


def signed(body: bytes | str, secret: str = SECRET, at: int = T) -> str:
    return sign(body.encode() if isinstance(body, str) else body, secret, at)


def body_of(event: dict[str, Any]) -> str:
    return json.dumps(event)


def assert_problem(answer: tuple[int, dict[str, Any], dict[str, Any]], status: int, code: str) -> dict[str, Any]:
    got_status, headers, problem = answer
    assert (got_status, problem["code"]) == (status, code), problem
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == status
    assert problem["type"].startswith("https://")
    assert problem["title"]
    assert problem["detail"]
    return problem


# -- accepted ---------------------------------------------------------------------------------------


def test_a_signed_event_is_handed_to_the_worker_and_accepted(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    body = body_of(EVENT)

    status, headers, answer = call(proxy_event, lambda_context, body, header=signed(body))

    assert (status, answer) == (202, {"accepted": True, "id": "evt_0001"})
    assert headers["Content-Type"] == "application/json"
    [invocation] = handed_off
    assert invocation["FunctionName"] == os.environ["OMS_PARTNER_EVENTS_FUNCTION_NAME"]
    assert invocation["InvocationType"] == "Event"  # Lambda keeps it and answers at once; the worker runs apart
    assert invocation["Payload"] == {
        "partner_id": "warehouse",
        "event": EVENT,
        "received_at": "2026-01-31T09:30:00Z",
        # What rode as SQS message attributes before, for the worker's logs and the phases it starts.
        "correlation_id": "req-0001",
        "event_type": "shipment.packed",
    }


def test_the_header_name_is_case_insensitive(
    aws_stack: AwsStack, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    body = body_of(EVENT)
    status, _, _ = call(proxy_event, lambda_context, body, header=signed(body), header_name="oms-signature")
    assert status == 202


def test_a_base64_encoded_body_is_verified_as_the_bytes_sent(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    body = json.dumps({**EVENT, "data": {**EVENT["data"], "note": "café ✓"}}, ensure_ascii=False).encode()

    status, _, _ = call(proxy_event, lambda_context, body, header=signed(body), base64_encoded=True)

    assert status == 202
    [payload] = payloads(handed_off)
    assert payload["event"]["data"]["note"] == "café ✓"


def test_unknown_envelope_fields_are_passed_on(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    body = body_of({**EVENT, "api_version": "2026-01"})
    assert call(proxy_event, lambda_context, body, header=signed(body))[0] == 202
    [payload] = payloads(handed_off)
    assert payload["event"]["api_version"] == "2026-01"


def test_a_duplicate_is_accepted_again_and_left_to_the_worker(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    body = body_of(EVENT)
    assert call(proxy_event, lambda_context, body, header=signed(body))[0] == 202
    assert call(proxy_event, lambda_context, body, header=signed(body))[0] == 202
    # The partner_events worker records (partner_id, event id) and applies the event once.
    assert len(handed_off) == 2


# -- rotation ---------------------------------------------------------------------------------------


def test_the_previous_secret_is_accepted_during_rotation(
    aws_stack: AwsStack, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    put_secret("warehouse", {"current": "whsec_new", "previous": SECRET})
    body = body_of(EVENT)

    assert call(proxy_event, lambda_context, body, header=signed(body, SECRET))[0] == 202
    assert call(proxy_event, lambda_context, body, header=signed(body, "whsec_new"))[0] == 202


def test_a_secret_rotated_after_it_was_cached_is_picked_up(
    aws_stack: AwsStack, proxy_event: ProxyEventFactory, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = body_of(EVENT)
    assert call(proxy_event, lambda_context, body, header=signed(body))[0] == 202  # caches SECRET
    put_secret("warehouse", {"current": "whsec_new", "previous": SECRET})
    monkeypatch.setattr(registry, "SECRET_REFRESH_SECONDS", 0.0)

    assert call(proxy_event, lambda_context, body, header=signed(body, "whsec_new"))[0] == 202


def test_a_retired_secret_is_refused(aws_stack: AwsStack, proxy_event: ProxyEventFactory, lambda_context: Any) -> None:
    put_secret("warehouse", {"current": "whsec_new", "previous": PREVIOUS})
    body = body_of(EVENT)
    problem = assert_problem(call(proxy_event, lambda_context, body, header=signed(body)), 401, "signature_invalid")
    assert problem["reason"] == "mismatch"


# -- refused: who and signature ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("t=1,v1=nothex", "malformed"),
        (signed(body_of(EVENT), at=T - 301), "stale"),
        (signed(body_of(EVENT), at=T + 301), "stale"),
        (signed(body_of(EVENT), secret="whsec_guess"), "mismatch"),
        (signed(body_of({**EVENT, "id": "evt_other"})), "mismatch"),  # a signature for another body
    ],
)
def test_an_unsigned_or_badly_signed_event_is_401_and_not_handed_on(
    header: str | None,
    reason: str,
    handed_off: Invocations,
    proxy_event: ProxyEventFactory,
    lambda_context: Any,
) -> None:
    answer = call(proxy_event, lambda_context, body_of(EVENT), header=header)

    problem = assert_problem(answer, 401, "signature_invalid")
    assert problem["reason"] == reason
    assert handed_off == []


@pytest.mark.parametrize("partner_id", ["carrier-x", "", "../warehouse", "w" * 200, "ware house"])
def test_an_unknown_partner_is_401_and_not_handed_on(
    partner_id: str, handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    body = body_of(EVENT)
    answer = call(proxy_event, lambda_context, body, partner_id=partner_id, header=signed(body))

    assert_problem(answer, 401, "unknown_partner")
    assert handed_off == []


def test_a_partner_without_a_secret_is_a_retryable_503(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    config.put_partner(Partner("carrier", "Carrier", frozenset({"carrier"})))
    body = body_of(EVENT)
    answer = call(proxy_event, lambda_context, body, partner_id="carrier", header=signed(body))

    assert_problem(answer, 503, "partner_not_configured")
    assert handed_off == []


# -- refused: the body ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        '{"id": "evt_1", "type": "shipment.packed", "occurred_at": "2026-01-31T09:00:00Z", "data": NaN}',
        "[1, 2]",
        '"just a string"',
        b'{"id": "\xff"}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["broken", "empty", "nan", "array", "string", "not-utf8", "deep"],
)
def test_a_body_that_is_not_a_json_object_is_400_and_not_handed_on(
    body: str | bytes,
    handed_off: Invocations,
    proxy_event: ProxyEventFactory,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMS_MAX_BODY_BYTES", "500000")
    raw = body.encode() if isinstance(body, str) else body
    answer = call(proxy_event, lambda_context, raw, header=signed(raw), base64_encoded=isinstance(body, bytes))

    assert_problem(answer, 400, "invalid_event")
    assert handed_off == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": None}, "id"),
        ({"id": ""}, "id"),
        ({"id": "x" * 129}, "id"),
        ({"id": 42}, "id"),
        ({"type": "shipment.teleported"}, "type"),
        ({"type": None}, "type"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-01-31T09:29:58"}, "occurred_at"),  # no offset
        ({"occurred_at": "2026-13-31T09:29:58Z"}, "occurred_at"),
        ({"occurred_at": 1767173398}, "occurred_at"),
        ({"data": None}, "data"),
        ({"data": [1, 2]}, "data"),
        ({"data": "packed"}, "data"),
    ],
)
def test_an_invalid_event_is_400_naming_the_field_and_not_handed_on(
    change: dict[str, Any],
    field: str,
    handed_off: Invocations,
    proxy_event: ProxyEventFactory,
    lambda_context: Any,
) -> None:
    event = {k: v for k, v in {**EVENT, **change}.items() if v is not None}
    body = body_of(event)

    problem = assert_problem(call(proxy_event, lambda_context, body, header=signed(body)), 400, "invalid_event")

    assert field in {error["field"] for error in problem["errors"]}
    assert handed_off == []


def test_an_event_with_an_id_of_128_characters_is_accepted(
    aws_stack: AwsStack, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    body = body_of({**EVENT, "id": "e" * 128, "occurred_at": "2026-01-31T17:29:58.123+08:00"})
    assert call(proxy_event, lambda_context, body, header=signed(body))[0] == 202


def test_a_body_marked_base64_that_is_not_is_400(
    aws_stack: AwsStack, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    event = proxy_event(
        "POST",
        "/v1/webhooks/warehouse",
        path_parameters={"partner_id": "warehouse"},
        headers={"OMS-Signature": f"t={T},v1={signature(b'', SECRET, T)}"},
    )
    event["body"], event["isBase64Encoded"] = "not base64!!", True

    response = webhooks.handler(event, lambda_context)

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["code"] == "invalid_event"


def test_a_body_over_the_limit_is_413_and_not_handed_on(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_MAX_BODY_BYTES", "2048")
    body = body_of({**EVENT, "data": {"blob": "x" * 3000}})

    assert_problem(call(proxy_event, lambda_context, body, header=signed(body)), 413, "payload_too_large")
    assert_problem(
        call(proxy_event, lambda_context, body.encode(), header=signed(body), base64_encoded=True),
        413,
        "payload_too_large",
    )
    assert handed_off == []


def test_an_event_too_large_to_hand_on_once_wrapped_is_413(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    # Within the body limit as UTF-8, but every "é" becomes a 6-byte \\u escape in the ASCII message.
    body = json.dumps({**EVENT, "data": {**EVENT["data"], "note": "é" * 60_000}}, ensure_ascii=False)

    assert_problem(call(proxy_event, lambda_context, body, header=signed(body)), 413, "payload_too_large")
    assert handed_off == []


def test_no_body_is_signed_then_refused_as_invalid(
    aws_stack: AwsStack, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    event = proxy_event(
        "POST",
        "/v1/webhooks/warehouse",
        path_parameters={"partner_id": "warehouse"},
        headers={"OMS-Signature": signed(b"")},
    )
    response = webhooks.handler(event, lambda_context)
    assert response["statusCode"] == 400


def test_the_body_is_checked_base64_before_decoding(
    aws_stack: AwsStack, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    raw = body_of(EVENT).encode()
    event = proxy_event(
        "POST",
        "/v1/webhooks/warehouse",
        path_parameters={"partner_id": "warehouse"},
        headers={"OMS-Signature": signed(raw)},
    )
    event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    assert webhooks.handler(event, lambda_context)["statusCode"] == 202


# -- refused: outside the partner's scope (API.md "Partner scope") ----------------------------------


def test_a_carrier_packing_is_refused_at_once_and_hands_on_nothing(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any
) -> None:
    config.put_partner(Partner("carrier", "Carrier", frozenset({"carrier"})))
    put_secret("carrier", {"current": SECRET})
    body = body_of(EVENT)

    answer = call(proxy_event, lambda_context, body, partner_id="carrier", header=signed(body))

    assert "may not send shipment.packed" in assert_problem(answer, 403, "partner_out_of_scope")["detail"]
    assert handed_off == []


@pytest.mark.parametrize(
    "event",
    [
        {
            **EVENT,
            "type": "inventory.snapshot",
            "data": {"items": [{"location_id": "ceb-wh-1", "sku": "A", "on_hand": 0}]},
        },
        {**EVENT, "type": "inventory.adjusted", "data": {"location_id": "ceb-wh-1", "sku": "A", "delta": -3}},
        {**EVENT, "data": {**EVENT["data"], "location_id": "ceb-wh-1"}},
    ],
    ids=["snapshot", "adjustment", "shipment-naming-its-location"],
)
def test_a_warehouse_speaking_for_another_location_is_refused_at_once(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any, event: dict[str, Any]
) -> None:
    body = body_of(event)

    answer = call(proxy_event, lambda_context, body, header=signed(body))

    assert "does not speak for location ceb-wh-1" in assert_problem(answer, 403, "partner_out_of_scope")["detail"]
    assert handed_off == []


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("inventory.snapshot", {"items": [{"location_id": "mnl-wh-1", "sku": "A", "on_hand": -1}]}),
        ("inventory.adjusted", {"location_id": "mnl-wh-1", "sku": "A"}),
        ("shipment.packed", {"order_id": "ord_1"}),
        ("payment.invoice_paid", {"order_id": "ord_1", "amount": 0}),
    ],
)
def test_a_payload_no_retry_could_apply_is_a_400_not_a_queued_poison_message(
    handed_off: Invocations, proxy_event: ProxyEventFactory, lambda_context: Any, kind: str, data: dict[str, Any]
) -> None:
    config.put_partner(Partner("erp", "ERP", frozenset({"erp", "location"}), frozenset({"mnl-wh-1"})))
    put_secret("erp", {"current": SECRET})
    body = body_of({**EVENT, "type": kind, "data": data})

    answer = call(proxy_event, lambda_context, body, partner_id="erp", header=signed(body))

    assert assert_problem(answer, 400, "invalid_event")["errors"]
    assert handed_off == []
