"""The one place that turns errors and bad requests into RFC 9457 problem responses."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from oms import json_bounds
from oms.domain.errors import OmsError, error_problem, problem
from oms.observability import metrics
from oms.settings import settings

PROBLEM_JSON = "application/problem+json"
_BODY_METHODS = {"POST", "PUT", "PATCH"}

E = TypeVar("E", bound=Exception)
ErrorHandler = Callable[[E], Response[str]]


def respond(status: int, code: str, title: str, detail: str, **extra: Any) -> Response[str]:
    return Response(
        status_code=status,
        content_type=PROBLEM_JSON,
        body=json.dumps(problem(status, code, title, detail, **extra)),
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"


def _on(app: APIGatewayRestResolver, error_class: type[E]) -> Callable[[ErrorHandler[E]], ErrorHandler[E]]:
    """`app.exception_handler`, typed: Powertools leaves the decorator it returns unannotated."""
    register: Callable[[ErrorHandler[E]], ErrorHandler[E]] = app.exception_handler(error_class)
    return register


def install(app: APIGatewayRestResolver) -> None:
    @_on(app, OmsError)
    def _domain_error(error: OmsError) -> Response[str]:
        if error.status == 409:
            metrics.add_metric(name=f"Refused_{error.code}", unit="Count", value=1)
        return Response(status_code=error.status, content_type=PROBLEM_JSON, body=json.dumps(error_problem(error)))

    @_on(app, RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        errors = [
            {"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid"), "type": e.get("type", "")}
            for e in error.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            return respond(400, "invalid_json", "Malformed JSON", "the request body is not valid JSON")
        return respond(
            422,
            "validation_error",
            "Invalid request",
            f"{len(errors)} field(s) are invalid: " + ", ".join(e["field"] for e in errors),
            errors=errors,
        )

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return respond(404, "not_found", "Not found", "no such resource")


def refuse_unreadable_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """A proxy response refusing what no route should parse (wrong media type, oversize, non-UTF-8 or
    malformed JSON), or None. Runs before routing: Powertools validates bodies before any middleware."""
    method, body = event.get("httpMethod", ""), event.get("body")
    if method not in _BODY_METHODS or body is None:
        return None
    problem_reply = _check(body, bool(event.get("isBase64Encoded")), event.get("headers") or {})
    if problem_reply is None:
        if event.get("isBase64Encoded"):
            # Hand the routes the decoded text so body parsing sees plain JSON.
            event["body"], event["isBase64Encoded"] = base64.b64decode(body).decode("utf-8"), False
        return None
    status, code, title, detail, extra = problem_reply
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM_JSON},
        "body": json.dumps(problem(status, code, title, detail, **extra)),
        "isBase64Encoded": False,
    }


def _check(body: str, is_base64: bool, headers: dict[str, str]) -> tuple[int, str, str, str, dict[str, Any]] | None:
    try:
        raw = base64.b64decode(body, validate=True) if is_base64 else body.encode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):
        return 400, "invalid_encoding", "Invalid body encoding", "the body could not be decoded", {}
    limit = settings().max_body_bytes
    if len(raw) > limit:
        return 413, "payload_too_large", "Payload too large", f"the body is over {limit} bytes", {"limit": limit}
    media_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "").split(";")[0].strip().lower()
    if raw and not (media_type == "application/json" or media_type.endswith("+json")):
        return 415, "unsupported_media_type", "Unsupported media type", "send the body as application/json", {}
    try:
        raw.decode("utf-8")
        json_bounds.loads(raw)
    except UnicodeDecodeError:
        return 400, "invalid_encoding", "Invalid body encoding", "the body is not UTF-8", {}
    except json_bounds.JsonOutOfBounds as error:
        return 400, "json_out_of_bounds", "JSON out of bounds", str(error), {"max_depth": json_bounds.MAX_DEPTH}
    except ValueError:
        return 400, "invalid_json", "Malformed JSON", "the request body is not valid JSON", {}
    return None
