"""Starts the workflow phases of an order (Step Functions executions with stable names)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from oms import aws
from oms.observability import logger, metrics
from oms.settings import settings


@dataclass(frozen=True)
class Phase:
    """One phase execution to start: its state machine, a name unique to it, and its input."""

    machine: Literal["fulfil", "ship"]
    name: str
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"machine": self.machine, "name": self.name, "payload": self.payload}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Phase:
        return cls(data["machine"], data["name"], data["payload"])


def start(phase: Phase) -> bool:
    """Start the phase; True when it runs (now, or already, as the name is unique to it).

    False when Step Functions refused or could not be reached: logged and counted (PhaseStartFailed);
    the caller keeps the phase on the order, and the sweeper starts it again.
    """
    arns = {"fulfil": settings().fulfil_state_machine_arn, "ship": settings().ship_state_machine_arn}
    # The request's correlation id travels into the phase, so one id ties the API call or webhook to
    # every task it set off (the workflow function logs it as its correlation id).
    payload = {**phase.payload, "correlation_id": logger.get_correlation_id() or str(uuid.uuid4())}
    try:
        aws.stepfunctions().start_execution(
            stateMachineArn=arns[phase.machine], name=phase.name, input=json.dumps(payload)
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return True
        logger.exception("could not start a phase", extra={"execution": phase.name})
    except BotoCoreError:
        logger.exception("could not reach Step Functions to start a phase", extra={"execution": phase.name})
    else:
        return True
    metrics.add_metric(name="PhaseStartFailed", unit="Count", value=1)
    return False


def fulfil(
    order_id: str, storefront_id: str, resume: str = "", shipment_ids: list[str] | None = None, attempt: str = ""
) -> Phase:
    """The fulfil phase from the start, after a fraud review ("after_review"), or for re-routed shipments
    ("reroute", with `attempt` naming the shipment and how often it moved, so each move runs once)."""
    name = "-".join(part for part in (order_id, "fulfil", resume, attempt) if part)
    payload: dict[str, Any] = {"order_id": order_id, "storefront_id": storefront_id, "resume": resume}
    if shipment_ids is not None:
        payload["shipment_ids"] = shipment_ids
    return Phase("fulfil", name, payload)


def ship(order_id: str, storefront_id: str, shipment_id: str, attempt: str = "") -> Phase:
    """The ship phase of one shipment; `attempt` names a second run (a name runs once on Standard)."""
    return Phase(
        "ship",
        "-".join(part for part in (order_id, "ship", shipment_id, attempt) if part),
        {"order_id": order_id, "storefront_id": storefront_id, "shipment_id": shipment_id},
    )
