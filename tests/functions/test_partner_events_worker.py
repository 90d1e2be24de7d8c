"""The partner-events worker on moto: an event that came before its turn goes back to the queue with one
INFO line, never a raised batch (an ERROR with a stack on Lambda)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from functions.partner_events import handler as worker
from oms import bootstrap
from oms.domain.partners import Partner
from oms.observability import problem_code
from oms.services.checkout import place_order
from oms.store import config
from tests.functions.conftest import MORNING, body


def record(message_id: str, partner_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": json.dumps({"partner_id": partner_id, "event": event}),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {"correlation_id": {"stringValue": "req-1", "dataType": "String"}},
        "eventSource": "aws:sqs",
    }


def too_early(event_id: str) -> tuple[Any, dict[str, Any]]:
    """An order just placed, and its carrier's `shipment.delivered`: before it was even packed."""
    config.put_partner(Partner("carrier", "Carrier", frozenset({"carrier"})))
    order = place_order(bootstrap.aws(MORNING), body({"A": 1}), "sf-1", "k").order
    delivered = {
        "id": event_id,
        "type": "shipment.delivered",
        "occurred_at": "2026-03-02T01:00:00Z",
        "data": {"order_id": order.order_id, "shipment_id": order.shipments[0].shipment_id},
    }
    return order, delivered


@pytest.mark.usefixtures("network")
def test_an_event_before_its_turn_goes_back_to_the_queue_with_one_info_line(
    lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    order, delivered = too_early("evt_1")

    with caplog.at_level(logging.INFO):
        answer = worker.handler({"Records": [record("m-1", "carrier", delivered)]}, lambda_context)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    lines = [r for r in caplog.records if r.getMessage() == "partner event not applied yet"]
    assert [(r.levelname, getattr(r, "code", None), getattr(r, "order_id", None)) for r in lines] == [
        ("INFO", "not_yet", order.order_id)
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def failure_record(payload: dict[str, Any]) -> dict[str, Any]:
    """What Lambda sends to the PartnerEvents queue once its retries of an invocation are spent."""
    return {
        "version": "1.0",
        "timestamp": "2026-03-02T01:03:00.000Z",
        "requestContext": {
            "requestId": "inv-1",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:partner-events:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "not yet", "errorType": "NotYet"},
    }


@pytest.mark.usefixtures("network")
def test_an_event_invoked_directly_raises_to_be_retried_and_its_failure_record_is_read_from_the_queue(
    lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, delivered = too_early("evt_2")
    payload = {
        "partner_id": "carrier",
        "event": delivered,
        "correlation_id": "req-9",
        "event_type": "shipment.delivered",
    }

    # As the webhooks function hands it on: a raise is what makes Lambda retry it, then queue it.
    with caplog.at_level(logging.INFO), pytest.raises(Exception) as raised:  # noqa: PT011 - the service's own error
        worker.handler(payload, lambda_context)
    assert problem_code(raised.value) == "not_yet"

    # After Lambda's retries: the failure record on the queue, the event in its requestPayload.
    caplog.clear()
    message = {
        **record("m-2", "carrier", delivered),
        "body": json.dumps(failure_record(payload)),
        "messageAttributes": {},
    }
    with caplog.at_level(logging.INFO):
        answer = worker.handler({"Records": [message]}, lambda_context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    [line] = [r for r in caplog.records if r.getMessage() == "partner event not applied yet"]
    assert getattr(line, "event_id", None) == "evt_2"
    assert worker.logger.get_correlation_id() == "req-9"  # the webhook request's, carried in the payload
