"""The order phases as Step Functions state machines (JSONPath, CDK chain API): Fulfil and Ship."""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.constructs.nag import acknowledge, arn_ref

WORKFLOW_TYPES = {"EXPRESS": sfn.StateMachineType.EXPRESS, "STANDARD": sfn.StateMachineType.STANDARD}


RETRYABLE = ["TransientError", "Lambda.TooManyRequestsException", "Lambda.ServiceException"]


def invoke(
    scope: Construct, state: str, task: str, fn: lambda_.IFunction, result_path: str = sfn.JsonPath.DISCARD
) -> tasks.LambdaInvoke:
    """One task of the single `workflow` function: it dispatches on "task" and gets the state as "input".

    Every task is idempotent (Express runs tasks at least once), so each retries transient failures
    (the function's TransientError, Lambda throttling) with backoff before any Catch applies.
    """
    step = tasks.LambdaInvoke(
        scope,
        state,
        lambda_function=fn,
        payload=sfn.TaskInput.from_object({"task": task, "input": sfn.JsonPath.entire_payload}),
        payload_response_only=True,
        result_path=result_path,
        # This Retry is the whole retry policy; the default one would retry every Lambda error.
        retry_on_service_exceptions=False,
    )
    step.add_retry(errors=RETRYABLE, interval=Duration.seconds(1), max_attempts=3, backoff_rate=2)
    return step


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
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        if workflow_type not in WORKFLOW_TYPES:
            raise ValueError(f"context workflow_type must be EXPRESS or STANDARD, not {workflow_type!r}")
        self._stage, self._type, self._handler = stage, WORKFLOW_TYPES[workflow_type], handler
        self._removal = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY
        self._logs_key = logs_key
        self.fulfil = self._machine("Fulfil", self._fulfil_definition)
        self.ship = self._machine("Ship", self._ship_definition)

    @property
    def by_name(self) -> dict[str, sfn.StateMachine]:
        return {"fulfil": self.fulfil, "ship": self.ship}

    def _fulfil_definition(self, scope: Construct) -> sfn.IChainable:
        """ScreenAndAuthorize -> per shipment: BookAndRelease. One task, one order write, per step.

        A review ends the phase with the order on hold (the admin review starts it again, and the task
        then skips the screen the order passed); a re-routed shipment re-enters at the per-shipment
        step. Any failure compensates and rejects.
        """
        fn = self._handler
        closed = sfn.Succeed(scope, "OrderClosed", comment="cancelled or rejected meanwhile: nothing to do")
        compensate = invoke(scope, "Compensate", "compensate", fn, result_path="$.compensation").next(
            sfn.Fail(scope, "Rejected", error="OrderRejected", cause="compensated: see the order's reason")
        )
        authorize = invoke(scope, "ScreenAndAuthorize", "screen_and_authorize", fn, result_path="$.work")
        per_shipment = sfn.Map(
            scope,
            "ForEachShipment",
            items_path="$.work.shipment_ids",
            item_selector={
                "order_id.$": "$.order_id",
                "shipment_id.$": "$$.Map.Item.Value",
                "correlation_id.$": "$.correlation_id",
            },
            max_concurrency=4,
            result_path=sfn.JsonPath.DISCARD,
        )
        per_shipment.item_processor(invoke(scope, "BookAndRelease", "book_and_release", fn))
        for step in (authorize, per_shipment):
            step.add_catch(closed, errors=["OrderClosed"])
            step.add_catch(compensate, errors=[sfn.Errors.ALL], result_path="$.error")
        fraud_rejected = sfn.Pass(
            scope,
            "FraudRejected",
            parameters={"Error": "FraudRejected", "Cause.$": "$.work.summary"},
            result_path="$.error",
        ).next(compensate)
        decision = (
            sfn.Choice(scope, "FraudDecision")
            .when(sfn.Condition.string_equals("$.work.decision", "review"), sfn.Succeed(scope, "AwaitingReview"))
            # An asynchronous authorization: payment.authorized starts the phase again ("after_payment").
            .when(sfn.Condition.string_equals("$.work.decision", "pending"), sfn.Succeed(scope, "AwaitingPayment"))
            .when(sfn.Condition.string_equals("$.work.decision", "reject"), fraud_rejected)
            .otherwise(per_shipment)
        )
        reroute = sfn.Pass(
            scope, "ReroutedShipments", parameters={"shipment_ids.$": "$.shipment_ids"}, result_path="$.work"
        )
        authorize.next(decision)
        reroute.next(per_shipment)
        per_shipment.next(sfn.Succeed(scope, "Fulfilling"))
        rerouting = sfn.Condition.and_(
            sfn.Condition.is_present("$.resume"), sfn.Condition.string_equals("$.resume", "reroute")
        )
        return sfn.Choice(scope, "Resume").when(rerouting, reroute).otherwise(authorize)

    def _ship_definition(self, scope: Construct) -> sfn.IChainable:
        """CaptureAndShip (this shipment's value, then the stock); a failed capture holds the shipment."""
        fn = self._handler
        ship = invoke(scope, "CaptureAndShip", "capture_and_ship", fn)
        hold = invoke(scope, "HoldShipment", "hold_shipment", fn, result_path="$.hold").next(
            sfn.Fail(scope, "CaptureFailed", error="CaptureFailed", cause="the shipment waits with its stock")
        )
        ship.add_catch(sfn.Succeed(scope, "OrderClosed"), errors=["OrderClosed"])
        ship.add_catch(hold, errors=[sfn.Errors.ALL], result_path="$.error")
        return ship.next(sfn.Succeed(scope, "Shipped"))

    def _machine(self, phase: str, define: Callable[[Construct], sfn.IChainable]) -> sfn.StateMachine:
        scope = Construct(self, phase)
        log_group = logs.LogGroup(
            scope,
            "Logs",
            # The /aws/vendedlogs/ prefix keeps Step Functions off the account's 5 KB logs resource policy.
            log_group_name=f"/aws/vendedlogs/states/oms-{self._stage}-{phase.lower()}",
            retention=logs.RetentionDays.ONE_MONTH,
            encryption_key=self._logs_key,
            removal_policy=self._removal,
        )
        machine = sfn.StateMachine(
            scope,
            "StateMachine",
            # Named like the API (oms-<stage>), so the stack's X-Ray sampling rule matches it too.
            state_machine_name=f"oms-{self._stage}-{phase.lower()}",
            definition_body=sfn.DefinitionBody.from_chainable(define(scope)),
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
