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
from oms.store.inventory import STOCK

BATCH_SIZE = 100
# Up to 5 s of changes per invocation: a burst of reservations of one sku costs one run, assessed once.
BATCHING_WINDOW = Duration.seconds(5)
RETRIES = 5


def stock_records(*prefixes: str) -> list[dict[str, Any]]:
    """The stream filter of a reader of stock levels: records whose sort key starts with one of `prefixes`
    (a stock record's LOC#..., and for a reader that must hear sales from a hot sku's buckets, BUCKET#...)."""
    return [
        lambda_.FilterCriteria.filter({"dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with(prefix)}}}})
        for prefix in prefixes
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


def read_stock_stream(
    scope: Construct,
    inventory: dynamodb.Table,
    handler: lambda_.Function,
    *,
    batching_window: Duration,
    retries: int,
    schedule: events.Schedule,
    rule_id: str,
    max_record_age: Duration | None = None,
    sort_keys: tuple[str, ...] = (STOCK,),
) -> sqs.Queue:
    """A reader of the inventory table's stock records: a stream mapping (batched, bisected on error,
    retried, a failure queue it answers with) and a schedule that runs the same function for a full pass."""
    dlq = failure_queue(scope)
    handler.add_event_source(
        sources.DynamoEventSource(
            inventory,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=BATCH_SIZE,
            max_batching_window=batching_window,
            bisect_batch_on_error=True,
            retry_attempts=retries,
            max_record_age=max_record_age,
            on_failure=sources.SqsDlq(dlq),
            # Only stock records (`sort_keys`): audit entries, inbounds, promises and health records never
            # start a run (a health write would otherwise feed itself).
            filters=stock_records(*sort_keys),
        )
    )
    events.Rule(scope, rule_id, schedule=schedule, targets=[targets.LambdaFunction(handler, retry_attempts=2)])
    return dlq


class StockHealth(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, inventory: dynamodb.Table, handler: lambda_.Function
    ) -> None:
        super().__init__(scope, construct_id)
        # A batch that keeps failing is described on the DLQ (shard, sequence numbers) for an operator;
        # the stream moves on, and the daily run (01:00 in Manila) assesses every level again anyway.
        self.dlq = read_stock_stream(
            self,
            inventory,
            handler,
            batching_window=BATCHING_WINDOW,
            retries=RETRIES,
            schedule=events.Schedule.cron(minute="0", hour="17"),
            rule_id="DailyRun",
        )
