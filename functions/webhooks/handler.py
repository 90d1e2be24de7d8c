"""Partner ingress: check who sent it and that it is signed, check the envelope, hand it on, answer 202.

Nothing here applies the event. The partner_events worker does, idempotently (one record per
partner and event id), so a partner's retry, or the same event handed on twice, has no second effect:
this function may accept a duplicate and needs no lock or lookup of its own. The hand-off is an
asynchronous invocation of the worker: Lambda has stored the event durably before it answers, retries
it, and then sends it to the PartnerEvents queue, so the 202 is given only for an event that is kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, NoReturn

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from oms.coldstart import loading

with loading():
    import oms.clock
    from oms import aws, json_bounds, signing
    from oms.adapters import registry
    from oms.clock import rfc3339
    from oms.domain.errors import OmsError, error_problem
    from oms.domain.messages import PartnerEvent, locations_named, payload_model
    from oms.observability import logger, metrics
    from oms.settings import settings
    from oms.store import config

_PARTNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
# Lambda refuses an asynchronous invocation above 256 KiB. An event the worker fails on for good goes to
# the PartnerEvents queue (256 KiB too) wrapped in Lambda's failure record (request and response context,
# the error): room is kept for that record, so an event accepted here always fits on the queue. An event
# that would not is refused with a 413 instead of failing the invocation with a 5xx.
ASYNC_MAX_PAYLOAD_BYTES = 262_144
FAILURE_RECORD_RESERVE_BYTES = 8_192
MAX_HANDOFF_BYTES = ASYNC_MAX_PAYLOAD_BYTES - FAILURE_RECORD_RESERVE_BYTES

JSON_TYPE = "application/json"
PROBLEM_TYPE = "application/problem+json"


class UnknownPartner(OmsError):
    status, code, title = 401, "unknown_partner", "Unknown partner"


class PayloadTooLarge(OmsError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class OutOfScope(OmsError):
    status, code, title = 403, "partner_out_of_scope", "Partner out of scope"


class InvalidEvent(OmsError):
    status, code, title = 400, "invalid_event", "Invalid event"


# log_event=False: bodies carry customer data; clear_state: keys of one request never leak to the next.
@logger.inject_lambda_context(log_event=False, clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = APIGatewayProxyEvent(event)
    partner_id = request.path_parameters.get("partner_id") or ""
    try:
        accepted = _accept(request, partner_id, _correlation_id(context))
    except OmsError as error:
        reason = getattr(error, "reason", None)
        logger.warning("webhook refused", extra={"code": error.code, "reason": reason})
        # One metric per refusal code: a burst of signature_invalid is an attack or a rotated secret.
        metrics.add_metric(name=f"WebhookRejected_{error.code}", unit="Count", value=1)
        return _response(error.status, error_problem(error), PROBLEM_TYPE)
    logger.info("webhook accepted", extra={"event_id": accepted.id, "event_type": accepted.type})
    metrics.add_metric(name="WebhookAccepted", unit="Count", value=1)
    return _response(202, {"accepted": True, "id": accepted.id}, JSON_TYPE)


def _accept(request: APIGatewayProxyEvent, partner_id: str, correlation_id: str) -> PartnerEvent:
    partner = config.get_partner(partner_id) if _PARTNER_ID.match(partner_id) else None
    if partner is None:
        raise UnknownPartner(f"no partner is registered as {partner_id[:64]!r}")
    logger.append_keys(partner_id=partner_id)
    raw = _raw_body(request)
    _verify(partner_id, request.headers.get(signing.SIGNATURE_HEADER), raw)
    event, document = _parse(raw)
    # What the partner's record decides needs no worker: its roles, and the locations the event names.
    # (Which location a shipment ships from only the worker knows; it refuses on the order's timeline.)
    refusal = partner.refusal(event.type, locations_named(event))
    if refusal:
        raise OutOfScope(refusal)
    _hand_off(partner_id, document, event, correlation_id)
    return event


def _raw_body(request: APIGatewayProxyEvent) -> bytes:
    """The body exactly as the partner sent it: the signature covers these bytes."""
    limit = settings().max_body_bytes
    body = request.body or ""
    if request.is_base64_encoded:
        if len(body) > (limit // 3 + 1) * 4:
            _too_large(limit)
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidEvent("the body is marked base64-encoded but is not valid base64") from None
    else:
        # surrogatepass: a body that is not valid text still becomes bytes (and then fails the signature)
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > limit:
        _too_large(limit)
    return raw


def _too_large(limit: int) -> NoReturn:
    raise PayloadTooLarge(f"the body is larger than {limit} bytes")


def _verify(partner_id: str, header: str | None, raw: bytes) -> None:
    now = int(oms.clock.clock.now().timestamp())
    try:
        signing.verify(header, raw, registry.partner_secrets(partner_id), now)
    except signing.SignatureInvalid as error:
        if error.reason != "mismatch":
            raise
        # Perhaps the partner rotated its secret since we cached it: read it again (rate-limited).
        signing.verify(header, raw, registry.signing_secrets("partners", partner_id, fresh=True), now)


def _parse(raw: bytes) -> tuple[PartnerEvent, dict[str, Any]]:
    try:
        document = json_bounds.loads(raw)
    except json_bounds.JsonOutOfBounds as error:
        raise InvalidEvent(str(error)) from None
    except ValueError:  # JSONDecodeError, bad UTF-8
        raise InvalidEvent("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise InvalidEvent("the body must be a JSON object with id, type, occurred_at and data")
    try:
        event = PartnerEvent.model_validate(document)
        payload_model(event.type).model_validate(event.data)
    except ValidationError as error:
        fields = [
            {"field": ".".join(str(part) for part in issue["loc"]) or "body", "message": issue["msg"]}
            for issue in error.errors(include_url=False, include_input=False)
        ]
        names = ", ".join(sorted({f["field"] for f in fields}))
        raise InvalidEvent(f"the event is not valid: {names}", errors=fields) from None
    return event, document


def _hand_off(partner_id: str, document: dict[str, Any], event: PartnerEvent, correlation_id: str) -> None:
    received_at = rfc3339(oms.clock.clock.now())
    # ensure_ascii (the default): the payload is plain ASCII, so its length is its size in bytes.
    payload = json.dumps(
        {
            "partner_id": partner_id,
            "event": document,
            "received_at": received_at,
            # What rode along as SQS message attributes: the request's logs and the phases it starts.
            "correlation_id": correlation_id,
            "event_type": event.type,
        },
        separators=(",", ":"),
    )
    if len(payload) > MAX_HANDOFF_BYTES:
        raise PayloadTooLarge(f"the event is too large to hand on ({len(payload)} bytes once wrapped)")
    # InvocationType Event: Lambda answers 202 once the event is stored; the worker runs apart.
    aws.lambda_().invoke(
        FunctionName=settings().partner_events_function_name, InvocationType="Event", Payload=payload.encode()
    )


def _correlation_id(context: LambdaContext) -> str:
    return logger.get_correlation_id() or getattr(context, "aws_request_id", "") or "unknown"


def _response(status: int, body: dict[str, Any], content_type: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_type},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def clear_cache() -> None:
    """Forget cached partner secrets (tests; the local runtime after seeding)."""
    registry.clear_cache()
