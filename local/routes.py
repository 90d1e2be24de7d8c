"""Reads the REST API of the template: resources, methods, the authorizer and the gateway responses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from local.assembly import Assembly, TemplateError
from local.gateway import AuthorizerSpec, GatewayResponseSpec, Route, Throttle

_FUNCTION_IN_URI = re.compile(r"/functions/(arn:[^/]+)/invocations")


@dataclass(frozen=True)
class RestApi:
    api_id: str
    stage: str
    routes: list[Route]
    gateway_responses: dict[str, GatewayResponseSpec]
    api_key_source: str = "HEADER"  # or AUTHORIZER: where API Gateway takes a request's API key from
    stage_throttle: Throttle | None = None  # the stage's default method throttle


def _function_of(uri: str) -> str:
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
