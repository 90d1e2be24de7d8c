"""The REST API: contract routes -> `api`, a TOKEN authorizer, problem+json errors (webhooks: webhook_api.py)."""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.api.route_table import ROUTES
from infra.constructs.nag import acknowledge
from oms.domain.errors import problem

PUBLIC_BECAUSE = "Health, OpenAPI document, docs page and console assets are public by design."
# (response type, status, code, title, detail) -> RFC 9457 bodies like the ones the functions write.
GATEWAY_RESPONSES = (
    (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 404, "not_found", "Not found", "No such resource."),
    (apigw.ResponseType.UNAUTHORIZED, 401, "unauthorized", "Unauthorized", "A valid API key is required."),
    (apigw.ResponseType.ACCESS_DENIED, 403, "forbidden", "Forbidden", "This key may not use this resource."),
    # The authorizer named no enabled usage plan key: the storefront was never set up, or was cut off.
    (
        apigw.ResponseType.INVALID_API_KEY,
        403,
        "api_access_disabled",
        "Forbidden",
        "This key is valid but its API access is not enabled; ask the OMS operator.",
    ),
    (apigw.ResponseType.THROTTLED, 429, "throttled", "Too many requests", "Slow down and retry later."),
    (apigw.ResponseType.DEFAULT_5_XX, 502, "upstream_error", "Upstream error", "The OMS failed; retry."),
)
ACCESS_LOG = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod",
    "resource": "$context.resourcePath",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
    "keyId": "$context.authorizer.key_id",
    "storefrontId": "$context.authorizer.storefront_id",
    "usageKeyId": "$context.identity.apiKeyId",
    "error": "$context.error.responseType",
    "integrationError": "$context.integration.error",
}


# Every caller together; each storefront and the admin keys also have their own (usage_plans.py).
STAGE_RATE_LIMIT, STAGE_BURST_LIMIT = 100, 200


def access_log_group(scope: Construct, production: bool, logs_key: kms.IKey) -> logs.LogGroup:
    """An API stage's access logs: a month, encrypted with the stack's logs key, kept in production."""
    return logs.LogGroup(
        scope,
        "AccessLogs",
        retention=logs.RetentionDays.ONE_MONTH,
        encryption_key=logs_key,
        removal_policy=RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY,
    )


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        production: bool,
        api: lambda_.IFunction,
        authorizer: lambda_.IFunction,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = access_log_group(self, production, logs_key)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"oms-{stage}",  # the ApiName its metrics are filed under: one per stage
            description=f"OMS {stage}: storefront and admin API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The authorizer names the usage plan key a request counts against; clients never send one.
            api_key_source_type=apigw.ApiKeySourceType.AUTHORIZER,
            # API Gateway writes access and execution logs only with an account-level CloudWatch role.
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=stage,
                throttling_rate_limit=STAGE_RATE_LIMIT,
                throttling_burst_limit=STAGE_BURST_LIMIT,
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # bodies carry addresses and payment tokens
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG)),
            ),
        )
        # The stack exports the URL once, as ApiUrl; the RestApi's own copy would only duplicate it.
        self.rest_api.node.try_remove_child("Endpoint")
        self.authorizer = apigw.TokenAuthorizer(
            self,
            "Authorizer",
            handler=authorizer,
            identity_source=apigw.IdentitySource.header("Authorization"),
            # One minute: a revoked key stops working within this TTL plus the config cache's 30 s.
            results_cache_ttl=Duration.seconds(60),
        )
        # One integration; permissions stay scoped per method, without test-invoke extras.
        integration = apigw.LambdaIntegration(api, allow_test_invoke=False)
        # The contract's routes of the api function, declared once (functions/api/route_table.py); the
        # webhooks function's are on the cheaper HTTP API (webhook_api.py).
        for route in ROUTES:
            if route.target == "api":
                self._route(route.method, route.path, integration, authorized=route.keyed)

        for response_type, status, code, title, detail in GATEWAY_RESPONSES:
            self.rest_api.add_gateway_response(
                f"{code.title().replace('_', '')}Response",
                type=response_type,
                status_code=str(status),
                response_headers={"Content-Type": "'application/problem+json'"},
                templates={"application/json": json.dumps(problem(status, code, title, detail))},
            )
        acknowledge(
            self.rest_api,
            {
                "AwsSolutions-APIG2": "Bodies are validated in the api function (Powertools event handler "
                "with pydantic), which answers problem+json listing each bad field; a gateway model would "
                "duplicate the schema and answer in another format.",
                "AwsSolutions-APIG3": "No WAF per stage: keys are checked by the authorizer, the stage and "
                "each storefront (usage plans) are throttled; a WebACL is attached centrally (Firewall "
                "Manager) where an account needs one.",
                "AwsSolutions-COG4": "Callers are storefront servers and partners with API keys, not users "
                "of a Cognito user pool; the Lambda TOKEN authorizer checks those keys.",
            },
        )
        acknowledge(
            self.rest_api.node.find_child("CloudWatchRole"),
            {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]": "The AWS-managed policy made for exactly this: "
                "API Gateway pushing its own logs to CloudWatch.",
            },
        )

    def _route(self, method: str, path: str, integration: apigw.Integration, *, authorized: bool) -> None:
        resource = self.rest_api.root.resource_for_path(path)
        added = resource.add_method(
            method,
            integration,
            authorizer=self.authorizer if authorized else None,
            authorization_type=apigw.AuthorizationType.CUSTOM if authorized else apigw.AuthorizationType.NONE,
            # Keyed routes count against the caller's usage plan key (per-storefront throttling).
            api_key_required=authorized,
        )
        if not authorized:
            acknowledge(added, {"AwsSolutions-APIG4": PUBLIC_BECAUSE})
