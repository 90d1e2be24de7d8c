"""SQS worker: order and shipment events from the bus, delivered to each storefront's webhook, signed.

A storefront subscribes with `webhook_url` in its configuration and a signing secret in Secrets Manager
(`<prefix>storefronts/<storefront_id>`). A failed delivery fails its record: SQS redelivers it after the
visibility timeout, and after maxReceiveCount it waits in the dead-letter queue (alarmed).
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
    from oms.adapters.registry import signing_secrets
    from oms.adapters.signed_https import SignedJsonClient
    from oms.observability import logger, metrics, tracer
    from oms.store import config as config_store

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    event: dict[str, Any] = json.loads(record.body)  # an EventBridge event; a malformed one fails to the DLQ
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
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
