"""The local gateway's API keys and throttling: usage plan keys from the authorizer, token buckets, 403 and 429."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.gateway import AuthorizerSpec, Gateway, GatewayResponseSpec, PlanKey, Route, Throttle

ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod"
TOKEN = AuthorizerSpec(function="authorizer", type="TOKEN", identity_header="Authorization", ttl_seconds=300)
ROUTES = [
    Route("GET", "/health", "api", None),
    Route("GET", "/v1/orders", "api", TOKEN, api_key_required=True),
    Route("GET", "/v1/legacy", "api", TOKEN),
]
THROTTLED = GatewayResponseSpec(
    status=429,
    headers={"Content-Type": "'application/problem+json'"},
    template='{"status":429,"code":"throttled","detail":$context.error.messageString}',
)
# What each bearer token's authorizer answer names as usageIdentifierKey.
USAGE_KEYS = {"sf-a": "usage-key-of-sf-a-0000", "sf-b": "usage-key-of-sf-b-0000", "sf-off": "usage-key-disabled-00"}


def authorizer(event: dict[str, Any]) -> dict[str, Any]:
    token = event["authorizationToken"]
    answer: dict[str, Any] = {
        "principalId": token,
        "policyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{ARN}/*/*"}]
        },
    }
    if token == "bad-usage-key":
        answer["usageIdentifierKey"] = 42
    elif token in USAGE_KEYS:
        answer["usageIdentifierKey"] = USAGE_KEYS[token]
    return answer


@dataclass
class World:
    now: float = 1_700_000_000.0
    events: list[dict[str, Any]] = field(default_factory=list)
    # Enabled keys in a plan of the stage: value -> key (sf-off's key is disabled, so absent).
    keys: dict[str, PlanKey] = field(
        default_factory=lambda: {
            USAGE_KEYS["sf-a"]: PlanKey("k-a", Throttle(rate=1.0, burst=2)),
            USAGE_KEYS["sf-b"]: PlanKey("k-b", Throttle(rate=1.0, burst=2)),
        }
    )

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        if function == "authorizer":
            return authorizer(event)
        self.events.append(event)
        return {"statusCode": 200, "body": "{}"}


def gateway(world: World, stage_throttle: Throttle | None = None, source: str = "AUTHORIZER") -> Gateway:
    return Gateway(
        rest_api_id="abc123",
        stage="prod",
        region="eu-west-1",
        account_id="123456789012",
        routes=ROUTES,
        gateway_responses={"THROTTLED": THROTTLED},
        invoke=world.invoke,
        clock=lambda: world.now,
        api_key_source=source,
        api_keys=world.keys.get,
        stage_throttle=stage_throttle,
    )


def get(gw: Gateway, path: str, token: str | None = None, **headers: str) -> tuple[int, dict[str, str], Any]:
    sent = [*(("Authorization", token),) * (token is not None), *headers.items()]
    status, response_headers, body = gw.handle("GET", path, sent, b"")
    return status, dict(response_headers), json.loads(body) if body else None


def test_a_key_required_route_passes_the_callers_plan_key_to_the_function() -> None:
    world = World()
    assert get(gateway(world), "/v1/orders", "sf-a")[0] == 200
    identity = world.events[-1]["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == (USAGE_KEYS["sf-a"], "k-a")


@pytest.mark.parametrize("token", ["no-usage-key", "sf-off"])
def test_a_caller_whose_authorizer_names_no_enabled_plan_key_is_403_forbidden(token: str) -> None:
    world = World()
    status, headers, body = get(gateway(world), "/v1/orders", token)
    assert (status, headers["x-amzn-ErrorType"], body) == (403, "ForbiddenException", {"message": "Forbidden"})
    assert world.events == []


def test_routes_that_need_no_key_ignore_the_usage_plans() -> None:
    world = World()
    assert get(gateway(world), "/v1/legacy", "no-usage-key")[0] == 200


def test_a_usage_identifier_key_that_is_not_a_string_is_an_authorizer_failure() -> None:
    assert get(gateway(World()), "/v1/orders", "bad-usage-key")[0] == 500


def test_a_key_past_its_burst_is_429_until_its_bucket_refills_while_another_key_is_served() -> None:
    world = World()
    gw = gateway(world)
    assert [get(gw, "/v1/orders", "sf-a")[0] for _ in range(2)] == [200, 200]

    status, headers, body = get(gw, "/v1/orders", "sf-a")
    assert (status, headers["Content-Type"], body["code"]) == (429, "application/problem+json", "throttled")
    assert headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert get(gw, "/v1/orders", "sf-b")[0] == 200

    world.now += 1.0  # one token back at 1 rps
    assert [get(gw, "/v1/orders", "sf-a")[0] for _ in range(2)] == [200, 429]


def test_a_bucket_never_holds_more_than_the_burst() -> None:
    world = World()
    gw = gateway(world)
    world.now += 3600
    assert [get(gw, "/v1/orders", "sf-a")[0] for _ in range(3)] == [200, 200, 429]


def test_the_stage_throttle_applies_to_every_route_keyed_or_not() -> None:
    world = World()
    gw = gateway(world, stage_throttle=Throttle(rate=0.5, burst=2))
    assert get(gw, "/health")[0] == 200
    assert get(gw, "/v1/orders", "sf-b")[0] == 200
    assert get(gw, "/health")[0] == 429
    world.now += 2.0
    assert get(gw, "/health")[0] == 200


def test_with_the_header_key_source_the_key_comes_from_x_api_key() -> None:
    world = World()
    gw = gateway(world, source="HEADER")
    assert get(gw, "/v1/orders", "no-usage-key", **{"x-api-key": USAGE_KEYS["sf-b"]})[0] == 200
    assert get(gw, "/v1/orders", "sf-a")[0] == 403  # the authorizer's key does not count
