"""The order phases as Step Functions state machines (JSONPath, CDK chain API): Fulfil and Ship."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.constructs.nag import acknowledge, arn_ref

WORKFLOW_TYPES = {"EXPRESS": sfn.StateMachineType.EXPRESS, "STANDARD": sfn.StateMachineType.STANDARD}


def invoke(scope: Construct, state: str, task: str, fn: lambda_.IFunction) -> tasks.LambdaInvoke:
    """One task of the single `workflow` function: it dispatches on "task" and gets the state as "input"."""
    return tasks.LambdaInvoke(
        scope,
        state,
        lambda_function=fn,
        payload=sfn.TaskInput.from_object({"task": task, "input": sfn.JsonPath.entire_payload}),
        payload_response_only=True,
        result_path="$.result",
        # Our own Retry below is the whole retry policy; the default one would retry every Lambda error.
        retry_on_service_exceptions=False,
    )


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        workflow_type: str,
        production: bool,
        handler: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        if workflow_type not in WORKFLOW_TYPES:
            raise ValueError(f"context workflow_type must be EXPRESS or STANDARD, not {workflow_type!r}")
        self._stage, self._type, self._handler = stage, WORKFLOW_TYPES[workflow_type], handler
        self._removal = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY
        self.fulfil = self._phase("Fulfil", "StartFulfilment", "start_fulfilment", "Fulfilling", "FulfilmentFailed")
        self.ship = self._phase("Ship", "StartShipping", "start_shipping", "Shipping", "ShippingFailed")

    @property
    def by_name(self) -> dict[str, sfn.StateMachine]:
        return {"fulfil": self.fulfil, "ship": self.ship}

    def _phase(self, phase: str, state: str, task: str, succeeded: str, failed: str) -> sfn.StateMachine:
        # Each phase gets its own scope, so both can name their failure path "RecordFailure".
        scope = Construct(self, phase)
        start = invoke(scope, state, task, self._handler)
        start.add_retry(errors=["TransientError"], interval=Duration.seconds(1), max_attempts=2, backoff_rate=2)
        record_failure = invoke(scope, "RecordFailure", "record_failure", self._handler)
        start.add_catch(
            record_failure.next(sfn.Fail(scope, failed, error=failed)),
            errors=[sfn.Errors.ALL],
            result_path="$.error",
        )
        log_group = logs.LogGroup(
            scope,
            "Logs",
            # The /aws/vendedlogs/ prefix keeps Step Functions off the account's 5 KB logs resource policy.
            log_group_name=f"/aws/vendedlogs/states/oms-{self._stage}-{phase.lower()}",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=self._removal,
        )
        machine = sfn.StateMachine(
            scope,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(start.next(sfn.Succeed(scope, succeeded))),
            state_machine_type=self._type,
            # A phase is short by design; the cap also bounds a STANDARD execution.
            timeout=Duration.minutes(5),
            tracing_enabled=True,
            # ERROR, not ALL: ALL writes every state transition of every order phase to CloudWatch Logs,
            # which costs more than the Express executions themselves; failures are what an operator
            # reads, with their data, and the order timeline in DynamoDB records the rest.
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ERROR, include_execution_data=True),
        )
        acknowledge(
            machine,
            {
                "AwsSolutions-SF1": "Logs at ERROR level on purpose: ALL would log every transition of every "
                "order phase at a cost above the executions'; the order timeline keeps the history.",
                f"AwsSolutions-IAM5[Resource::{arn_ref(self._handler)}:*]": "LambdaInvoke's grant covers the "
                "workflow function's versions and aliases (<arn>:*); it is still that one function.",
                "AwsSolutions-IAM5[Resource::*]": "CloudWatch Logs delivery (logs:*LogDelivery*, "
                "DescribeResourcePolicies) and X-Ray PutTraceSegments support no resource-level permissions.",
            },
        )
        return machine
