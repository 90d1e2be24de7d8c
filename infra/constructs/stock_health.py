"""Stock health kept current off the checkout's path: the inventory table's stream feeds the stock_health
function (stock records only, batched), and a daily schedule lets sales rates decay."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge

BATCH_SIZE = 100
# Up to 5 s of changes per invocation: a burst of reservations of one sku costs one run, assessed once.
BATCHING_WINDOW = Duration.seconds(5)
RETRIES = 5


def stock_records() -> list[dict[str, Any]]:
    """The stream filter of every reader of stock levels: records whose sort key is a stock record's (LOC#...)."""
    return [
        lambda_.FilterCriteria.filter({"dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with("LOC#")}}}})
    ]


def failure_queue(scope: Construct) -> sqs.Queue:
    """A stream mapping's on-failure destination: where a batch that kept failing is described."""
    queue = sqs.Queue(
        scope,
        "Dlq",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    acknowledge(
        queue,
        {
            "AwsSolutions-SQS3": "It is the stream mapping's on-failure destination (a dead-letter queue in all "
            "but name: cdk-nag only recognises a queue named in another queue's redrive policy).",
        },
    )
    return queue


class StockHealth(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, inventory: dynamodb.Table, handler: lambda_.Function
    ) -> None:
        super().__init__(scope, construct_id)
        # A batch that keeps failing is described here (shard, sequence numbers) for an operator; the
        # stream moves on, and the daily run assesses every level again anyway.
        self.dlq = failure_queue(self)
        handler.add_event_source(
            sources.DynamoEventSource(
                inventory,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCHING_WINDOW,
                bisect_batch_on_error=True,
                retry_attempts=RETRIES,
                on_failure=sources.SqsDlq(self.dlq),
                # Only stock records: audit entries, inbounds and health records themselves never start a
                # run (a health write would otherwise feed itself).
                filters=stock_records(),
            )
        )
        events.Rule(
            self,
            "DailyRun",
            schedule=events.Schedule.cron(minute="0", hour="17"),  # 01:00 in Manila, when stock is still
            targets=[targets.LambdaFunction(handler, retry_attempts=2)],
        )
