"""SQS worker: applies partner events once each, whatever the order or number of deliveries."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from oms.coldstart import loading

with loading():
    from oms import bootstrap
    from oms.domain.messages import PartnerEvent
    from oms.observability import logger, metrics, problem_code, tracer
    from oms.services import partner_events
    from oms.store import config as config_store

# A batch whose every record failed is answered like any other (each record back to the queue) rather
# than raised: on Lambda a raise is an ERROR with a stack for what is usually an event come early.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class PoisonMessage(Exception):
    """A message no retry can fix: it fails until SQS moves it to the dead-letter queue."""


class Envelope(BaseModel):
    partner_id: str
    event: PartnerEvent
    received_at: str | None = None


def record_handler(record: SQSRecord) -> None:
    # The webhook request's correlation id rode along as a message attribute: keep it for this event's
    # logs and for any phase the event starts.
    attribute = record.message_attributes["correlation_id"]  # the wrapped value, or None
    logger.set_correlation_id(attribute.string_value if attribute else record.message_id)
    try:
        envelope = Envelope.model_validate(json.loads(record.body))
    except (ValueError, ValidationError) as error:
        metrics.add_metric(name="PartnerEventPoison", unit="Count", value=1)
        raise PoisonMessage(f"message {record.message_id} is not a partner event: {error}") from error
    partner = config_store.get_partner(envelope.partner_id)
    if partner is None:  # removed since the webhook took the event: no one's word to act on
        logger.info("partner event ignored", extra={"event_id": envelope.event.id, "code": "unknown_partner"})
        return
    try:
        outcome = partner_events.apply(bootstrap.aws(), partner, envelope.event)
    except Exception as error:
        code = problem_code(error)
        if code is None:
            raise  # our bug: Powertools logs it with its stack, and SQS retries it
        # Expected (an event before its turn, a lost race): one line; SQS delivers it again later.
        order_id = envelope.event.data.get("order_id")
        logger.info(
            "partner event not applied yet", extra={"event_id": envelope.event.id, "code": code, "order_id": order_id}
        )
        raise
    logger.info(
        "partner event",
        extra={"event_id": envelope.event.id, "type": envelope.event.type, "outcome": outcome},
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
