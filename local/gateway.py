"""API Gateway REST in front of in-process handlers: routing, v1 proxy events, Lambda authorizers.

A request an HTTP API of the template routes (local/http_api.py) goes to that API instead, on the same port.
"""

from __future__ import annotations

import base64
import binascii
import errno
import functools
import hashlib
import json
import logging
import os
import re
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.lambdas import LambdaCrash

if TYPE_CHECKING:
    from local.http_api import HttpApi

logger = logging.getLogger("oms.local.gateway")

Response = tuple[int, list[tuple[str, str]], bytes]
Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class AuthorizerSpec:
    function: str
    type: str  # "TOKEN" or "REQUEST"
    identity_header: str
    ttl_seconds: int


@dataclass(frozen=True)
class Route:
    method: str
    resource: str
    function: str
    authorizer: AuthorizerSpec | None
    api_key_required: bool = False


@dataclass(frozen=True)
class Throttle:
    """A token bucket: `burst` requests at once, refilled at `rate` per second."""

    rate: float
    burst: int


@dataclass(frozen=True)
class PlanKey:
    """An enabled API key in a usage plan of this stage, with the plan's per-key throttle."""

    key_id: str
    throttle: Throttle | None


# The API key of a request (its value) -> the key if it may call this stage, else None.
ApiKeys = Callable[[str], PlanKey | None]


@dataclass(frozen=True)
class GatewayResponseSpec:
    status: int
    headers: dict[str, str]
    template: str | None


# Built-in gateway responses: (status, message, x-amzn-ErrorType). A message of None renders as null,
# which is what API Gateway answers when an authorizer crashes.
_BUILTIN: dict[str, tuple[int, str | None, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource", "AccessDeniedException"),
    "AUTHORIZER_FAILURE": (500, None, "AuthorizerConfigurationException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLargeException"),
    "INVALID_API_KEY": (403, "Forbidden", "ForbiddenException"),
    "THROTTLED": (429, "Too Many Requests", "TooManyRequestsException"),
    "DEFAULT_4XX": (400, "Bad Request", "BadRequestException"),
    # A crashing or malformed Lambda proxy integration answers 502, not DEFAULT_5XX's usual 500.
    "DEFAULT_5XX": (502, "Internal server error", "InternalServerErrorException"),
}
# Not an API Gateway type: malformed HTTP, answered with the DEFAULT_4XX customisation if there is one.
_MALFORMED = "MALFORMED_REQUEST"
_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
_EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"
_IMPLICIT_DENY = "User is not authorized to access this resource"

_PROXY_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
# Response headers API Gateway does not pass through from an integration but renames.
_REMAPPED = frozenset(
    {
        "authorization",
        "connection",
        "content-length",
        "date",
        "expect",
        "host",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "www-authenticate",
    }
)
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_PARAM = re.compile(r"\{([A-Za-z0-9_.-]+)(\+?)\}")
_VARIABLE = re.compile(r"\$(?:\{context\.([A-Za-z0-9_.]+)\}|context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*))")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Rejected(Exception):
    """A request answered by a gateway response instead of the integration."""

    def __init__(self, kind: str, message: str | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.message = message


class _Malformed(Exception):
    """A Lambda's answer that API Gateway would not accept."""


@dataclass
class _Resource:
    path: str
    methods: dict[str, Route] = field(default_factory=dict)
    literals: dict[str, _Resource] = field(default_factory=dict)
    params: dict[str, _Resource] = field(default_factory=dict)
    greedy: dict[str, _Resource] = field(default_factory=dict)

    @property
    def resource_id(self) -> str:
        return hashlib.sha256(self.path.encode()).hexdigest()[:6]

    def route_for(self, method: str) -> Route | None:
        return self.methods.get(method) or self.methods.get("ANY")


@dataclass
class _Call:
    """What the gateway knows about one request while answering it."""

    request_id: str
    extended_request_id: str
    trace_id: str
    method: str
    path: str  # as received, still percent-encoded (REST APIs do not decode it)
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    epoch: float
    resource: _Resource | None = None
    path_parameters: dict[str, str] | None = None
    usage_identifier: str | None = None  # the authorizer's usageIdentifierKey
    api_key: tuple[str, PlanKey] | None = None  # (value, key) on methods that require one

    @property
    def route_path(self) -> str:
        """The path used for routing and the methodArn: one trailing slash is ignored."""
        return self.path[:-1] if len(self.path) > 1 and self.path.endswith("/") else self.path

    def header(self, name: str) -> str | None:
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[-1] if found else None


@dataclass(frozen=True)
class _Statement:
    allow: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool

    def applies_to(self, method_arn: str) -> bool:
        action = any(_wildcard(a, True).fullmatch("execute-api:Invoke") for a in self.actions)
        resource = any(_wildcard(r, False).fullmatch(method_arn) for r in self.resources)
        return action != self.not_action and resource != self.not_resource


@dataclass(frozen=True)
class _Grant:
    principal_id: str
    statements: tuple[_Statement, ...]
    context: dict[str, str]
    expires_at: float
    usage_identifier: str | None = None


@dataclass
class _Bucket:
    tokens: float
    at: float


class Gateway:
    """Answers HTTP requests the way a deployed REST API with Lambda proxy integrations would."""

    def __init__(
        self,
        *,
        rest_api_id: str,
        stage: str,
        region: str,
        account_id: str,
        routes: list[Route],
        gateway_responses: dict[str, GatewayResponseSpec],
        invoke: Invoke,
        clock: Callable[[], float] = time.time,
        max_body_bytes: int = 10 * 1024 * 1024,
        api_key_source: str = "HEADER",
        api_keys: ApiKeys | None = None,
        stage_throttle: Throttle | None = None,
        http_apis: tuple[HttpApi, ...] = (),
    ) -> None:
        self.rest_api_id = rest_api_id
        self.stage = stage
        self.region = region
        self.account_id = account_id
        self.max_body_bytes = max_body_bytes
        self._responses = dict(gateway_responses)
        self._invoke = invoke
        self._clock = clock
        self._root = _Resource("/")
        for route in routes:
            self._add(route)
        self._grants: dict[tuple[str, str, str], _Grant] = {}
        self._grants_lock = threading.Lock()
        self.api_key_source = api_key_source.upper()
        self._api_keys = api_keys
        self.stage_throttle = stage_throttle
        self._buckets: dict[tuple[str, ...], _Bucket] = {}
        self._buckets_lock = threading.Lock()
        self.http_apis = http_apis

    # -- public ---------------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> Response:
        """Answer one request; never raises (a bug in here is logged and answered 502)."""
        http_api = self.http_api_for(method, target)
        if http_api is not None:
            return http_api.handle(method, target, headers, body, source_ip)
        try:
            call = self._new_call(method, target, headers, body, source_ip)
        except Exception:
            logger.exception("local API gateway failed on %s %s", method, target)
            return _plain_502(str(uuid.uuid4()))
        try:
            return self._handle(call)
        except Exception:
            logger.exception("local API gateway failed on %s %s", method, target)
            return self._safe_gateway_response("DEFAULT_5XX", call, None)

    def gateway_response(
        self, kind: str, target: str = "/", *, method: str = "GET", message: str | None = None
    ) -> Response:
        """A gateway response outside of handle(), for the HTTP layer (body too large, malformed HTTP)."""
        http_api = self.http_api_for(method, target)
        if kind == "REQUEST_TOO_LARGE" and http_api is not None:
            return http_api.too_large()
        call = self._new_call(method, target, [], b"", "127.0.0.1")
        return self._safe_gateway_response(kind, call, message)

    def http_api_for(self, method: str, target: str) -> HttpApi | None:
        """The HTTP API that serves this request, if one of its routes matches; else the REST API does."""
        return next((api for api in self.http_apis if api.match(method, target) is not None), None)

    # -- routing --------------------------------------------------------------------------------

    def _add(self, route: Route) -> None:
        _add_route(self._root, route)

    def _route(self, call: _Call) -> Route:
        segments = _segments(call.route_path)
        # Candidates come most specific first (literal, then {param}, then {greedy+}, per segment).
        for node, params in _matches(self._root, segments, 0, {}):
            route = node.route_for(call.method)
            if route is not None:
                call.resource = node
                call.path_parameters = params or None
                return route
        raise _Rejected("MISSING_AUTHENTICATION_TOKEN")

    # -- one request ----------------------------------------------------------------------------

    def _new_call(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str) -> _Call:
        path, query = _split_target(target)
        now = self._clock()
        return _Call(
            request_id=str(uuid.uuid4()),
            extended_request_id=base64.b64encode(os.urandom(11)).decode(),
            trace_id=f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}",
            method=method,
            path=path,
            query=query,
            headers=list(headers),
            body=body,
            source_ip=source_ip,
            epoch=now,
        )

    def _handle(self, call: _Call) -> Response:
        try:
            if len(call.body) > self.max_body_bytes:
                raise _Rejected("REQUEST_TOO_LARGE")
            if not call.path.startswith("/"):
                raise _Rejected("MISSING_AUTHENTICATION_TOKEN")
            route = self._route(call)
            authorizer = None if route.authorizer is None else self._authorize(route.authorizer, call)
            # API Gateway's order: the usage plan's per-key limit first, then the stage's.
            if route.api_key_required:
                self._check_api_key(call)
            if self.stage_throttle is not None and not self._take(("stage",), self.stage_throttle):
                raise _Rejected("THROTTLED")
            return self._integrate(route, call, authorizer)
        except _Rejected as rejected:
            return self._gateway_response(rejected.kind, call, rejected.message)

    def _method_arn(self, call: _Call) -> str:
        return (
            f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.rest_api_id}/{self.stage}/"
            f"{call.method}/{call.route_path[1:]}"
        )

    def _request_context(self, call: _Call) -> dict[str, Any]:
        resource = call.resource
        tm = time.gmtime(call.epoch)
        return {
            "accountId": self.account_id,
            "apiId": self.rest_api_id,
            "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "extendedRequestId": call.extended_request_id,
            "httpMethod": call.method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "apiKey": call.api_key[0] if call.api_key else None,
                "apiKeyId": call.api_key[1].key_id if call.api_key else None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": call.source_ip,
                "user": None,
                "userAgent": call.header("User-Agent"),
                "userArn": None,
            },
            "path": call.path,  # served like a custom domain: no stage prefix in the URL
            "protocol": "HTTP/1.1",
            "requestId": call.request_id,
            "requestTime": (
                f"{tm.tm_mday:02d}/{_MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:"
                f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000"
            ),
            "requestTimeEpoch": int(call.epoch * 1000),
            "resourceId": resource.resource_id if resource else None,
            "resourcePath": resource.path if resource else None,
            "stage": self.stage,
        }

    def _event_headers(self, call: _Call) -> list[tuple[str, str]]:
        # API Gateway adds these on the way in; handlers may read the client address from them.
        forwarded = call.header("X-Forwarded-For")
        headers = [(k, v) for k, v in call.headers if k.lower() != "x-forwarded-for"]
        headers.append(("X-Forwarded-For", f"{forwarded}, {call.source_ip}" if forwarded else call.source_ip))
        if call.header("X-Forwarded-Proto") is None:
            headers.append(("X-Forwarded-Proto", "http"))
        if call.header("X-Amzn-Trace-Id") is None:
            headers.append(("X-Amzn-Trace-Id", call.trace_id))
        return headers

    # -- authorizer -----------------------------------------------------------------------------

    def _authorize(self, spec: AuthorizerSpec, call: _Call) -> dict[str, Any]:
        method_arn = self._method_arn(call)
        identity = call.header(spec.identity_header) if spec.identity_header else None
        if spec.identity_header and not identity:
            raise _Rejected("UNAUTHORIZED")
        cache_key = (spec.function, spec.type, identity) if identity and spec.ttl_seconds > 0 else None
        latency = 0
        grant = self._cached_grant(cache_key)
        if grant is None:
            started = time.perf_counter()
            grant = self._run_authorizer(spec, call, method_arn, identity)
            latency = int((time.perf_counter() - started) * 1000)
            if cache_key is not None:
                self._store_grant(cache_key, grant)
        denial = _decide(grant.statements, method_arn)
        if denial is not None:
            raise _Rejected("ACCESS_DENIED", denial)
        call.usage_identifier = grant.usage_identifier
        return {**grant.context, "principalId": grant.principal_id, "integrationLatency": latency}

    # -- API keys and throttling ----------------------------------------------------------------

    def _check_api_key(self, call: _Call) -> None:
        """The request's API key must be enabled and in a usage plan of this stage; its plan may throttle it."""
        value = call.usage_identifier if self.api_key_source == "AUTHORIZER" else call.header("x-api-key")
        key = self._api_keys(value) if value and self._api_keys is not None else None
        if value is None or key is None:
            raise _Rejected("INVALID_API_KEY")
        call.api_key = (value, key)
        if key.throttle is not None and not self._take(("key", key.key_id), key.throttle):
            raise _Rejected("THROTTLED")

    def _take(self, bucket_id: tuple[str, ...], throttle: Throttle) -> bool:
        """One token from the bucket (full at first, refilled at the rate), or False when it is empty."""
        now = self._clock()
        with self._buckets_lock:
            bucket = self._buckets.setdefault(bucket_id, _Bucket(float(throttle.burst), now))
            bucket.tokens = min(float(throttle.burst), bucket.tokens + max(0.0, now - bucket.at) * throttle.rate)
            bucket.at = now
            if bucket.tokens < 1:
                return False
            bucket.tokens -= 1
            return True

    def _run_authorizer(self, spec: AuthorizerSpec, call: _Call, method_arn: str, identity: str | None) -> _Grant:
        event: dict[str, Any]
        if spec.type.upper() == "TOKEN":
            event = {"type": "TOKEN", "authorizationToken": identity, "methodArn": method_arn}
        else:
            headers, multi_headers = _header_maps(self._event_headers(call))
            query, multi_query = _query_maps(call.query)
            event = {
                "type": "REQUEST",
                "methodArn": method_arn,
                "resource": call.resource.path if call.resource else call.route_path,
                "path": call.path,
                "httpMethod": call.method,
                "headers": headers or {},
                "multiValueHeaders": multi_headers or {},
                "queryStringParameters": query or {},
                "multiValueQueryStringParameters": multi_query or {},
                "pathParameters": call.path_parameters or {},
                "stageVariables": {},
                "requestContext": self._request_context(call),
            }
        try:
            answer = self._invoke(spec.function, event)
        except Exception as error:
            # API Gateway looks only at the error message, whatever the exception class.
            if str(error) == "Unauthorized":
                raise _Rejected("UNAUTHORIZED") from None
            logger.exception("authorizer %s failed on %s %s", spec.function, call.method, call.path)
            raise _Rejected("AUTHORIZER_FAILURE") from None
        try:
            return _grant(answer, self._clock() + spec.ttl_seconds)
        except _Malformed as malformed:
            logger.error("authorizer %s returned an invalid response: %s", spec.function, malformed)
            raise _Rejected("AUTHORIZER_FAILURE") from None

    def _cached_grant(self, key: tuple[str, str, str] | None) -> _Grant | None:
        if key is None:
            return None
        with self._grants_lock:
            grant = self._grants.get(key)
            if grant is not None and grant.expires_at <= self._clock():
                del self._grants[key]
                return None
            return grant

    def _store_grant(self, key: tuple[str, str, str], grant: _Grant) -> None:
        with self._grants_lock:
            if len(self._grants) >= 10_000:
                now = self._clock()
                self._grants = {k: g for k, g in self._grants.items() if g.expires_at > now}
            self._grants[key] = grant

    # -- integration ----------------------------------------------------------------------------

    def _integrate(self, route: Route, call: _Call, authorizer: dict[str, Any] | None) -> Response:
        headers, multi_headers = _header_maps(self._event_headers(call))
        query, multi_query = _query_maps(call.query)
        context = self._request_context(call)
        if authorizer is not None:
            context["authorizer"] = authorizer
        body, is_base64 = _event_body(call.body)
        event: dict[str, Any] = {
            "resource": context["resourcePath"],
            "path": call.path,
            "httpMethod": call.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "pathParameters": call.path_parameters,
            "stageVariables": None,
            "requestContext": context,
            "body": body,
            "isBase64Encoded": is_base64,
        }
        try:
            answer = self._invoke(route.function, event)
        except Exception:
            logger.exception("function %s crashed on %s %s", route.function, call.method, call.path)
            raise _Rejected("DEFAULT_5XX") from None
        try:
            status, response_headers, response_body = _proxy_response(answer)
        except _Malformed as malformed:
            logger.error(
                "function %s returned a malformed Lambda proxy response (%s): %r",
                route.function,
                malformed,
                answer,
            )
            raise _Rejected("DEFAULT_5XX") from None
        if not any(name.lower() == "content-type" for name, _ in response_headers):
            response_headers.append(("Content-Type", "application/json"))
        return status, self._finish_headers(call, response_headers, response_body), response_body

    @staticmethod
    def _finish_headers(call: _Call, headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
        return [
            *headers,
            ("x-amzn-RequestId", call.request_id),
            ("x-amz-apigw-id", call.extended_request_id),
            ("X-Amzn-Trace-Id", call.trace_id),
            ("Content-Length", str(len(body))),
        ]

    # -- gateway responses ----------------------------------------------------------------------

    def _safe_gateway_response(self, kind: str, call: _Call, message: str | None) -> Response:
        try:
            return self._gateway_response(kind, call, message)
        except Exception:
            logger.exception("could not render the %s gateway response", kind)
            return _plain_502(call.request_id)

    def _gateway_response(self, kind: str, call: _Call, message: str | None) -> Response:
        default_status, default_message, error_type = _BUILTIN.get(kind, _BUILTIN["DEFAULT_4XX"])
        if message is None:
            message = default_message
        spec = self._responses.get(kind)
        # A customisation without a StatusCode keeps the type's own status.
        status = spec.status if spec is not None and 100 <= spec.status <= 599 else default_status
        if spec is None:
            # An uncustomised type keeps its status but takes DEFAULT_4XX/DEFAULT_5XX's headers and body.
            spec = self._responses.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX")
        headers = {"Content-Type": "application/json"}
        template = _DEFAULT_TEMPLATE
        if spec is not None:
            custom = {name: _unquote_header(value) for name, value in spec.headers.items()}
            if any(name.lower() == "content-type" for name in custom):
                del headers["Content-Type"]
            headers.update(custom)
            template = spec.template if spec.template is not None else template
        variables = self._template_variables(call, kind, message)
        body = _VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), template).encode()
        listed = [*headers.items(), ("x-amzn-ErrorType", error_type)]
        return status, self._finish_headers(call, listed, body), body

    def _template_variables(self, call: _Call, kind: str, message: str | None) -> dict[str, str]:
        message_string = json.dumps(message)
        return {
            "error.message": message_string[1:-1] if message is not None else "",
            "error.messageString": message_string,
            "error.responseType": "DEFAULT_4XX" if kind == _MALFORMED else kind,
            "requestId": call.request_id,
            "extendedRequestId": call.extended_request_id,
            "resourcePath": call.resource.path if call.resource else "",
            "resourceId": call.resource.resource_id if call.resource else "",
            "path": call.path,  # served like a custom domain: no stage prefix in the URL
            "httpMethod": call.method,
            "stage": self.stage,
            "apiId": self.rest_api_id,
            "accountId": self.account_id,
            "domainName": "127.0.0.1",
            "requestTimeEpoch": str(int(call.epoch * 1000)),
            "identity.sourceIp": call.source_ip,
            "identity.userAgent": call.header("User-Agent") or "",
        }


# -- pure helpers -------------------------------------------------------------------------------


def _add_route(root: _Resource, route: Route) -> None:
    if not route.resource.startswith("/"):
        raise ValueError(f"resource {route.resource!r} must start with '/'")
    node = root
    segments = _segments(route.resource)
    for index, segment in enumerate(segments):
        path = "/" + "/".join(segments[: index + 1])
        param = _PARAM.fullmatch(segment)
        if param is None:
            node = node.literals.setdefault(segment, _Resource(path))
        elif param.group(2):
            if index != len(segments) - 1:
                raise ValueError(f"greedy parameter must be last in {route.resource!r}")
            node = node.greedy.setdefault(param.group(1), _Resource(path))
        else:
            node = node.params.setdefault(param.group(1), _Resource(path))
    method = route.method.upper()
    if method in node.methods:
        raise ValueError(f"two routes for {method} {node.path}")
    node.methods[method] = route


def _plain_502(request_id: str) -> Response:
    body = b'{"message":"Internal server error"}'
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    return 502, [*headers, ("Content-Length", str(len(body)))], body


def _segments(path: str) -> list[str]:
    trimmed = path[:-1] if len(path) > 1 and path.endswith("/") else path
    return [] if trimmed == "/" else trimmed.split("/")[1:]


def _matches(
    node: _Resource, segments: list[str], index: int, params: dict[str, str]
) -> Iterator[tuple[_Resource, dict[str, str]]]:
    if index == len(segments):
        yield node, params
        return
    segment = segments[index]
    decoded = unquote(segment)
    literal = node.literals.get(decoded)
    if literal is not None:
        yield from _matches(literal, segments, index + 1, params)
    if segment:
        for name, child in node.params.items():
            yield from _matches(child, segments, index + 1, {**params, name: decoded})
    rest = "/".join(segments[index:])
    if rest:
        for name, child in node.greedy.items():
            yield child, {**params, name: unquote(rest)}


def _split_target(target: str) -> tuple[str, str]:
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    without_fragment = target.partition("#")[0]
    path, _, query = without_fragment.partition("?")
    return path, query


def _query_maps(raw: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    multi: dict[str, list[str]] = {}
    # REST APIs decode the query string, '+' included, before the function sees it.
    for name, value in parse_qsl(raw, keep_blank_values=True):
        multi.setdefault(name, []).append(value)
    if not multi:
        return None, None
    return {name: values[-1] for name, values in multi.items()}, multi


def _header_maps(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    if not multi:
        return None, None
    return {name: values[-1] for name, values in multi.items()}, multi


def _event_body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _decide(statements: tuple[_Statement, ...], method_arn: str) -> str | None:
    """None when the policy allows the call, else the ACCESS_DENIED message."""
    applicable = [s for s in statements if s.applies_to(method_arn)]
    if any(not s.allow for s in applicable):
        return _EXPLICIT_DENY
    if any(s.allow for s in applicable):
        return None
    return _IMPLICIT_DENY


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _Malformed(f"{what} must be a string or a list of strings")


def _statement(raw: Any) -> _Statement:
    if not isinstance(raw, dict):
        raise _Malformed("a policy statement must be an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise _Malformed(f"Effect must be Allow or Deny, not {effect!r}")
    action_key = "Action" if "Action" in raw else "NotAction"
    resource_key = "Resource" if "Resource" in raw else "NotResource"
    return _Statement(
        allow=effect == "Allow",
        actions=_strings(raw.get(action_key), action_key),
        not_action=action_key == "NotAction",
        resources=_strings(raw.get(resource_key), resource_key),
        not_resource=resource_key == "NotResource",
    )


def _context_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise _Malformed(f"context value {name!r} must be a string, number or boolean")


def _grant(answer: Any, expires_at: float) -> _Grant:
    if not isinstance(answer, dict):
        raise _Malformed("the response must be an object")
    principal = answer.get("principalId")
    if not isinstance(principal, str | int) or isinstance(principal, bool) or principal == "":
        raise _Malformed("principalId is missing")
    policy = answer.get("policyDocument")
    if not isinstance(policy, dict):
        raise _Malformed("policyDocument is missing")
    raw_statements = policy.get("Statement")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise _Malformed("policyDocument.Statement must be a list or an object")
    raw_context = answer.get("context") or {}
    if not isinstance(raw_context, dict):
        raise _Malformed("context must be an object")
    context = {str(k): _context_value(str(k), v) for k, v in raw_context.items() if v is not None}
    usage = answer.get("usageIdentifierKey")
    if usage is not None and not isinstance(usage, str):
        raise _Malformed("usageIdentifierKey must be a string")
    return _Grant(str(principal), tuple(_statement(s) for s in raw_statements), context, expires_at, usage or None)


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise _Malformed(f"header {name!r} has a non-scalar value")
    if any(c in text for c in "\r\n\0"):
        raise _Malformed(f"header {name!r} contains a line break")
    return text


def _proxy_response(answer: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    if not isinstance(answer, dict):
        raise _Malformed(f"expected an object, got {type(answer).__name__}")
    unknown = set(answer) - _PROXY_RESPONSE_KEYS
    if unknown:
        raise _Malformed(f"unexpected keys {sorted(map(str, unknown))}")
    status = answer.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise _Malformed("statusCode must be an integer HTTP status")
    headers = _response_headers(answer.get("headers") or {}, answer.get("multiValueHeaders") or {})
    payload = _response_body(answer.get("body"), answer.get("isBase64Encoded"))
    return status, headers, b"" if status in (204, 304) else payload


def _response_headers(single: Any, multi: Any) -> list[tuple[str, str]]:
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise _Malformed("headers and multiValueHeaders must be objects")
    headers: list[tuple[str, str]] = []
    # Where both maps name a header, multiValueHeaders wins, as in API Gateway.
    multi_names = {str(name).lower() for name in multi}
    for name, value in single.items():
        if str(name).lower() not in multi_names:
            headers.append((str(name), _header_value(str(name), value)))
    for name, values in multi.items():
        if not isinstance(values, list):
            raise _Malformed(f"multiValueHeaders[{name!r}] must be a list")
        headers.extend((str(name), _header_value(str(name), value)) for value in values)
    for name, _ in headers:
        if not _TOKEN.fullmatch(name):
            raise _Malformed(f"invalid header name {name!r}")
    return [(f"x-amzn-Remapped-{n}" if n.lower() in _REMAPPED else n, v) for n, v in headers]


def _response_body(body: Any, encoded: Any) -> bytes:
    if body is not None and not isinstance(body, str):
        raise _Malformed("body must be a string")
    if encoded is not None and not isinstance(encoded, bool):
        raise _Malformed("isBase64Encoded must be a boolean")
    if body is None:
        return b""
    if not encoded:
        return body.encode("utf-8", errors="surrogateescape")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise _Malformed("body is not valid base64") from error


def _unquote_header(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


# -- HTTP -----------------------------------------------------------------------------------------

_MAX_LINE = 65536
_DRAIN_LIMIT = 16 * 1024 * 1024  # read and drop this much of a too-large body, so the 413 reaches the client


class _BadRequest(Exception):
    pass


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a client that stalls its upload must not hold up stopping the stack
    allow_reuse_address = True
    # A storefront burst opens many connections at once; the default backlog of 5 would reset them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall on a reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("local API gateway: connection from %s failed", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oms-local-gateway"
    timeout = 60

    @property
    def _gateway(self) -> Gateway:
        server = self.server
        assert isinstance(server, _GatewayServer)
        return server.gateway

    def handle(self) -> None:
        self.close_connection = True  # one request per connection; Connection: close on every answer
        self.handle_one_request()

    def handle_one_request(self) -> None:
        self._responded = False
        try:
            self.raw_requestline = self.rfile.readline(_MAX_LINE + 1)
            if len(self.raw_requestline) > _MAX_LINE:
                self.requestline = self.request_version = self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline or not self.parse_request():
                return
            self._serve()
        except (ConnectionError, TimeoutError) as error:
            logger.debug("local API gateway: connection dropped: %r", error)
        except Exception:
            logger.exception("local API gateway: request failed")
            if not self._responded:
                self._send(self._gateway.gateway_response("DEFAULT_5XX"))
        finally:
            self.close_connection = True

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _BadRequest as error:
            self.send_error(HTTPStatus.BAD_REQUEST, str(error))
            return
        if body is None:
            self._send(self._gateway.gateway_response("REQUEST_TOO_LARGE", self.path, method=self.command))
            return
        response = self._gateway.handle(
            self.command, self.path, list(self.headers.items()), body, source_ip=str(self.client_address[0])
        )
        self._send(response)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is larger than the gateway accepts."""
        limit = self._gateway.max_body_bytes
        codings = ",".join(self.headers.get_all("Transfer-Encoding") or [])
        if codings.strip():
            if [c.strip().lower() for c in codings.split(",")][-1] != "chunked":
                raise _BadRequest("unsupported Transfer-Encoding")
            return self._read_chunked(limit)
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if not lengths:
            return b""
        if len(lengths) > 1 or not next(iter(lengths)).isdigit():
            raise _BadRequest("invalid Content-Length")
        length = int(next(iter(lengths)))
        if length > limit:
            self._discard(min(length, limit + _DRAIN_LIMIT))
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            raise _BadRequest("the body is shorter than Content-Length")
        return body

    def _read_chunked(self, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self._line()
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                raise _BadRequest("malformed chunk size")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > limit:
                if total <= limit + _DRAIN_LIMIT:
                    self._discard(size)
                    self._line()
                    continue
                return None
            data = self.rfile.read(size)
            if len(data) < size:
                raise _BadRequest("truncated chunk")
            chunks.append(data)
            if self._line().strip():
                raise _BadRequest("missing CRLF after a chunk")
        while self._line().strip():  # trailer fields, ignored
            pass
        return None if total > limit else b"".join(chunks)

    def _line(self) -> bytes:
        line = self.rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE or not line.endswith(b"\n"):
            raise _BadRequest("malformed chunked body")
        return line

    def _discard(self, size: int) -> None:
        while size > 0:
            data = self.rfile.read(min(size, 65536))
            if not data:
                return
            size -= len(data)

    def handle_expect_100(self) -> bool:
        # Refuse a body that is too large before the client sends it.
        lengths = self.headers.get_all("Content-Length") or []
        declared = int(lengths[0]) if len(lengths) == 1 and lengths[0].strip().isdigit() else 0
        if declared > self._gateway.max_body_bytes:
            self._send(self._gateway.gateway_response("REQUEST_TOO_LARGE", self.path, method=self.command))
            return False
        return super().handle_expect_100()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed HTTP is the client's fault: never answer it with a 5xx (http.server uses 501 and 505).
        status = int(code) if int(code) < 500 else int(HTTPStatus.BAD_REQUEST)
        text = message or HTTPStatus(status).phrase
        target = getattr(self, "path", "/")
        _, headers, body = self._gateway.gateway_response(_MALFORMED, str(target), message=text)
        self._send((status, headers, body))

    def _send(self, response: Response) -> None:
        status, headers, body = response
        if self.request_version == "HTTP/0.9":
            # http.server still assumes 0.9 when the request line was unreadable; answer with a status line.
            self.request_version = "HTTP/1.0"
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if body and getattr(self, "command", "") != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()
        self._responded = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


def serve(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    """Bind the gateway's HTTP server; the caller runs serve_forever() (in a thread) and shutdown()."""
    try:
        return _GatewayServer((host, port), gateway)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = f"port {port} is already in use; stop the other process or choose another port"
        else:
            reason = error.strerror or str(error)
        message = f"cannot start the local API gateway on {host}:{port}: {reason}"
        raise OSError(error.errno, message) from error


__all__ = [
    "ApiKeys",
    "AuthorizerSpec",
    "Gateway",
    "GatewayResponseSpec",
    "LambdaCrash",
    "PlanKey",
    "Route",
    "Throttle",
    "serve",
]
