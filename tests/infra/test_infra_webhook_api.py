"""The partner webhooks' HTTP API: one route to the webhooks function in payload format 1.0, a throttled,
access-logged stage named after the stage context, its URL an output and its 5XX an alarm."""

from __future__ import annotations

import json

from functions.api.route_table import ROUTES

WEBHOOKS = next(r for r in ROUTES if r.target == "webhooks")


def test_the_http_api_has_exactly_the_partner_webhook_route_without_an_authorizer(default_synth):
    api_id, api = default_synth.one("AWS::ApiGatewayV2::Api", "WebhookApiHttpApi")
    assert (api["Properties"]["ProtocolType"], api["Properties"]["Name"]) == ("HTTP", "oms-dev-webhooks")
    (route,) = default_synth.resources("AWS::ApiGatewayV2::Route").values()
    props = route["Properties"]
    assert props["RouteKey"] == f"{WEBHOOKS.method} {WEBHOOKS.path}" == "POST /v1/webhooks/{partner_id}"
    assert props["ApiId"] == {"Ref": api_id}
    assert props["AuthorizationType"] == "NONE"  # the function verifies the OMS-Signature HMAC


def test_the_route_is_a_lambda_proxy_to_the_webhooks_function_in_payload_format_1_0(default_synth):
    webhooks_id, _ = default_synth.function("webhooks")
    (integration_id, integration), *others = default_synth.resources("AWS::ApiGatewayV2::Integration").items()
    assert not others
    props = integration["Properties"]
    assert (props["IntegrationType"], props["PayloadFormatVersion"]) == ("AWS_PROXY", "1.0")
    assert props["IntegrationUri"] == {"Fn::GetAtt": [webhooks_id, "Arn"]}
    (route,) = default_synth.resources("AWS::ApiGatewayV2::Route").values()
    assert route["Properties"]["Target"] == {"Fn::Join": ["", ["integrations/", {"Ref": integration_id}]]}


def test_api_gateway_may_invoke_the_webhooks_function_only_on_that_route(default_synth):
    webhooks_id, _ = default_synth.function("webhooks")
    permissions = [
        p["Properties"]
        for p in default_synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [webhooks_id, "Arn"]}
    ]
    (permission,) = permissions  # none left from the REST API
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"]["Fn::Join"][1][-1] == "/*/*/v1/webhooks/{partner_id}"


def test_the_stage_is_named_after_the_stage_context_throttled_like_the_rest_stage_and_access_logged(default_synth):
    _, stage = default_synth.one("AWS::ApiGatewayV2::Stage", "WebhookApiStage")
    props = stage["Properties"]
    assert props["StageName"] == "dev"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 200}
    log_group_id = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    log_group = default_synth.template["Resources"][log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    # The same key as the REST API's access logs.
    _, rest_stage = default_synth.one("AWS::ApiGateway::Stage", "ApiRestApiDeploymentStagedev")
    rest_logs_id = rest_stage["Properties"]["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    rest_logs = default_synth.template["Resources"][rest_logs_id]
    assert log_group["Properties"]["KmsKeyId"] == rest_logs["Properties"]["KmsKeyId"]
    assert "Fn::GetAtt" in log_group["Properties"]["KmsKeyId"]
    access = json.loads(props["AccessLogSettings"]["Format"])
    assert access["requestId"] == "$context.requestId"
    assert access["route"] == "$context.routeKey"


def test_the_production_webhook_stage_is_named_prod_and_keeps_its_logs(production_synth):
    _, stage = production_synth.one("AWS::ApiGatewayV2::Stage", "WebhookApiStage")
    assert stage["Properties"]["StageName"] == "prod"
    log_group_id = stage["Properties"]["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert production_synth.template["Resources"][log_group_id]["DeletionPolicy"] == "Retain"


def test_the_webhooks_url_is_a_stack_output_with_the_rest_apis_shape(default_synth):
    api_id, _ = default_synth.one("AWS::ApiGatewayV2::Api", "WebhookApiHttpApi")
    _, parts = default_synth.template["Outputs"]["WebhooksUrl"]["Value"]["Fn::Join"]
    assert parts[0] == "https://" and parts[1] == {"Ref": api_id}
    assert parts[-1].endswith("/dev")  # <base>/<stage>, as the REST API's


def test_webhook_api_5xx_raise_an_alarm_and_the_dashboard_shows_the_webhook_api(default_synth):
    api_id, _ = default_synth.one("AWS::ApiGatewayV2::Api", "WebhookApiHttpApi")
    (alarm,) = [
        a["Properties"]
        for a in default_synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "5xx"
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {"ApiId": {"Ref": api_id}, "Stage": "dev"}
    (dashboard,) = default_synth.resources("AWS::CloudWatch::Dashboard").values()
    assert "Partner webhooks" in json.dumps(dashboard["Properties"]["DashboardBody"])
