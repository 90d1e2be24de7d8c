"""Partner events worker: applies each once, whatever the order or number of deliveries.

The webhooks function invokes it asynchronously with one event; a raise makes Lambda retry it (twice),
then send it to the PartnerEvents queue, whose messages come back here in batches (partial batch
failures, the dead-letter queue after three receives). A message is the event as queued before these
invocations, or the record Lambda sent on failure, the event in its `requestPayload`.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from oms.coldstart import loading

with loading():
    from oms import bootstrap, invocations
    from oms.domain.messages import PartnerEvent
    from oms.observability import logger, metrics, problem_code, tracer
    from oms.services import partner_events
    from oms.store import config as config_store

# A batch whose every record failed is answered like any other (each record back to the queue) rather
# than raised: on Lambda a raise is an ERROR with a stack for what is usually an event come early.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class PoisonMessage(Exception):
    """A message no retry can fix: it fails until it lands in the dead-letter queue."""


class Envelope(BaseModel):
    partner_id: str
    event: PartnerEvent
    received_at: str | None = None
    correlation_id: str | None = None  # the webhook request's (a queued message had it as an attribute)


def record_handler(record: SQSRecord) -> None:
    try:
        document = invocations.unwrapped(json.loads(record.body))
    except ValueError as error:
        _poison(record.message_id, error)
    attribute = record.message_attributes["correlation_id"]  # the wrapped value, or None
    correlation_id = _correlation_id(document) or (attribute.string_value if attribute else None)
    apply(document, correlation_id or record.message_id, record.message_id)


def apply(document: Any, correlation_id: str, source_id: str) -> None:
    """Apply one event; raise when it should come again (a retry, the queue), return when it is done."""
    # The webhook request's correlation id: kept for this event's logs and for any phase it starts.
    logger.set_correlation_id(correlation_id)
    try:
        envelope = Envelope.model_validate(document)
    except ValidationError as error:
        _poison(source_id, error)
    partner = config_store.get_partner(envelope.partner_id)
    if partner is None:  # removed since the webhook took the event: no one's word to act on
        logger.info("partner event ignored", extra={"event_id": envelope.event.id, "code": "unknown_partner"})
        return
    try:
        outcome = partner_events.apply(bootstrap.aws(), partner, envelope.event)
    except Exception as error:
        code = problem_code(error)
        if code is None:
            raise  # our bug: Powertools logs it with its stack, and it is retried
        # Expected (an event before its turn, a lost race): one line; it is delivered again later.
        order_id = envelope.event.data.get("order_id")
        logger.info(
            "partner event not applied yet", extra={"event_id": envelope.event.id, "code": code, "order_id": order_id}
        )
        raise
    logger.info(
        "partner event",
        extra={"event_id": envelope.event.id, "type": envelope.event.type, "outcome": outcome},
    )


def _correlation_id(document: Any) -> str | None:
    value = document.get("correlation_id") if isinstance(document, dict) else None
    return value if isinstance(value, str) and value else None


def _poison(source_id: str, error: Exception) -> NoReturn:
    metrics.add_metric(name="PartnerEventPoison", unit="Count", value=1)
    raise PoisonMessage(f"message {source_id} is not a partner event: {error}") from error


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | None:
    if invocations.is_queue_batch(event):
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    apply(event, _correlation_id(event) or context.aws_request_id, context.aws_request_id)
    return None
