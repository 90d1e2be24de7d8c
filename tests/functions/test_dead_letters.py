"""Operators read the dead-letter queues without emptying them, and send their messages round again."""

from __future__ import annotations

import json
import os

import boto3

from oms.store import dead_letters
from tests.functions.conftest import AwsStack


def test_a_dead_letter_is_read_in_place_then_redriven_to_its_queue_with_its_attributes(aws_stack: AwsStack) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = os.environ["OMS_PARTNER_EVENTS_DLQ_URL"]
    body = {"partner_id": "warehouse", "event": {"id": "evt_1", "type": "shipment.delivered"}}
    sqs.send_message(
        QueueUrl=dlq,
        MessageBody=json.dumps(body),
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "req-1"}},
    )

    seen = dead_letters.peek("partner-events")
    assert (seen["depth"], [m["body"] for m in seen["messages"]]) == (1, [body])
    assert dead_letters.peek("partner-events")["depth"] == 1  # reading is not taking
    assert dead_letters.peek("notifications") == {"queue": "notifications", "depth": 0, "messages": []}

    assert dead_letters.redrive("partner-events") == 1

    assert dead_letters.peek("partner-events")["depth"] == 0
    [message] = aws_stack.queued(aws_stack.partner_events_queue_url)
    assert json.loads(message["Body"]) == body
    assert message["MessageAttributes"]["correlation_id"]["StringValue"] == "req-1"
    assert dead_letters.redrive("partner-events") == 0
