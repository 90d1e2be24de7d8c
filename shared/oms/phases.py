"""Starts the workflow phases of an order (Step Functions executions with stable names)."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from oms import aws
from oms.observability import logger, metrics
from oms.settings import settings


def _start(state_machine_arn: str, name: str, payload: dict[str, str]) -> bool:
    try:
        aws.stepfunctions().start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False  # the phase already started: starting is idempotent by name
        # The order is safely stored; the sweeper re-drives orders whose phase did not start.
        logger.exception("could not start a phase", extra={"execution": name})
        metrics.add_metric(name="PhaseStartFailed", unit="Count", value=1)
        return False
    return True


def start_fulfil(order_id: str, storefront_id: str) -> bool:
    return _start(
        settings().fulfil_state_machine_arn,
        f"{order_id}-fulfil",
        {"order_id": order_id, "storefront_id": storefront_id},
    )


def start_ship(order_id: str, storefront_id: str, shipment_id: str) -> bool:
    return _start(
        settings().ship_state_machine_arn,
        f"{order_id}-ship-{shipment_id}",
        {"order_id": order_id, "storefront_id": storefront_id, "shipment_id": shipment_id},
    )
