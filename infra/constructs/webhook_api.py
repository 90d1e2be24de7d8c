"""The partner webhook ingress on an HTTP API: $1.00 per million requests where the REST API costs $3.50.

Partners call it about four times an order, and it needs nothing only a REST API has (no API keys, no
usage plans, no authorizer: the webhooks function verifies the OMS-Signature HMAC itself), so it is the
one route moved off the REST API; the storefront and admin routes stay there for their usage plans.

What the move changes, beside the price:
- Payload format 1.0: the function gets the REST proxy event's shape (pathParameters, headers, body,
  isBase64Encoded, requestContext.requestId for the correlation id), so it runs unchanged. HTTP APIs
  lower-case header names; Powertools reads headers case-insensitively.
- No gateway responses: a throttled or failed request is answered by API Gateway's own JSON
  (`{"message": "Too Many Requests"}`, 500 on an integration failure), not our problem+json. The
  contract's answers (202, 400, 401, 403, 413) all come from the function and do not change.
- No X-Ray: HTTP APIs record no segment and make no sampling decision, so the stack's sampling rule
  (tracing.py) does not apply to webhooks. The webhooks function (active tracing) decides itself at
  Lambda's fixed rate (the first request each second, then 5%), so at a merchant's volume nearly every
  webhook becomes a trace of its own (~$5 per million) that starts at the function, without the
  gateway's latency. Its log lines and the queued message carry requestContext.requestId as the
  correlation id, which links a webhook to the worker that applies it.
"""

from __future__ import annotations

import json

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions.api.route_table import ROUTES, Route
from infra.constructs.api import STAGE_BURST_LIMIT, STAGE_RATE_LIMIT, access_log_group
from infra.constructs.nag import acknowledge

# The contract's routes this API serves; the REST API (api.py) serves every other one.
WEBHOOK_ROUTES: tuple[Route, ...] = tuple(route for route in ROUTES if route.target == "webhooks")
ACCESS_LOG = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod",
    "route": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
    "error": "$context.error.message",
    "integrationError": "$context.integrationErrorMessage",
}


class WebhookApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        production: bool,
        webhooks: lambda_.IFunction,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=f"oms-{stage}-webhooks",  # the API's metrics are filed under its id, its name is for people
            description=f"OMS {stage}: partner webhooks",
            create_default_stage=False,
        )
        # A stage named after the stage context, not $default: partners' URLs keep the REST API's shape,
        # <base>/<stage>/v1/webhooks/{partner_id}, so moving them here changes only the host.
        self.stage = apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.http_api,
            stage_name=stage,
            auto_deploy=True,
            # All partners together, at the REST stage's limits. Partners no longer share that stage's bucket
            # with storefronts: a burst of webhooks cannot throttle checkouts, nor checkouts webhooks.
            throttle=apigwv2.ThrottleSettings(rate_limit=STAGE_RATE_LIMIT, burst_limit=STAGE_BURST_LIMIT),
        )
        access_logs = access_log_group(self, production, logs_key)
        # HTTP APIs write access logs through their service-linked role: no account-level CloudWatch role.
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=json.dumps(ACCESS_LOG)
        )
        # Payload format 1.0: the REST proxy event the webhooks function already reads (see the module doc).
        integration = integrations.HttpLambdaIntegration(
            "Webhooks", webhooks, payload_format_version=apigwv2.PayloadFormatVersion.VERSION_1_0
        )
        for route in WEBHOOK_ROUTES:
            (added,) = self.http_api.add_routes(
                path=route.path, methods=[apigwv2.HttpMethod(route.method)], integration=integration
            )
            acknowledge(
                added,
                {
                    "AwsSolutions-APIG4": "Partner webhooks carry no API key; the function verifies the "
                    "OMS-Signature HMAC (timestamped, replay-safe) itself.",
                },
            )
        acknowledge(
            self.stage,
            {
                "AwsSolutions-APIG3": "No WAF on the webhook stage: every request must carry a valid HMAC "
                "signature, checked before anything is queued, and the stage is throttled; a WebACL is "
                "attached centrally (Firewall Manager) where an account needs one.",
            },
        )

    @property
    def url(self) -> str:
        """<base>/<stage> (no trailing slash, unlike the REST API's): partners POST to <url>/v1/webhooks/{id}."""
        url = self.stage.url
        assert url is not None
        return url
