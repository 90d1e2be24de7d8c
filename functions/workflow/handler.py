"""Step Functions task handlers: one function, the task named in the payload, the state as "input"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError, EndpointConnectionError

from oms.coldstart import loading

with loading():
    from oms import bootstrap
    from oms.domain.lifecycle import NotYet
    from oms.observability import logger, metrics, problem_code, tracer
    from oms.ports.payment import TransientPartnerError
    from oms.ports.unit_of_work import CommitRefused
    from oms.services import fulfil, ship
    from oms.services.compensate import compensate

# Errors worth a retry by the state machine's Retry (with backoff) rather than its Catch.
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


Task = Callable[[dict[str, Any]], dict[str, Any]]

TASKS: dict[str, Task] = {
    "screen_and_authorize": lambda s: fulfil.screen_and_authorize(bootstrap.aws(), s["order_id"]),
    "book_and_release": lambda s: fulfil.book_and_release(bootstrap.aws(), s["order_id"], s["shipment_id"]),
    "compensate": lambda s: compensate(bootstrap.aws(), s["order_id"], s.get("error") or {}),
    "capture_and_ship": lambda s: ship.capture_and_ship(bootstrap.aws(), s["order_id"], s["shipment_id"]),
    "hold_shipment": lambda s: ship.hold_shipment(
        bootstrap.aws(), s["order_id"], s["shipment_id"], s.get("error") or {}
    ),
}


@logger.inject_lambda_context(correlation_id_path="input.correlation_id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = TASKS.get(event.get("task", ""))
    if task is None:
        raise UnknownTask(f"no task {event.get('task')!r}")
    state = event.get("input") or {}
    logger.append_keys(task=event["task"], order_id=state.get("order_id"), shipment_id=state.get("shipment_id"))
    try:
        return _run(task, state)
    except Exception as error:
        code = problem_code(error)
        if code is not None:
            # A business answer the state machine's Retry or Catch handles (a declined card, no carrier):
            # one line for a person, with the order id from the keys above; a bug keeps its stack trace.
            then = ", retried" if isinstance(error, TransientError) else ""
            logger.info("%s: %s%s", event["task"], code, then, extra={"code": code})
        raise


def _run(task: Task, state: dict[str, Any]) -> dict[str, Any]:
    try:
        return task(state)
    except (TransientPartnerError, EndpointConnectionError, NotYet, CommitRefused) as error:
        raise TransientError(str(error)) from error
    except ClientError as error:
        if error.response["Error"]["Code"] in _TRANSIENT_CODES:
            raise TransientError(str(error)) from error
        raise
