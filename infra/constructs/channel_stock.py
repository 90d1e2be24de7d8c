"""Channel stock kept current off the checkout's path: the inventory table's stream feeds the channel_stock
function too (stock records only, batched for a second), and a schedule resyncs every channel."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from infra.constructs.stock_health import failure_queue, stock_records

BATCH_SIZE = 100
# At most 1 s of changes per invocation (stock health waits 5): a marketplace must hear of the last unit
# before it sells it again; a burst of one sku within that second is still published once.
BATCHING_WINDOW = Duration.seconds(1)
RETRIES = 3
# A change still failing after an hour is described on the DLQ (its alarm pages) and left to the resync.
MAX_RECORD_AGE = Duration.hours(1)
RESYNC_EVERY = Duration.hours(6)


class ChannelStock(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, inventory: dynamodb.Table, handler: lambda_.Function
    ) -> None:
        super().__init__(scope, construct_id)
        # A batch that keeps failing is described here (shard, sequence numbers) for an operator; the
        # stream moves on, and the next resync tells every channel every figure anyway.
        self.dlq = failure_queue(self)
        handler.add_event_source(
            sources.DynamoEventSource(
                inventory,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCHING_WINDOW,
                bisect_batch_on_error=True,
                retry_attempts=RETRIES,
                max_record_age=MAX_RECORD_AGE,
                on_failure=sources.SqsDlq(self.dlq),
                # Only stock records, as for stock health: nothing else changes what a channel may sell.
                filters=stock_records(),
            )
        )
        events.Rule(
            self,
            "Resync",
            schedule=events.Schedule.rate(RESYNC_EVERY),
            targets=[targets.LambdaFunction(handler, retry_attempts=2)],
        )
