"""Per-storefront throttling on moto: a storefront's PUT gives it an API Gateway key in the storefronts'
usage plan, a re-PUT keeps it, and the authorizer names it (or the admin keys' one) to API Gateway."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from functions.api.handler import handler as api
from functions.authorizer.handler import handler as authorize
from oms.api_keys import hash_key, key_id_of
from oms.store import config, usage_keys
from scripts import keys as keys_script
from tests.functions.conftest import REGION, STAGE, AwsStack, build_proxy_event

PLAN = "oms-test-storefronts"
ADMIN_USAGE_KEY = "oms-test-admin-usage-key-0123456789"
METHOD_ARN = f"arn:aws:execute-api:{REGION}:123456789012:abc123def4/{STAGE}/POST/v1/orders"
ADMIN = {"role": "admin", "storefront_id": "", "key_id": "k-admin"}


@pytest.fixture
def apigateway(aws_stack: AwsStack, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The storefronts' plan (and a decoy) in moto, and the environment CDK gives the api and authorizer."""
    client = boto3.client("apigateway", region_name=REGION)
    client.create_usage_plan(name="oms-other-storefronts")
    client.create_usage_plan(name=PLAN, throttle={"rateLimit": 50.0, "burstLimit": 100})
    monkeypatch.setenv("OMS_STOREFRONT_USAGE_PLAN", PLAN)
    monkeypatch.setenv("OMS_ADMIN_USAGE_KEY", ADMIN_USAGE_KEY)
    return client


def plan_id(client: Any, name: str = PLAN) -> str:
    (plan,) = [p for p in client.get_usage_plans()["items"] if p["name"] == name]
    return str(plan["id"])


def put_storefront(storefront_id: str, body: dict[str, Any], context: Any) -> dict[str, Any]:
    event = build_proxy_event(
        "PUT",
        f"/v1/admin/storefronts/{storefront_id}",
        resource="/v1/admin/storefronts/{storefront_id}",
        path_parameters={"storefront_id": storefront_id},
        body=body,
        headers={"Content-Type": "application/json"},
        authorizer=ADMIN,
    )
    return dict(api(event, context))


def usage_identifier(secret_key: str, context: Any) -> str | None:
    policy = authorize(
        {"type": "TOKEN", "authorizationToken": f"Bearer {secret_key}", "methodArn": METHOD_ARN}, context
    )
    return policy.get("usageIdentifierKey")


def test_creating_a_storefront_gives_it_an_enabled_api_key_in_the_storefronts_plan(
    apigateway: Any, lambda_context: Any
) -> None:
    reply = put_storefront("sf-acme", {"name": "Acme"}, lambda_context)

    assert reply["statusCode"] == 200, reply["body"]
    usage_key = config.load_storefront("sf-acme").usage_key  # type: ignore[union-attr]
    assert usage_key is not None and len(usage_key.value) >= 20
    stored = apigateway.get_api_key(apiKey=usage_key.key_id, includeValue=True)
    assert stored["enabled"] is True and stored["value"] == usage_key.value
    assert stored["name"] == f"oms-{STAGE}-storefront-sf-acme"
    assert [k["id"] for k in apigateway.get_usage_plan_keys(usagePlanId=plan_id(apigateway))["items"]] == [
        usage_key.key_id
    ]
    assert apigateway.get_usage_plan_keys(usagePlanId=plan_id(apigateway, "oms-other-storefronts"))["items"] == []
    # Nobody presents it, but the answer still does not show it.
    assert usage_key.value not in reply["body"] and usage_key.key_id not in reply["body"]


def test_replacing_a_storefronts_configuration_keeps_its_api_key(apigateway: Any, lambda_context: Any) -> None:
    put_storefront("sf-acme", {"name": "Acme"}, lambda_context)
    first = config.load_storefront("sf-acme")

    reply = put_storefront("sf-acme", {"name": "Acme Trade", "webhook_url": "https://acme.example/h"}, lambda_context)

    assert reply["statusCode"] == 200, reply["body"]
    again = config.load_storefront("sf-acme")
    assert again is not None and first is not None
    assert (again.name, again.config["webhook_url"]) == ("Acme Trade", "https://acme.example/h")
    assert again.usage_key == first.usage_key
    assert len(apigateway.get_api_keys()["items"]) == 1


def test_writing_a_storefront_without_a_usage_key_keeps_the_one_it_has(apigateway: Any, lambda_context: Any) -> None:
    put_storefront("sf-acme", {"name": "Acme"}, lambda_context)
    issued = config.load_storefront("sf-acme")

    config.put_storefront("sf-acme", "Acme", {"webhook_url": "https://acme.example/h"})

    stored = config.load_storefront("sf-acme")
    assert stored is not None and issued is not None and stored.usage_key == issued.usage_key


def test_a_refused_storefront_gets_no_api_key(apigateway: Any, lambda_context: Any) -> None:
    reply = put_storefront("sf-bad", {"name": "Bad", "adapters": {"payment": "paypal-direct"}}, lambda_context)

    assert (reply["statusCode"], json.loads(reply["body"])["code"]) == (422, "unknown_adapter")
    assert apigateway.get_api_keys()["items"] == []


def test_a_storefront_key_counts_against_its_storefronts_api_key(apigateway: Any, lambda_context: Any) -> None:
    put_storefront("sf-acme", {"name": "Acme"}, lambda_context)
    config.put_api_key(key_id_of("sk_acme") or "", hash_key("sk_acme"), "storefront", "sf-acme")
    config.clear_cache()  # as another container would see it

    value = config.load_storefront("sf-acme").usage_key.value  # type: ignore[union-attr]
    assert usage_identifier("sk_acme", lambda_context) == value


def test_admin_keys_count_against_the_admin_usage_key(apigateway: Any, lambda_context: Any) -> None:
    config.put_api_key(key_id_of("sk_admin") or "", hash_key("sk_admin"), "admin", None)

    assert usage_identifier("sk_admin", lambda_context) == ADMIN_USAGE_KEY


def test_a_storefront_without_an_api_key_is_named_none_so_api_gateway_refuses_it(
    apigateway: Any, lambda_context: Any
) -> None:
    config.put_storefront("sf-legacy", "Made before usage plans", {})
    config.put_api_key(key_id_of("sk_legacy") or "", hash_key("sk_legacy"), "storefront", "sf-legacy")

    assert usage_identifier("sk_legacy", lambda_context) is None


def test_a_storefront_put_without_its_usage_plan_fails_before_writing(
    apigateway: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_STOREFRONT_USAGE_PLAN", "oms-test-no-such-plan")

    # A deployment fault, not the caller's: the function fails (API Gateway answers 502 and it alarms).
    with pytest.raises(usage_keys.UsagePlanMissing, match="oms-test-no-such-plan"):
        put_storefront("sf-acme", {"name": "Acme"}, lambda_context)
    assert config.load_storefront("sf-acme") is None


def test_the_keys_script_warns_when_a_storefront_key_cannot_pass_api_gateway(aws_stack: AwsStack) -> None:
    assert "PUT /v1/admin/storefronts/sf-nowhere" in (
        keys_script.storefront_warning(aws_stack.config_table, "sf-nowhere") or ""
    )
    config.put_storefront("sf-ok", "OK", {}, config.UsageKey("k1", "v" * 40))
    assert keys_script.storefront_warning(aws_stack.config_table, "sf-ok") is None
