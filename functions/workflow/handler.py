"""Step Functions task handlers: one function, the task named in the payload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError, EndpointConnectionError

from oms.clock import clock, rfc3339
from oms.observability import logger, metrics, tracer
from oms.orders import TimelineEntry
from oms.store import orders as orders_store

# Errors worth a retry by the state machine's Retry (backoff) rather than a Catch.
_TRANSIENT_CODES = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
}


class TransientError(Exception):
    """A dependency failed in a way that may pass: the workflow retries the task with backoff."""


class UnknownTask(Exception):
    """The state machine named a task this function does not have (a deployment mismatch)."""


def _step(step: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def run(payload: dict[str, Any]) -> dict[str, Any]:
        entry = TimelineEntry(at=rfc3339(clock.now()), type=step, detail={})
        first = orders_store.mark_step(payload["order_id"], step, entry)
        return {"step": step, "first_run": first}

    return run


def record_failure(payload: dict[str, Any]) -> dict[str, Any]:
    error = payload.get("error") or {}
    entry = TimelineEntry(
        at=rfc3339(clock.now()),
        type="fulfilment.failed",
        detail={"error": error.get("Error", ""), "cause": str(error.get("Cause", ""))[:500]},
    )
    orders_store.mark_step(payload["order_id"], "fulfilment.failed", entry)
    metrics.add_metric(name="PhaseFailed", unit="Count", value=1)
    return {"recorded": True}


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "start_fulfilment": _step("fulfilment.started"),
    "start_shipping": _step("shipping.started"),
    "record_failure": record_failure,
}


@logger.inject_lambda_context(correlation_id_path="input.order_id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = TASKS.get(event.get("task", ""))
    if task is None:
        raise UnknownTask(f"no task {event.get('task')!r}")
    try:
        return task(event.get("input") or {})
    except EndpointConnectionError as error:
        raise TransientError(str(error)) from error
    except ClientError as error:
        if error.response["Error"]["Code"] in _TRANSIENT_CODES:
            raise TransientError(str(error)) from error
        raise
