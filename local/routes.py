"""Reads the APIs of the template: the REST API (resources, methods, the authorizer, the gateway responses) and
the HTTP APIs (routes to Lambda integrations, their stage's throttle)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from local.assembly import Assembly, TemplateError
from local.gateway import AuthorizerSpec, GatewayResponseSpec, Route, Throttle
from local.http_api import HttpApiSpec

_FUNCTION_IN_URI = re.compile(r"/functions/(arn:[^/]+)/invocations")
_FUNCTION_ARN = re.compile(r"arn:[^:/]+:lambda:[^:/]+:[^:/]+:function:[^/]+")


@dataclass(frozen=True)
class RestApi:
    api_id: str
    stage: str
    routes: list[Route]
    gateway_responses: dict[str, GatewayResponseSpec]
    api_key_source: str = "HEADER"  # or AUTHORIZER: where API Gateway takes a request's API key from
    stage_throttle: Throttle | None = None  # the stage's default method throttle


def _function_of(uri: str) -> str:
    """The function of a REST integration URI (.../functions/<arn>/invocations) or an HTTP API's (its ARN)."""
    if _FUNCTION_ARN.fullmatch(uri):
        return uri
    match = _FUNCTION_IN_URI.search(uri)
    if not match:
        raise TemplateError(f"integration URI {uri!r} is not a Lambda function")
    return match.group(1)


def rest_api(assembly: Assembly) -> RestApi | None:
    apis = assembly.of_type("AWS::ApiGateway::RestApi")
    if not apis:
        return None
    if len(apis) > 1:
        raise TemplateError("the local runtime serves one REST API per stack")
    api_logical_id, api_props = apis[0]
    api = assembly.physical(api_logical_id)

    paths = {api.attrs["RootResourceId"]: ""}
    parents = {
        assembly.physical(logical_id).ref: (props["ParentId"], props["PathPart"])
        for logical_id, props in assembly.of_type("AWS::ApiGateway::Resource")
    }

    def path_of(resource_id: str) -> str:
        if resource_id not in paths:
            parent, part = parents[resource_id]
            paths[resource_id] = f"{path_of(parent)}/{part}"
        return paths[resource_id]

    authorizers = {
        assembly.physical(logical_id).ref: AuthorizerSpec(
            function=_function_of(props["AuthorizerUri"]),
            type=props.get("Type", "TOKEN"),
            identity_header=str(props.get("IdentitySource", "method.request.header.Authorization")).split(".")[-1],
            ttl_seconds=int(props.get("AuthorizerResultTtlInSeconds", 300)),
        )
        for logical_id, props in assembly.of_type("AWS::ApiGateway::Authorizer")
    }

    routes = []
    for _, props in assembly.of_type("AWS::ApiGateway::Method"):
        integration = props.get("Integration", {})
        if integration.get("Type") != "AWS_PROXY":
            continue  # e.g. CORS MOCK integrations: not served locally
        routes.append(
            Route(
                method=props["HttpMethod"],
                resource=path_of(props["ResourceId"]) or "/",
                function=_function_of(integration["Uri"]),
                authorizer=authorizers.get(props.get("AuthorizerId", ""))
                if props.get("AuthorizationType") == "CUSTOM"
                else None,
                api_key_required=props.get("ApiKeyRequired") is True,
            )
        )

    responses = {}
    for _, props in assembly.of_type("AWS::ApiGateway::GatewayResponse"):
        headers = {
            key.removeprefix("gatewayresponse.header."): str(value).strip("'")
            for key, value in (props.get("ResponseParameters") or {}).items()
            if key.startswith("gatewayresponse.header.")
        }
        templates = props.get("ResponseTemplates") or {}
        responses[props["ResponseType"]] = GatewayResponseSpec(
            status=int(props.get("StatusCode", 0) or 0),
            headers=headers,
            template=templates.get("application/json"),
        )

    stages = [props for _, props in assembly.of_type("AWS::ApiGateway::Stage")]
    return RestApi(
        api_id=api.ref,
        stage=str(stages[0].get("StageName") if stages else "prod"),
        routes=routes,
        gateway_responses=responses,
        api_key_source=str(api_props.get("ApiKeySourceType") or "HEADER"),
        stage_throttle=_stage_throttle(stages[0]) if stages else None,
    )


def _stage_throttle(stage: dict[str, Any]) -> Throttle | None:
    """The throttle of the stage's "*/*" method setting (what `throttling_rate_limit` and friends write)."""
    for setting in stage.get("MethodSettings") or []:
        if setting.get("HttpMethod") == "*" and setting.get("ResourcePath") == "/*":
            rate, burst = setting.get("ThrottlingRateLimit"), setting.get("ThrottlingBurstLimit")
            if rate is not None and burst is not None:
                return Throttle(rate=float(rate), burst=int(burst))
    return None


def http_apis(assembly: Assembly) -> list[HttpApiSpec]:
    """Every HTTP API of the template with its Lambda proxy routes (payload format 1.0, the one emulated)."""
    functions = {}
    for logical_id, props in assembly.of_type("AWS::ApiGatewayV2::Integration"):
        if props.get("IntegrationType") != "AWS_PROXY" or ":lambda:" not in str(props.get("IntegrationUri")):
            continue
        version = str(props.get("PayloadFormatVersion", "1.0"))
        if version != "1.0":
            raise TemplateError(f"{logical_id}: payload format {version} is not emulated locally, only 1.0")
        functions[f"integrations/{assembly.physical(logical_id).ref}"] = _function_of(str(props["IntegrationUri"]))
    routes: dict[str, list[Route]] = {}
    for _, props in assembly.of_type("AWS::ApiGatewayV2::Route"):
        function = functions.get(str(props.get("Target", "")))
        if function is None:
            continue  # no Lambda integration: not served locally
        method, _, path = str(props["RouteKey"]).partition(" ")
        if not path:
            raise TemplateError(f"route key {props['RouteKey']!r} is not emulated locally (only 'METHOD /path')")
        routes.setdefault(str(props["ApiId"]), []).append(Route(method, path, function, authorizer=None))
    stages = {str(props["ApiId"]): props for _, props in assembly.of_type("AWS::ApiGatewayV2::Stage")}
    specs = []
    for logical_id, props in assembly.of_type("AWS::ApiGatewayV2::Api"):
        if props.get("ProtocolType") != "HTTP":
            continue
        api_id = assembly.physical(logical_id).ref
        stage = stages.get(api_id, {})
        settings = stage.get("DefaultRouteSettings") or {}
        rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
        specs.append(
            HttpApiSpec(
                api_id=api_id,
                stage=str(stage.get("StageName", "$default")),
                routes=routes.get(api_id, []),
                stage_throttle=Throttle(float(rate), int(burst)) if rate is not None and burst is not None else None,
            )
        )
    return specs
