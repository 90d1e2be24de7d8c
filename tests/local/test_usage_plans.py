"""The runtime brings the template's usage plans up in moto's API Gateway, and the seed gives storefronts keys."""

from __future__ import annotations

from typing import Any

import boto3

from local import environ
from local.runtime import LocalStack
from tests.local.conftest import Client


def plans(stack: LocalStack) -> dict[str, dict[str, Any]]:
    client = boto3.client("apigateway", region_name=stack.assembly.region)
    return {plan["name"]: plan for plan in client.get_usage_plans()["items"]}


def keys_of(stack: LocalStack, plan_id: str) -> set[str]:
    client = boto3.client("apigateway", region_name=stack.assembly.region)
    return {key["id"] for key in client.get_usage_plan_keys(usagePlanId=plan_id)["items"]}


def test_the_templates_usage_plans_are_on_the_served_stage_with_their_throttle(stack: LocalStack) -> None:
    assert stack.gateway is not None
    found = plans(stack)
    assert set(found) == {"oms-dev-storefronts", "oms-dev-admin"}
    for plan in found.values():
        assert plan["apiStages"] == [{"apiId": stack.gateway.rest_api_id, "stage": stack.gateway.stage}]
    assert found["oms-dev-storefronts"]["throttle"] == {"rateLimit": 50, "burstLimit": 100}
    assert found["oms-dev-admin"]["throttle"] == {"rateLimit": 100, "burstLimit": 200}


def test_the_admin_usage_key_the_authorizer_names_is_the_one_in_the_admin_plan(stack: LocalStack) -> None:
    client = boto3.client("apigateway", region_name=stack.assembly.region)
    (admin_key,) = keys_of(stack, plans(stack)["oms-dev-admin"]["id"])
    value = client.get_api_key(apiKey=admin_key, includeValue=True)["value"]
    assert stack.function_env("authorizer")["OMS_ADMIN_USAGE_KEY"] == value


def test_each_seeded_storefront_has_its_own_key_in_the_storefronts_plan(client: Client) -> None:
    from oms.store import config

    with environ.scoped(client.stack.function_env("api")):
        usage_keys = {sf: config.load_storefront(sf).usage_key for sf in ("sf-local", "sf-local-2")}  # type: ignore[union-attr]
    ids = {key.key_id for key in usage_keys.values() if key is not None}
    assert len(ids) == 2
    assert keys_of(client.stack, plans(client.stack)["oms-dev-storefronts"]["id"]) == ids
    assert client.call("GET", "/v1/orders?limit=1")[0] == 200
