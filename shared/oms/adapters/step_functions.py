"""Starts phases as Step Functions executions."""

from __future__ import annotations

import json
import uuid

from botocore.exceptions import BotoCoreError, ClientError

from oms import aws
from oms.observability import logger, metrics
from oms.ports.phases import Phase
from oms.settings import settings


class StepFunctionsStarter:
    def start(self, phase: Phase) -> bool:
        """False when Step Functions refused or could not be reached: logged and counted (PhaseStartFailed)."""
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
