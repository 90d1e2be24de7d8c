"""The dead-letter queues, as operators see them: what failed, and sending it round again.

Messages land here after their queue's maxReceiveCount deliveries failed (a partner event that can
never apply, a storefront webhook that kept failing). Reading one here does not remove it; a redrive
sends each message back to the queue it came from, body and attributes as they were, and only then
deletes it (so a failure in between leaves it in both: the consumers are idempotent).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from oms import aws
from oms.settings import settings

QueueName = Literal["partner-events", "notifications"]
QUEUES: tuple[QueueName, ...] = ("partner-events", "notifications")
MAX_REDRIVE = 100  # messages per request: a request stays well inside the API's 29 s


def _urls(queue: QueueName) -> tuple[str, str]:
    """(the queue, its dead-letter queue)."""
    config = settings()
    if queue == "partner-events":
        return config.partner_events_queue_url, config.partner_events_dlq_url
    return config.notifications_queue_url, config.notifications_dlq_url


def peek(queue: QueueName, limit: int = 10) -> dict[str, Any]:
    """The depth of the dead-letter queue and up to `limit` (≤ 10) messages, left where they are."""
    _, dlq = _urls(queue)
    client = aws.sqs()
    depth = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    # VisibilityTimeout 0: seen here, still there for the next reader (and for a redrive).
    answer = client.receive_message(
        QueueUrl=dlq,
        MaxNumberOfMessages=min(limit, 10),
        VisibilityTimeout=0,
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )
    return {
        "queue": queue,
        "depth": int(depth.get("Attributes", {}).get("ApproximateNumberOfMessages", 0)),
        "messages": [
            {
                "message_id": message["MessageId"],
                "received": int(message.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
                "body": _json_or_text(message.get("Body", "")),
            }
            for message in answer.get("Messages", [])
        ],
    }


def redrive(queue: QueueName) -> int:
    """Move up to MAX_REDRIVE messages back to the queue they failed in; answers how many moved."""
    source, dlq = _urls(queue)
    client = aws.sqs()
    moved = 0
    while moved < MAX_REDRIVE:
        batch = client.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            attributes = message.get("MessageAttributes") or {}
            if attributes:
                client.send_message(QueueUrl=source, MessageBody=message["Body"], MessageAttributes=attributes)
            else:
                client.send_message(QueueUrl=source, MessageBody=message["Body"])
            client.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body
