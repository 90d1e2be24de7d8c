"""The local API Gateway over a real socket: routing, proxy events, the Lambda authorizer, failures."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from local.gateway import AuthorizerSpec, Gateway, GatewayResponseSpec, LambdaCrash, Route, serve

REGION, ACCOUNT, API, STAGE = "eu-west-1", "123456789012", "abc123", "prod"
ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API}/{STAGE}"
TOKEN = AuthorizerSpec(function="authorizer", type="TOKEN", identity_header="Authorization", ttl_seconds=300)
REQUEST = AuthorizerSpec(function="request-authorizer", type="REQUEST", identity_header="X-Key", ttl_seconds=0)

ROUTES = [
    Route("GET", "/health", "api", None),
    Route("GET", "/v1/orders", "api", TOKEN),
    Route("POST", "/v1/orders", "api", TOKEN),
    Route("GET", "/v1/orders/{order_id}", "api", TOKEN),
    Route("GET", "/v1/orders/export", "export", TOKEN),
    Route("POST", "/v1/orders/{order_id}/cancel", "api", TOKEN),
    Route("GET", "/v1/admin/locations", "api", TOKEN),
    Route("POST", "/v1/webhooks/{partner_id}", "webhooks", None),
    Route("ANY", "/files/{path+}", "files", None),
    Route("GET", "/partners", "api", REQUEST),
]

PROBLEM_404 = GatewayResponseSpec(
    status=404,
    headers={"Content-Type": "application/problem+json"},
    template='{"code":"not_found","detail":$context.error.messageString,"request_id":"$context.requestId",'
    '"path":"$context.path"}',
)


def policy(effect_by_resource: dict[str, str], **context: Any) -> dict[str, Any]:
    statements = [
        {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}
        for resource, effect in effect_by_resource.items()
    ]
    return {
        "principalId": "key-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": statements},
        **context,
    }


def token_authorizer(event: dict[str, Any]) -> Any:
    token = event["authorizationToken"]
    if token == "admin":
        return policy({f"{ARN}/*/*": "Allow"}, context={"role": "admin", "key_id": "k-admin"})
    if token == "storefront":
        return policy(
            {f"{ARN}/*/*": "Allow", f"{ARN}/*/v1/admin/*": "Deny"},
            context={"role": "storefront", "storefront_id": "sf-1", "key_id": "k-1", "rank": 3, "vip": True},
        )
    if token == "orders-only":
        return policy({f"{ARN}/GET/v1/orders": "Allow"})
    if token == "crash":
        raise LambdaCrash("KeyError: 'pk'")
    if token == "nonsense":
        return {"allowed": True}
    raise LambdaCrash("Unauthorized")


def ok(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"ok": True}),
    }


@dataclass
class Functions:
    """Fake invoke: records every event and answers with the handler set for the function."""

    handlers: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, key: str, event: dict[str, Any]) -> Any:
        self.calls.append((key, event))
        return self.handlers.get(key, ok)(event)

    def events(self, key: str) -> list[dict[str, Any]]:
        return [event for name, event in self.calls if name == key]


@dataclass
class Clock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Stack:
    url: str
    functions: Functions
    clock: Clock
    gateway: Gateway


@pytest.fixture
def start() -> Iterator[Callable[..., Stack]]:
    servers = []

    def start_stack(responses: dict[str, GatewayResponseSpec] | None = None, max_body_bytes: int = 4096) -> Stack:
        functions = Functions(handlers={"authorizer": token_authorizer})
        clock = Clock()
        gateway = Gateway(
            rest_api_id=API,
            stage=STAGE,
            region=REGION,
            account_id=ACCOUNT,
            routes=ROUTES,
            gateway_responses=responses or {},
            invoke=functions,
            clock=clock,
            max_body_bytes=max_body_bytes,
        )
        server = serve(gateway, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return Stack(f"http://127.0.0.1:{server.server_address[1]}", functions, clock, gateway)

    yield start_stack
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stack(start: Callable[..., Stack]) -> Stack:
    return start()


def get(stack: Stack, path: str, key: str | None = "admin", **kwargs: Any) -> requests.Response:
    headers = {"Authorization": key} if key else {}
    return requests.get(stack.url + path, headers=headers, timeout=5, **kwargs)


def raw_request(stack: Stack, data: bytes) -> bytes:
    host, port = stack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# -- routing and the proxy event ------------------------------------------------------------------


def test_path_parameters_and_multi_value_query_strings_reach_the_event(stack: Stack) -> None:
    response = get(stack, "/v1/orders/ord%20123?status=open&status=held&limit=5&q=a+b")

    assert response.status_code == 200
    (event,) = stack.functions.events("api")
    assert event["resource"] == "/v1/orders/{order_id}"
    assert event["path"] == "/v1/orders/ord%20123"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"order_id": "ord 123"}
    assert event["queryStringParameters"] == {"status": "held", "limit": "5", "q": "a b"}
    assert event["multiValueQueryStringParameters"] == {
        "status": ["open", "held"],
        "limit": ["5"],
        "q": ["a b"],
    }


def test_the_event_has_the_keys_and_request_context_api_gateway_sends(stack: Stack) -> None:
    response = requests.get(stack.url + "/health", headers={"User-Agent": "probe/1", "X-Trace": "a"}, timeout=5)

    (event,) = stack.functions.events("api")
    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    assert event["headers"]["X-Trace"] == "a"
    assert event["multiValueHeaders"]["X-Trace"] == ["a"]
    context = event["requestContext"]
    assert context["accountId"] == ACCOUNT
    assert context["apiId"] == API
    assert context["stage"] == STAGE
    assert context["path"] == "/health"
    assert context["resourcePath"] == "/health"
    assert context["httpMethod"] == "GET"
    assert context["protocol"] == "HTTP/1.1"
    assert context["domainName"] == "127.0.0.1"
    assert context["requestTimeEpoch"] == 1_700_000_000_000
    assert context["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "probe/1"
    assert "authorizer" not in context  # the route has no authorizer
    assert response.headers["x-amzn-RequestId"] == context["requestId"]
    assert response.headers["Content-Length"] == str(len(response.content))


def test_a_literal_segment_beats_a_path_parameter(stack: Stack) -> None:
    assert get(stack, "/v1/orders/export").status_code == 200
    assert get(stack, "/v1/orders/ord-1").status_code == 200

    assert [e["resource"] for e in stack.functions.events("export")] == ["/v1/orders/export"]
    assert [e["pathParameters"] for e in stack.functions.events("api")] == [{"order_id": "ord-1"}]


def test_a_greedy_parameter_takes_the_rest_of_the_path_for_any_method(stack: Stack) -> None:
    assert requests.delete(stack.url + "/files/a/b%20c/d.txt", timeout=5).status_code == 200

    (event,) = stack.functions.events("files")
    assert event["resource"] == "/files/{path+}"
    assert event["httpMethod"] == "DELETE"
    assert event["pathParameters"] == {"path": "a/b c/d.txt"}


def test_a_trailing_slash_routes_like_the_path_without_it(stack: Stack) -> None:
    assert get(stack, "/v1/orders/").status_code == 200
    assert stack.functions.events("api")[0]["resource"] == "/v1/orders"


def test_an_unknown_path_gets_the_missing_authentication_token_response(stack: Stack) -> None:
    response = get(stack, "/v2/nothing")

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert stack.functions.calls == []


def test_a_method_the_resource_does_not_have_is_a_missing_token_even_for_head(stack: Stack) -> None:
    assert requests.delete(stack.url + "/v1/orders", timeout=5).status_code == 403
    assert requests.head(stack.url + "/health", timeout=5).status_code == 403
    assert requests.options(stack.url + "/health", timeout=5).status_code == 403
    assert stack.functions.calls == []


def test_a_customised_missing_token_response_renders_its_template(start: Callable[..., Stack]) -> None:
    stack = start({"MISSING_AUTHENTICATION_TOKEN": PROBLEM_404})

    response = get(stack, "/v2/nothing")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "code": "not_found",
        "detail": "Missing Authentication Token",
        "request_id": response.headers["x-amzn-RequestId"],
        "path": "/v2/nothing",
    }


# -- the Lambda authorizer ----------------------------------------------------------------------


def test_a_missing_token_is_401_without_invoking_the_authorizer(stack: Stack) -> None:
    response = get(stack, "/v1/orders", key=None)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert stack.functions.calls == []


def test_the_authorizer_gets_the_token_and_the_method_arn(stack: Stack) -> None:
    get(stack, "/v1/orders/ord-1", key="admin")

    (event,) = stack.functions.events("authorizer")
    assert event == {
        "type": "TOKEN",
        "authorizationToken": "admin",
        "methodArn": f"{ARN}/GET/v1/orders/ord-1",
    }


def test_an_authorizer_raising_unauthorized_is_401(stack: Stack) -> None:
    response = get(stack, "/v1/orders", key="revoked-key")

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert stack.functions.events("api") == []


def test_a_crashing_or_nonsensical_authorizer_is_an_authorizer_failure(stack: Stack) -> None:
    assert get(stack, "/v1/orders", key="crash").status_code == 500
    assert get(stack, "/v1/orders", key="nonsense").status_code == 500
    assert stack.functions.events("api") == []


def test_an_explicit_deny_is_403(stack: Stack) -> None:
    response = get(stack, "/v1/admin/locations", key="storefront")

    assert response.status_code == 403
    assert response.json() == {"message": "User is not authorized to access this resource with an explicit deny"}
    assert stack.functions.events("api") == []


def test_a_policy_without_a_matching_allow_is_403(stack: Stack) -> None:
    response = get(stack, "/v1/orders/ord-1", key="orders-only")

    assert response.status_code == 403
    assert response.json() == {"message": "User is not authorized to access this resource"}


def test_the_policy_is_cached_per_token_within_the_ttl(stack: Stack) -> None:
    assert get(stack, "/v1/orders", key="storefront").status_code == 200
    assert get(stack, "/v1/orders/ord-1", key="storefront").status_code == 200
    assert len(stack.functions.events("authorizer")) == 1

    stack.clock.now += 301
    assert get(stack, "/v1/orders", key="storefront").status_code == 200
    assert len(stack.functions.events("authorizer")) == 2


def test_the_cached_policy_is_evaluated_against_each_new_method_arn(stack: Stack) -> None:
    assert get(stack, "/v1/orders", key="storefront").status_code == 200
    assert get(stack, "/v1/admin/locations", key="storefront").status_code == 403
    assert len(stack.functions.events("authorizer")) == 1


def test_the_authorizer_context_reaches_the_handler_as_strings(stack: Stack) -> None:
    get(stack, "/v1/orders", key="storefront")

    (event,) = stack.functions.events("api")
    authorizer = event["requestContext"]["authorizer"]
    assert isinstance(authorizer.pop("integrationLatency"), int)
    assert authorizer == {
        "principalId": "key-1",
        "role": "storefront",
        "storefront_id": "sf-1",
        "key_id": "k-1",
        "rank": "3",
        "vip": "true",
    }


def test_a_request_authorizer_gets_headers_query_and_method_arn(stack: Stack) -> None:
    stack.functions.handlers["request-authorizer"] = lambda event: policy({f"{ARN}/GET/partners": "Allow"})

    assert requests.get(stack.url + "/partners?page=2", headers={"X-Key": "k"}, timeout=5).status_code == 200
    assert requests.get(stack.url + "/partners", timeout=5).status_code == 401

    (event,) = stack.functions.events("request-authorizer")
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == f"{ARN}/GET/partners"
    assert event["headers"]["X-Key"] == "k"
    assert event["queryStringParameters"] == {"page": "2"}
    assert event["requestContext"]["resourcePath"] == "/partners"


# -- the integration ------------------------------------------------------------------------------


def test_a_crashing_handler_is_502_and_the_server_answers_the_next_request(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(event: dict[str, Any]) -> Any:
        raise LambdaCrash("ZeroDivisionError: division by zero")

    stack.functions.handlers["webhooks"] = crash
    with caplog.at_level(logging.ERROR, logger="oms.local.gateway"):
        response = requests.post(stack.url + "/v1/webhooks/acme", data=b"{}", timeout=5)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    assert any(r.name == "oms.local.gateway" and r.exc_info for r in caplog.records)
    assert get(stack, "/health", key=None).status_code == 200


@pytest.mark.parametrize(
    "answer",
    [
        None,
        "ok",
        {"body": "no status"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "", "unexpected": 1},
        {"statusCode": 200, "headers": {"X-Bad": "a\r\nInjected: 1"}},
        {"statusCode": 200, "isBase64Encoded": True, "body": "not base64!"},
    ],
)
def test_a_malformed_handler_response_is_502(stack: Stack, answer: Any) -> None:
    stack.functions.handlers["webhooks"] = lambda event: answer

    response = requests.post(stack.url + "/v1/webhooks/acme", timeout=5)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_a_customised_default_5xx_answers_a_crash(start: Callable[..., Stack]) -> None:
    upstream = GatewayResponseSpec(502, {"Content-Type": "application/problem+json"}, '{"code":"upstream_error"}')
    stack = start({"DEFAULT_5XX": upstream})
    stack.functions.handlers["webhooks"] = lambda event: {"oops": True}

    response = requests.post(stack.url + "/v1/webhooks/acme", timeout=5)

    assert response.status_code == 502
    assert response.json() == {"code": "upstream_error"}


def test_a_bug_inside_the_gateway_is_502_and_the_server_keeps_serving(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(stack.gateway, "_integrate", broken)
    assert get(stack, "/health", key=None).status_code == 502
    monkeypatch.undo()
    assert get(stack, "/health", key=None).status_code == 200


def test_handler_headers_status_and_binary_bodies_reach_the_client(stack: Stack) -> None:
    stack.functions.handlers["webhooks"] = lambda event: {
        "statusCode": 201,
        "headers": {"Location": "/v1/orders/1", "Content-Type": "image/png"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(b"\x89PNG\x00\xff").decode(),
        "isBase64Encoded": True,
    }

    response = requests.post(stack.url + "/v1/webhooks/acme", timeout=5)

    assert response.status_code == 201
    assert response.headers["Location"] == "/v1/orders/1"
    assert response.headers["Content-Type"] == "image/png"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.content == b"\x89PNG\x00\xff"


# -- request bodies -------------------------------------------------------------------------------


def test_a_utf8_body_arrives_as_text(stack: Stack) -> None:
    requests.post(stack.url + "/v1/webhooks/acme", data='{"name":"Zoë"}'.encode(), timeout=5)

    (event,) = stack.functions.events("webhooks")
    assert event["body"] == '{"name":"Zoë"}'
    assert event["isBase64Encoded"] is False


def test_a_non_utf8_body_arrives_base64_encoded(stack: Stack) -> None:
    requests.post(stack.url + "/v1/webhooks/acme", data=b"\xff\xfe\x00binary", timeout=5)

    (event,) = stack.functions.events("webhooks")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe\x00binary"


def test_a_chunked_body_is_decoded(stack: Stack) -> None:
    requests.post(stack.url + "/v1/webhooks/acme", data=iter([b'{"a":', b"1}"]), timeout=5)

    (event,) = stack.functions.events("webhooks")
    assert event["body"] == '{"a":1}'


def test_a_body_over_the_limit_is_413_without_invoking(stack: Stack) -> None:
    too_big = b"x" * 5000

    assert requests.post(stack.url + "/v1/webhooks/acme", data=too_big, timeout=5).status_code == 413
    chunked = requests.post(stack.url + "/v1/webhooks/acme", data=iter([too_big[:3000], too_big[3000:]]), timeout=5)
    assert chunked.status_code == 413
    assert stack.functions.calls == []


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /health HTTP/2.0\r\n\r\n",
        b"BREW /health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/webhooks/a HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"POST /v1/webhooks/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"garbage\r\n\r\n",
    ],
)
def test_malformed_http_is_never_answered_with_a_5xx(stack: Stack, request_bytes: bytes) -> None:
    answer = raw_request(stack, request_bytes)

    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500
    assert get(stack, "/health", key=None).status_code == 200


# -- the server -----------------------------------------------------------------------------------


def test_a_busy_port_raises_an_oserror_naming_the_port(stack: Stack) -> None:
    port = int(stack.url.rsplit(":", 1)[1])

    with pytest.raises(OSError, match=f"port {port} is already in use"):
        serve(stack.gateway, "127.0.0.1", port)


def test_two_routes_for_the_same_method_and_resource_are_refused() -> None:
    with pytest.raises(ValueError, match="two routes"):
        Gateway(
            rest_api_id=API,
            stage=STAGE,
            region=REGION,
            account_id=ACCOUNT,
            routes=[Route("GET", "/a", "x", None), Route("GET", "/a/", "y", None)],
            gateway_responses={},
            invoke=Functions(),
        )
