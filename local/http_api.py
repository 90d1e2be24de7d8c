"""API Gateway HTTP APIs in front of in-process handlers: route keys, payload format 1.0 events, stage throttling.

The REST emulation (gateway.py) hands a request to an HTTP API when one of its routes matches, so both
are served on the same port and a partner's local URL is the same whichever API the template puts the
route on. Like the REST emulation, the stage is not part of the local URL (served as a custom domain).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.gateway import (
    _MONTHS,
    Invoke,
    Response,
    Route,
    Throttle,
    _add_route,
    _Bucket,
    _event_body,
    _Malformed,
    _matches,
    _proxy_response,
    _query_maps,
    _Resource,
    _segments,
    _split_target,
)

logger = logging.getLogger("oms.local.gateway")

# What an HTTP API answers itself (it has no gateway responses to customise): status and message.
_NOT_FOUND = (404, "Not Found")
_THROTTLED = (429, "Too Many Requests")
_TOO_LARGE = (413, "Request Entity Too Large")
_FAILED = (500, "Internal Server Error")


@dataclass(frozen=True)
class HttpApiSpec:
    """One HTTP API of the template: its stage's name and default throttle, its Lambda routes."""

    api_id: str
    stage: str
    routes: list[Route]  # resource = the route key's path; authorizer None (HTTP API authorizers are not read)
    stage_throttle: Throttle | None = None


class _Reject(Exception):
    def __init__(self, answer: tuple[int, str]) -> None:
        super().__init__(answer[1])
        self.answer = answer


class HttpApi:
    """Answers the requests one of its routes matches, as a deployed HTTP API with payload format 1.0 would."""

    def __init__(
        self,
        spec: HttpApiSpec,
        *,
        region: str,
        account_id: str,
        invoke: Invoke,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.region = region
        self.account_id = account_id
        self._invoke = invoke
        self._clock = clock
        self._root = _Resource("/")
        for route in spec.routes:
            _add_route(self._root, route)
        self._bucket: _Bucket | None = None
        self._lock = threading.Lock()

    def match(self, method: str, target: str) -> tuple[Route, _Resource, dict[str, str]] | None:
        """The route that serves `method target` (most specific first, then ANY), or None."""
        path, _ = _split_target(target)
        if not path.startswith("/"):
            return None
        for node, params in _matches(self._root, _segments(path), 0, {}):
            route = node.route_for(method.upper())
            if route is not None:
                return route, node, params
        return None

    def too_large(self) -> Response:
        return _message(_TOO_LARGE, str(uuid.uuid4()))

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str = "127.0.0.1"
    ) -> Response:
        request_id = _request_id()
        matched = self.match(method, target)
        try:
            if matched is None:
                raise _Reject(_NOT_FOUND)
            if not self._take():
                raise _Reject(_THROTTLED)
            route, node, params = matched
            event = self._event(method, target, headers, body, source_ip, request_id, node, params)
            return self._integrate(route, event, request_id)
        except _Reject as rejected:
            return _message(rejected.answer, request_id)
        except Exception:
            logger.exception("local HTTP API failed on %s %s", method, target)
            return _message(_FAILED, request_id)

    # -- one request ----------------------------------------------------------------------------

    def _take(self) -> bool:
        throttle = self.spec.stage_throttle
        if throttle is None:
            return True
        now = self._clock()
        with self._lock:
            bucket = self._bucket = self._bucket or _Bucket(float(throttle.burst), now)
            bucket.tokens = min(float(throttle.burst), bucket.tokens + max(0.0, now - bucket.at) * throttle.rate)
            bucket.at = now
            if bucket.tokens < 1:
                return False
            bucket.tokens -= 1
            return True

    def _event(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        request_id: str,
        node: _Resource,
        params: dict[str, str],
    ) -> dict[str, Any]:
        path, query = _split_target(target)
        # HTTP APIs lower-case header names and add the forwarding headers, as REST APIs do.
        pairs = [(name.lower(), value) for name, value in headers if name.lower() != "x-forwarded-for"]
        forwarded = [value for name, value in headers if name.lower() == "x-forwarded-for"]
        pairs.append(("x-forwarded-for", f"{forwarded[-1]}, {source_ip}" if forwarded else source_ip))
        if not any(name == "x-forwarded-proto" for name, _ in pairs):
            pairs.append(("x-forwarded-proto", "http"))
        multi: dict[str, list[str]] = {}
        for name, value in pairs:
            multi.setdefault(name, []).append(value)
        query_single, query_multi = _query_maps(query)
        event_body, is_base64 = _event_body(body)
        now = self._clock()
        tm = time.gmtime(now)
        user_agent = multi.get("user-agent", [None])[-1]
        return {
            "version": "1.0",
            "resource": node.path,
            "path": path,
            "httpMethod": method.upper(),
            "headers": {name: values[-1] for name, values in multi.items()},
            "multiValueHeaders": multi,
            "queryStringParameters": query_single,
            "multiValueQueryStringParameters": query_multi,
            "requestContext": {
                "accountId": self.account_id,
                "apiId": self.spec.api_id,
                "authorizer": {"claims": None, "scopes": None},
                "domainName": "127.0.0.1",
                "domainPrefix": "127",
                "extendedRequestId": request_id,
                "httpMethod": method.upper(),
                "identity": {
                    "accessKey": None,
                    "accountId": None,
                    "caller": None,
                    "cognitoAuthenticationProvider": None,
                    "cognitoAuthenticationType": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                    "principalOrgId": None,
                    "sourceIp": source_ip,
                    "user": None,
                    "userAgent": user_agent,
                    "userArn": None,
                },
                "path": path,
                "protocol": "HTTP/1.1",
                "requestId": request_id,
                "requestTime": (
                    f"{tm.tm_mday:02d}/{_MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:"
                    f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000"
                ),
                "requestTimeEpoch": int(now * 1000),
                "resourceId": f"{method.upper()} {node.path}",  # the route key
                "resourcePath": node.path,
                "stage": self.spec.stage,
            },
            "pathParameters": params or None,
            "stageVariables": None,
            "body": event_body,
            "isBase64Encoded": is_base64,
        }

    def _integrate(self, route: Route, event: dict[str, Any], request_id: str) -> Response:
        try:
            answer = self._invoke(route.function, event)
        except Exception:
            logger.exception("function %s crashed on %s %s", route.function, event["httpMethod"], event["path"])
            raise _Reject(_FAILED) from None
        try:
            status, headers, body = _proxy_response(answer)
        except _Malformed as malformed:
            logger.error("function %s returned a malformed response (%s): %r", route.function, malformed, answer)
            raise _Reject(_FAILED) from None
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return status, [*headers, ("apigw-requestid", request_id), ("Content-Length", str(len(body)))], body


def _request_id() -> str:
    # HTTP APIs' request ids look like "JdLlWhS9oAMEbXw=": 10 random bytes, base64.
    return base64.b64encode(os.urandom(10)).decode().rstrip("=") + "="


def _message(answer: tuple[int, str], request_id: str) -> Response:
    status, message = answer
    body = json.dumps({"message": message}).encode()
    headers = [("Content-Type", "application/json"), ("apigw-requestid", request_id)]
    return status, [*headers, ("Content-Length", str(len(body)))], body


__all__ = ["HttpApi", "HttpApiSpec"]
