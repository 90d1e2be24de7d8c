"""Alarms on what needs an operator (dead letters, 5XX of either API, failed phases, throttling), their topic,
one dashboard."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.kms_keys import service_key

_PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        dashboard_name: str,
        rest_api: apigw.RestApi,
        webhook_stage: apigwv2.HttpStage,
        dlqs: dict[str, sqs.Queue],
        state_machines: dict[str, sfn.StateMachine],
        functions: dict[str, lambda_.Function],
        alarm_email: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = self._alarm_topic(stage, alarm_email)
        self._action = cw_actions.SnsAction(self.topic)
        api_stage = rest_api.deployment_stage  # metrics by ApiName and Stage
        self.alarms: list[cw.Alarm] = []
        # One message in a DLQ is a partner event or a notification that was given up on: act on it.
        for name, dlq in dlqs.items():
            metric = dlq.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum")
            self._alarm(f"{name}DlqNotEmpty", metric, f"{name} dead-letter queue has messages")
        api_5xx = api_stage.metric_server_error(period=_PERIOD, statistic="Sum")
        self._alarm("Api5xx", api_5xx, "The API answered 5XX")
        # Partner webhooks are on an HTTP API of their own (webhook_api.py): its metrics are apart (by ApiId
        # and Stage, named 5xx/4xx), so the REST API's figures above no longer count them.
        webhooks_5xx = webhook_stage.metric_server_error(period=_PERIOD, statistic="Sum")
        self._alarm("Webhooks5xx", webhooks_5xx, "The partner webhook API answered 5XX")
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
                    api_stage.metric_count(period=_PERIOD),
                    api_5xx,
                    api_stage.metric_client_error(period=_PERIOD),
                ],
                right=[api_stage.metric_latency(period=_PERIOD, statistic="p99")],
            ),
            cw.GraphWidget(
                title="Partner webhooks",
                left=[
                    webhook_stage.metric_count(period=_PERIOD, statistic="Sum"),
                    webhooks_5xx,
                    webhook_stage.metric_client_error(period=_PERIOD, statistic="Sum"),
                ],
                right=[webhook_stage.metric_latency(period=_PERIOD, statistic="p99")],
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
        alarm = metric.create_alarm(
            self,
            construct_id,
            alarm_description=description,
            threshold=0,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            # No data means no traffic, which is no failure.
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        # OK too: whoever was paged sees the recovery without opening the console.
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)

    def _alarm_topic(self, stage: str, email: str) -> sns.Topic:
        """The topic every alarm notifies; subscribe paging to it (or set the `alarm_email` context).

        Encrypted with a key of its own: the AWS-managed SNS key does not let CloudWatch publish.
        """
        cloudwatch = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        key = service_key(
            self,
            "AlarmTopicKey",
            description=f"OMS {stage}: the alarm topic",
            use=iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheTopic",
                principals=[cloudwatch],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
            ),
            # Notifications are not kept (SNS delivers, then forgets): nothing needs the key after the topic.
            removal=RemovalPolicy.DESTROY,
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"oms-{stage}-alarms",
            display_name=f"OMS {stage} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        # The topic policy CDK writes for enforce_ssl replaces SNS's default one: allow the account's alarms.
        alarms = Stack.of(self).format_arn(
            service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccountPublish",
                principals=[cloudwatch],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"ArnLike": {"aws:SourceArn": alarms}},
            )
        )
        if email:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        return topic
