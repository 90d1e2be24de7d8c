"""Per-storefront throttling: usage plans on the stage, API keys from the authorizer, least-privilege key issuing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from infra.app import default_context, settings_from


def text(value: Any) -> str:
    """A template value as one string, each Ref spelled <LogicalId> (Fn::Join flattened)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(text(part) for part in parts)
    return json.dumps(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def plan(synth, name: str) -> tuple[str, dict[str, Any]]:
    logical_id, resource = synth.one("AWS::ApiGateway::UsagePlan", name)
    return logical_id, resource["Properties"]


def test_the_api_takes_each_requests_api_key_from_the_authorizer(default_synth):
    _, rest_api = default_synth.one("AWS::ApiGateway::RestApi", "ApiRestApi")
    assert rest_api["Properties"]["ApiKeySourceType"] == "AUTHORIZER"


def test_every_keyed_route_requires_an_api_key_and_no_public_route_does(default_synth):
    methods = [m["Properties"] for m in default_synth.resources("AWS::ApiGateway::Method").values()]
    assert {m.get("ApiKeyRequired") is True for m in methods if m["AuthorizationType"] == "CUSTOM"} == {True}
    assert {m.get("ApiKeyRequired") is True for m in methods if m["AuthorizationType"] == "NONE"} == {False}


def test_storefronts_are_throttled_per_key_at_50_rps_and_a_burst_of_100_on_the_stage(default_synth):
    rest_api_id, _ = default_synth.one("AWS::ApiGateway::RestApi", "ApiRestApi")
    stage_id, _ = default_synth.one("AWS::ApiGateway::Stage", "ApiRestApiDeploymentStagedev")
    _, props = plan(default_synth, "UsagePlansStorefronts")
    assert props["UsagePlanName"] == "oms-dev-storefronts"
    assert props["Throttle"] == {"RateLimit": 50, "BurstLimit": 100}
    assert "Quota" not in props
    assert [(s["ApiId"], s["Stage"]) for s in props["ApiStages"]] == [({"Ref": rest_api_id}, {"Ref": stage_id})]


def test_the_storefronts_plan_starts_without_keys_the_api_function_adds_one_per_storefront(default_synth):
    storefronts_id, _ = plan(default_synth, "UsagePlansStorefronts")
    plan_keys = default_synth.resources("AWS::ApiGateway::UsagePlanKey").values()
    assert not [k for k in plan_keys if k["Properties"]["UsagePlanId"] == {"Ref": storefronts_id}]


def test_admin_keys_share_one_enabled_api_key_in_a_plan_held_to_the_stage_limits(default_synth):
    admin_plan_id, props = plan(default_synth, "UsagePlansAdmin")
    _, stage = default_synth.one("AWS::ApiGateway::Stage", "ApiRestApiDeploymentStagedev")
    (settings,) = stage["Properties"]["MethodSettings"]
    assert props["Throttle"] == {
        "RateLimit": settings["ThrottlingRateLimit"],
        "BurstLimit": settings["ThrottlingBurstLimit"],
    }
    key_id, key = default_synth.one("AWS::ApiGateway::ApiKey", "UsagePlansAdminKey")
    assert key["Properties"]["Enabled"] is True
    (plan_key,) = default_synth.resources("AWS::ApiGateway::UsagePlanKey").values()
    assert plan_key["Properties"] == {
        "KeyId": {"Ref": key_id},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": admin_plan_id},
    }


def test_the_authorizer_names_the_admin_api_key_by_its_value(default_synth):
    _, key = default_synth.one("AWS::ApiGateway::ApiKey", "UsagePlansAdminKey")
    env = default_synth.function("authorizer")[1]["Properties"]["Environment"]["Variables"]
    assert env["OMS_ADMIN_USAGE_KEY"] == key["Properties"]["Value"]
    # Unique per stack (API Gateway wants key values unique in the region), from the stack id's UUID.
    assert "AWS::StackId" in json.dumps(key["Properties"]["Value"])


def test_the_api_function_finds_the_storefronts_plan_by_name(default_synth):
    _, props = plan(default_synth, "UsagePlansStorefronts")
    env = default_synth.function("api")[1]["Properties"]["Environment"]["Variables"]
    assert env["OMS_STOREFRONT_USAGE_PLAN"] == props["UsagePlanName"]


def test_the_api_function_may_only_create_api_keys_and_add_them_to_the_storefronts_plan(default_synth):
    storefronts_id, _ = plan(default_synth, "UsagePlansStorefronts")
    granted = {
        (action, text(resource))
        for statement in default_synth.statements_of("api")
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
        if action.startswith("apigateway:")
        for resource in as_list(statement["Resource"])
    }
    prefix = "arn:<AWS::Partition>:apigateway:<AWS::Region>::"
    assert granted == {
        ("apigateway:POST", f"{prefix}/apikeys"),
        ("apigateway:GET", f"{prefix}/usageplans"),
        ("apigateway:POST", f"{prefix}/usageplans/<{storefronts_id}>/keys"),
    }


@pytest.mark.parametrize("name", ["authorizer", "webhooks", "partner_events", "workflow", "sweeper", "notifier"])
def test_no_other_function_may_call_api_gateway(default_synth, name):
    assert not {a for a in default_synth.actions_of(name) if a.startswith("apigateway:")}


def test_a_caller_without_an_enabled_api_key_gets_a_problem_json_403(default_synth):
    (response,) = [
        r["Properties"]
        for r in default_synth.resources("AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == "INVALID_API_KEY"
    ]
    assert response["StatusCode"] == "403"
    assert response["ResponseParameters"] == {"gatewayresponse.header.Content-Type": "'application/problem+json'"}
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert (body["status"], body["code"], body["title"]) == (403, "api_access_disabled", "Forbidden")


def test_access_logs_name_the_usage_plan_key_of_each_request(default_synth):
    _, stage = default_synth.one("AWS::ApiGateway::Stage", "ApiRestApiDeploymentStagedev")
    assert json.loads(stage["Properties"]["AccessLogSetting"]["Format"])["usageKeyId"] == "$context.identity.apiKeyId"


def test_the_storefront_throttle_defaults_to_50_rps_and_a_burst_of_100():
    settings = settings_from(App(context=default_context()))
    assert (settings.storefront_rate_limit, settings.storefront_burst_limit) == (50.0, 100)


def test_cdk_context_changes_the_storefront_throttle():
    # `cdk deploy -c storefront_rate_limit=20 -c storefront_burst_limit=40` passes strings.
    app = App(context={**default_context(), "storefront_rate_limit": "20", "storefront_burst_limit": "40"})
    settings = settings_from(app)
    assert (settings.storefront_rate_limit, settings.storefront_burst_limit) == (20.0, 40)
