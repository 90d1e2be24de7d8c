"""How an event reaches a worker: invoked with it (asynchronously), or as a message of the worker's queue.

A queue message is either the event as it was sent there, or the record Lambda sends to an on-failure
destination once its own retries of an asynchronous invocation are spent:
    {"version": "1.0", "timestamp": ..., "requestContext": {"requestId", "functionArn", "condition",
     "approximateInvokeCount"}, "requestPayload": <the event>, "responseContext": {...},
     "responsePayload": {...the last error...}}
"""

from __future__ import annotations

from typing import Any


def is_queue_batch(event: Any) -> bool:
    """True for a batch of SQS messages (an event source mapping's), False for an event invoked directly."""
    return isinstance(event, dict) and isinstance(event.get("Records"), list)


def failure_record(document: Any) -> dict[str, Any] | None:
    """The request context of a record Lambda sent on failure (condition, invoke count), or None."""
    context = document.get("requestContext") if isinstance(document, dict) else None
    return context if isinstance(context, dict) and "requestPayload" in document else None


def unwrapped(document: Any) -> Any:
    """The event a queue message carries: the failure record's request payload, or the message itself."""
    return document["requestPayload"] if failure_record(document) is not None else document
