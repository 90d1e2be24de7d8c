"""Partner webhooks on the template's HTTP API, on the REST API's port: payload format 1.0, the stage's throttle."""

from __future__ import annotations

import json
import time
from typing import Any

from local.gateway import Gateway, Route, Throttle
from local.http_api import HttpApi, HttpApiSpec
from local.routes import http_apis, rest_api
from local.runtime import LocalStack
from tests.local.conftest import Client
from tests.local.test_runtime import eventually

WEBHOOK = Route("POST", "/v1/webhooks/{partner_id}", "webhooks", None)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def gateway(invoke: Any, throttle: Throttle | None = None, clock: Clock | None = None) -> Gateway:
    """A REST API with one route of its own, in front of an HTTP API with the webhook route."""
    clock = clock or Clock()
    spec = HttpApiSpec(api_id="http123", stage="dev", routes=[WEBHOOK], stage_throttle=throttle)
    http = HttpApi(spec, region="eu-west-1", account_id="123456789012", invoke=invoke, clock=clock)
    return Gateway(
        rest_api_id="rest123",
        stage="dev",
        region="eu-west-1",
        account_id="123456789012",
        routes=[Route("GET", "/health", "api", None)],
        gateway_responses={},
        invoke=invoke,
        clock=clock,
        http_apis=(http,),
    )


def echo(events: list[dict[str, Any]]) -> Any:
    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        events.append({"function": function, **event})
        return {"statusCode": 202, "headers": {"Content-Type": "application/json"}, "body": '{"accepted":true}'}

    return invoke


def test_a_webhook_reaches_its_function_as_a_payload_format_1_0_event_with_what_the_handler_reads() -> None:
    events: list[dict[str, Any]] = []
    headers = [("Content-Type", "application/json"), ("OMS-Signature", "t=1,v1=ab")]
    status, answer_headers, body = gateway(echo(events)).handle(
        "POST", "/v1/webhooks/erp?x=1", headers, b'{"id":"e1"}', "203.0.113.9"
    )
    assert (status, json.loads(body)) == (202, {"accepted": True})
    (event,) = events
    assert event["function"] == "webhooks"
    assert event["version"] == "1.0"
    assert (event["httpMethod"], event["resource"], event["path"]) == (
        "POST",
        "/v1/webhooks/{partner_id}",
        "/v1/webhooks/erp",
    )
    assert event["pathParameters"] == {"partner_id": "erp"}
    assert event["queryStringParameters"] == {"x": "1"}
    # HTTP APIs lower-case header names.
    assert event["headers"]["oms-signature"] == "t=1,v1=ab"
    assert event["headers"]["x-forwarded-for"] == "203.0.113.9"
    assert (event["body"], event["isBase64Encoded"]) == ('{"id":"e1"}', False)
    context = event["requestContext"]
    assert (context["apiId"], context["stage"], context["resourcePath"]) == ("http123", "dev", event["resource"])
    assert context["identity"]["sourceIp"] == "203.0.113.9"
    # The correlation id the handler takes (Powertools' API_GATEWAY_REST path) is the HTTP API's request id.
    assert context["requestId"] == dict(answer_headers)["apigw-requestid"]


def test_a_body_that_is_not_utf8_reaches_the_function_base64_encoded() -> None:
    events: list[dict[str, Any]] = []
    gateway(echo(events)).handle("POST", "/v1/webhooks/erp", [], b"\xff\xfe")
    assert events[0]["isBase64Encoded"] is True


def test_the_http_api_stage_throttle_answers_429_with_api_gateways_own_message() -> None:
    clock = Clock()
    served = gateway(echo([]), Throttle(rate=1, burst=2), clock)
    statuses = [served.handle("POST", "/v1/webhooks/erp", [], b"{}")[0] for _ in range(3)]
    assert statuses == [202, 202, 429]
    status, _, body = served.handle("POST", "/v1/webhooks/erp", [], b"{}")
    assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})
    clock.now += 1
    assert served.handle("POST", "/v1/webhooks/erp", [], b"{}")[0] == 202
    # The REST API's routes do not draw on the HTTP API's bucket (the REST stage has none here).
    assert [served.handle("GET", "/health", [], b"")[0] for _ in range(3)] != [429] * 3


def test_a_crashing_or_malformed_function_is_answered_500_by_the_http_api() -> None:
    def crash(function: str, event: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    def malformed(function: str, event: dict[str, Any]) -> Any:
        return {"statusCode": "nope"}

    for invoke in (crash, malformed):
        status, _, body = gateway(invoke).handle("POST", "/v1/webhooks/erp", [], b"{}")
        assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


def test_other_methods_and_paths_fall_to_the_rest_api() -> None:
    served = gateway(echo([]))
    assert served.http_api_for("POST", "/v1/webhooks/erp") is not None
    assert served.http_api_for("GET", "/v1/webhooks/erp") is None
    assert served.http_api_for("POST", "/v1/webhooks") is None
    status, headers, _ = served.handle("GET", "/v1/webhooks/erp", [], b"")
    assert status == 403  # the REST API's MISSING_AUTHENTICATION_TOKEN, uncustomised here
    assert "x-amzn-ErrorType" in dict(headers)


# -- on the synthesized template ---------------------------------------------------------------------


def test_the_template_puts_the_partner_webhook_on_the_http_api_and_off_the_rest_api(stack: LocalStack) -> None:
    (spec,) = http_apis(stack.assembly)
    assert [(r.method, r.resource) for r in spec.routes] == [("POST", "/v1/webhooks/{partner_id}")]
    assert spec.routes[0].function.endswith(stack.registry.find("webhooks").name)
    assert spec.stage == "dev"
    assert spec.stage_throttle == Throttle(rate=100, burst=200)
    rest = rest_api(stack.assembly)
    assert rest is not None
    assert not [r for r in rest.routes if r.resource.startswith("/v1/webhooks")]
    assert any(line.startswith("http api") for line in stack.report)


def test_a_signed_webhook_reaches_the_worker_through_the_http_api_route(client: Client) -> None:
    from oms.signing import sign

    gateway = client.stack.gateway
    assert gateway is not None
    event = {
        "id": "snap-http-api",
        "type": "inventory.snapshot",
        "occurred_at": "2026-11-26T00:00:00Z",
        "data": {"location_id": "dvo-3pl", "sku": "MUG-CLASSIC", "on_hand": 56},
    }
    body = json.dumps(event).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("OMS-Signature", sign(body, client.creds.partner_secret, int(time.time()))),
    ]
    assert gateway.http_api_for("POST", "/v1/webhooks/erp") is not None
    status, answer_headers, reply = gateway.handle("POST", "/v1/webhooks/erp", headers, body)
    assert (status, json.loads(reply)["id"]) == (202, "snap-http-api")
    assert "apigw-requestid" in dict(answer_headers)  # answered by the HTTP API, not the REST API

    def on_hand() -> int:
        _, stock = client.call("GET", "/v1/admin/inventory/MUG-CLASSIC", key=client.admin)
        return int(next(lv["on_hand"] for lv in stock["locations"] if lv["location_id"] == "dvo-3pl"))

    assert eventually(lambda: on_hand() == 56)


def test_an_unsigned_webhook_gets_its_401_problem_through_the_http_api(client: Client) -> None:
    gateway = client.stack.gateway
    assert gateway is not None
    status, headers, reply = gateway.handle(
        "POST", "/v1/webhooks/erp", [("Content-Type", "application/json")], b'{"id":"x"}'
    )
    problem = json.loads(reply)
    assert (status, problem["code"]) == (401, "signature_invalid")
    assert dict(headers)["Content-Type"] == "application/problem+json"


def test_the_rest_api_no_longer_serves_the_webhook_route(client: Client) -> None:
    gateway = client.stack.gateway
    assert gateway is not None
    # Another method on the webhook path is the REST API's: no such resource, its 404 problem.
    status, headers, reply = gateway.handle("GET", "/v1/webhooks/erp", [], b"")
    assert (status, json.loads(reply)["code"]) == (404, "not_found")
    assert "apigw-requestid" not in dict(headers)
