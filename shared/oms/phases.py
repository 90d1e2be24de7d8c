"""Starts the workflow phases of an order (Step Functions executions with stable names)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from botocore.exceptions import ClientError

from oms import aws
from oms.observability import logger, metrics
from oms.settings import settings


def _start(state_machine_arn: str, name: str, payload: dict[str, Any]) -> bool:
    # The request's correlation id travels into the phase, so one id ties the API call or webhook to
    # every task it set off (the workflow function logs it as its correlation id).
    payload = {**payload, "correlation_id": logger.get_correlation_id() or str(uuid.uuid4())}
    try:
        aws.stepfunctions().start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False  # the phase already started: starting is idempotent by name
        # The order is safely stored; the failure is logged and counted (PhaseStartFailed) for an operator
        # to re-drive: an automatic re-drive by the sweeper is still to come.
        logger.exception("could not start a phase", extra={"execution": name})
        metrics.add_metric(name="PhaseStartFailed", unit="Count", value=1)
        return False
    return True


def start_fulfil(
    order_id: str, storefront_id: str, resume: str = "", shipment_ids: list[str] | None = None, attempt: str = ""
) -> bool:
    """The fulfil phase from the start, after a fraud review ("after_review"), or for re-routed shipments
    ("reroute", with `attempt` naming the shipment and how often it moved, so each move runs once)."""
    name = "-".join(part for part in (order_id, "fulfil", resume, attempt) if part)
    payload: dict[str, Any] = {"order_id": order_id, "storefront_id": storefront_id, "resume": resume}
    if shipment_ids is not None:
        payload["shipment_ids"] = shipment_ids
    return _start(settings().fulfil_state_machine_arn, name, payload)


def start_ship(order_id: str, storefront_id: str, shipment_id: str) -> bool:
    return _start(
        settings().ship_state_machine_arn,
        f"{order_id}-ship-{shipment_id}",
        {"order_id": order_id, "storefront_id": storefront_id, "shipment_id": shipment_id},
    )
