"""The one place that turns errors and bad requests into RFC 9457 problem responses."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from oms.errors import OmsError, error_problem, problem
from oms.observability import logger, metrics
from oms.settings import settings

PROBLEM_JSON = "application/problem+json"
_BODY_METHODS = {"POST", "PUT", "PATCH"}


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


def install(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(OmsError)
    def _domain_error(error: OmsError) -> Response[str]:
        if error.status == 409:
            metrics.add_metric(name=f"Refused_{error.code}", unit="Count", value=1)
        return Response(status_code=error.status, content_type=PROBLEM_JSON, body=json.dumps(error_problem(error)))

    @app.exception_handler(RequestValidationError)
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

    app.use(middlewares=[_check_body])


def _check_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Refuse what no route should ever parse: wrong media type, oversize, non-UTF-8 or malformed JSON."""
    event = app.current_event
    if event.http_method not in _BODY_METHODS or event.body is None:
        return next_middleware(app)
    raw: bytes
    try:
        raw = base64.b64decode(event.body, validate=True) if event.is_base64_encoded else event.body.encode()
    except (binascii.Error, ValueError):
        return respond(400, "invalid_encoding", "Invalid body encoding", "the body could not be decoded")
    limit = settings().max_body_bytes
    if len(raw) > limit:
        return respond(413, "payload_too_large", "Payload too large", f"the body is over {limit} bytes", limit=limit)
    media_type = (event.headers.get("content-type") or event.headers.get("Content-Type") or "").split(";")[0]
    if raw and not (media_type.strip().lower() == "application/json" or media_type.strip().lower().endswith("+json")):
        return respond(415, "unsupported_media_type", "Unsupported media type", "send the body as application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return respond(400, "invalid_encoding", "Invalid body encoding", "the body is not UTF-8")
    try:
        json.loads(text)
    except ValueError:
        return respond(400, "invalid_json", "Malformed JSON", "the request body is not valid JSON")
    if event.is_base64_encoded:
        # Hand the routes the decoded text so body parsing sees plain JSON.
        event.raw_event["body"], event.raw_event["isBase64Encoded"] = text, False
    logger.debug("body accepted", extra={"bytes": len(raw)})
    return next_middleware(app)
