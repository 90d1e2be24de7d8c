"""Order and shipment events from the bus, delivered to each storefront's webhook, signed.

A storefront subscribes with `webhook_url` in its configuration and a signing secret in Secrets Manager
(`<prefix>storefronts/<storefront_id>`). EventBridge invokes this function with each event
(asynchronously): a failed delivery raises, so Lambda retries it twice, then sends it to the
Notifications queue (on-failure destination). Messages of that queue come back here in batches: a
failed one returns to the queue, and after maxReceiveCount it waits in the dead-letter queue (alarmed).
A message is an event EventBridge queued before these invocations, or Lambda's failure record, the
event in its `requestPayload`. Every failure to deliver is retried (a 4xx too: a storefront's broken
endpoint is fixed and the dead letters redriven); only an event for no subscription is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.coldstart import loading

with loading():
    from oms import invocations
    from oms.adapters.registry import signing_secrets
    from oms.adapters.signed_https import SignedJsonClient
    from oms.observability import logger, metrics, tracer
    from oms.store import config as config_store

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    # An EventBridge event, bare or in a failure record; a malformed one fails to the DLQ.
    deliver(invocations.unwrapped(json.loads(record.body)))


def deliver(event: dict[str, Any]) -> None:
    """Sign and POST one event to its storefront's webhook; raise when it was not delivered."""
    detail = event["detail"]
    storefront = config_store.get_storefront(str(detail.get("storefront_id", "")))
    url = (storefront.config.get("webhook_url") if storefront else None) or ""
    if not storefront or not url:
        logger.debug("no subscription", extra={"detail_type": event["detail-type"]})
        return
    client = SignedJsonClient(
        storefront.storefront_id, url, signing_secrets("storefronts", storefront.storefront_id)[0]
    )
    client.send(event["detail-type"], event["id"], event["id"], detail)
    metrics.add_metric(name="WebhooksDelivered", unit="Count", value=1)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | None:
    if invocations.is_queue_batch(event):
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    deliver(event)  # from EventBridge: a raise is Lambda's to retry
    return None
