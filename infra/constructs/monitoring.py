"""Alarms on what needs an operator (dead letters, 5XX, failed phases, throttling) and one dashboard."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

_PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        rest_api: apigw.RestApi,
        dlqs: dict[str, sqs.Queue],
        state_machines: dict[str, sfn.StateMachine],
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        stage = rest_api.deployment_stage  # metrics by ApiName and Stage
        self.alarms: list[cw.Alarm] = []
        # One message in a DLQ is a partner event or a notification that was given up on: act on it.
        for name, dlq in dlqs.items():
            metric = dlq.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum")
            self._alarm(f"{name}DlqNotEmpty", metric, f"{name} dead-letter queue has messages")
        api_5xx = stage.metric_server_error(period=_PERIOD, statistic="Sum")
        self._alarm("Api5xx", api_5xx, "The API answered 5XX")
        for name, machine in state_machines.items():
            failed = machine.metric_failed(period=_PERIOD, statistic="Sum")
            self._alarm(f"{name.title()}ExecutionsFailed", failed, f"{name} phase executions failed")
        throttles = {name: fn.metric_throttles(period=_PERIOD, statistic="Sum") for name, fn in functions.items()}
        for name, metric in throttles.items():
            self._alarm(f"{name.title().replace('_', '')}Throttles", metric, f"Lambda {name} was throttled")

        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        dashboard.add_widgets(
            cw.GraphWidget(
                title="API",
                left=[
                    stage.metric_count(period=_PERIOD),
                    api_5xx,
                    stage.metric_client_error(period=_PERIOD),
                ],
                right=[stage.metric_latency(period=_PERIOD, statistic="p99")],
            ),
            cw.GraphWidget(
                title="Phases",
                left=[m.metric_started(period=_PERIOD) for m in state_machines.values()]
                + [m.metric_failed(period=_PERIOD) for m in state_machines.values()],
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="Lambda errors", left=[fn.metric_errors(period=_PERIOD) for fn in functions.values()]),
            cw.GraphWidget(title="Lambda throttles", left=list(throttles.values())),
            cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms)),
        )

    def _alarm(self, construct_id: str, metric: cw.Metric, description: str) -> None:
        self.alarms.append(
            metric.create_alarm(
                self,
                construct_id,
                alarm_description=description,
                threshold=0,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                # No data means no traffic, which is no failure.
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
        )
