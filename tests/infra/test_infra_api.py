"""The REST API: the contract's routes but the partner webhooks (test_infra_webhook_api.py), which of them the
authorizer guards, and its problem+json errors."""

from __future__ import annotations

import json

import pytest

from functions.api.route_table import ROUTES

# The contract's routes as the table declares them once (functions/api/route_table.py).
PUBLIC = {(r.method, r.path) for r in ROUTES if not r.keyed and r.target == "api"}
WEBHOOKS = next((r.method, r.path) for r in ROUTES if r.target == "webhooks")
AUTHORIZED = {(r.method, r.path) for r in ROUTES if r.keyed}


def path_of(resources, resource_ref):
    if "Fn::GetAtt" in resource_ref:  # the root resource
        return ""
    resource = resources[resource_ref["Ref"]]["Properties"]
    return path_of(resources, resource["ParentId"]) + "/" + resource["PathPart"]


def integration_target(method):
    """Logical id of the function a proxy integration's URI points at."""
    _, parts = method["Properties"]["Integration"]["Uri"]["Fn::Join"]
    (target,) = {p["Fn::GetAtt"][0] for p in parts if isinstance(p, dict) and "Fn::GetAtt" in p}
    return target


@pytest.fixture(scope="module")
def routes(default_synth):
    """(method, path) -> Method resource properties, read back from the template."""
    resources = default_synth.template["Resources"]
    return {
        (m["Properties"]["HttpMethod"], path_of(resources, m["Properties"]["ResourceId"])): m
        for m in default_synth.resources("AWS::ApiGateway::Method").values()
    }


def test_the_api_has_exactly_the_contract_routes_but_the_partner_webhooks(routes):
    assert set(routes) == PUBLIC | AUTHORIZED
    assert WEBHOOKS not in routes  # on the HTTP API


def test_the_api_is_regional_and_named_after_the_stage(default_synth):
    _, rest_api = default_synth.one("AWS::ApiGateway::RestApi", "ApiRestApi")
    assert rest_api["Properties"]["Name"] == "oms-dev"
    assert rest_api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_every_route_is_a_lambda_proxy_to_the_api_function(default_synth, routes):
    api_id, _ = default_synth.function("api")
    for route, method in routes.items():
        assert method["Properties"]["Integration"]["Type"] == "AWS_PROXY", route
        assert integration_target(method) == api_id, route


def test_every_v1_route_except_webhooks_requires_the_token_authorizer(default_synth, routes):
    authorizer_id, _ = default_synth.one("AWS::ApiGateway::Authorizer", "ApiAuthorizer")
    for route in AUTHORIZED:
        props = routes[route]["Properties"]
        assert props["AuthorizationType"] == "CUSTOM", route
        assert props["AuthorizerId"] == {"Ref": authorizer_id}, route


def test_health_and_docs_are_reachable_without_an_api_key(routes):
    for route in PUBLIC:
        props = routes[route]["Properties"]
        assert props["AuthorizationType"] == "NONE", route
        assert "AuthorizerId" not in props, route


def test_the_authorizer_checks_the_authorization_header_and_caches_for_five_minutes(default_synth):
    authorizer_fn, _ = default_synth.function("authorizer")
    _, authorizer = default_synth.one("AWS::ApiGateway::Authorizer", "ApiAuthorizer")
    props = authorizer["Properties"]
    assert props["Type"] == "TOKEN"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["AuthorizerResultTtlInSeconds"] == 60
    assert {"Fn::GetAtt": [authorizer_fn, "Arn"]} in props["AuthorizerUri"]["Fn::Join"][1]


@pytest.mark.parametrize(
    ("response_type", "status", "code"),
    [
        ("MISSING_AUTHENTICATION_TOKEN", 404, "not_found"),
        ("UNAUTHORIZED", 401, "unauthorized"),
        ("ACCESS_DENIED", 403, "forbidden"),
        ("THROTTLED", 429, "throttled"),
        ("DEFAULT_5XX", 502, "upstream_error"),
    ],
)
def test_gateway_errors_answer_problem_json_with_a_code(default_synth, response_type, status, code):
    (response,) = [
        r["Properties"]
        for r in default_synth.resources("AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == response_type
    ]
    assert response["StatusCode"] == str(status)
    assert response["ResponseParameters"] == {"gatewayresponse.header.Content-Type": "'application/problem+json'"}
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= set(body)


def test_the_stage_is_named_after_the_stage_context_throttled_traced_and_access_logged(default_synth):
    _, stage = default_synth.one("AWS::ApiGateway::Stage", "ApiRestApiDeploymentStagedev")
    props = stage["Properties"]
    assert props["StageName"] == "dev"
    assert props["TracingEnabled"] is True
    (settings,) = props["MethodSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (100, 200)
    assert settings["DataTraceEnabled"] is False
    log_group_id = props["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    assert default_synth.template["Resources"][log_group_id]["Type"] == "AWS::Logs::LogGroup"
    assert json.loads(props["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"


def test_the_production_stage_is_named_prod(production_synth):
    production_synth.assertions.has_resource_properties("AWS::ApiGateway::Stage", {"StageName": "prod"})


def test_the_api_url_and_the_first_admin_key_command_are_stack_outputs(default_synth):
    outputs = default_synth.template["Outputs"]
    # AlarmTopicArn: test_infra_monitoring; WebhooksUrl: test_infra_webhook_api
    assert set(outputs) == {"ApiUrl", "WebhooksUrl", "CreateAdminKey", "AlarmTopicArn"}
    assert outputs["CreateAdminKey"]["Value"] == "make keys STAGE=dev"
    rest_api_id, _ = default_synth.one("AWS::ApiGateway::RestApi", "ApiRestApi")
    assert {"Ref": rest_api_id} in outputs["ApiUrl"]["Value"]["Fn::Join"][1]
