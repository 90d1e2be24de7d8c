"""Channel stock kept current off the checkout's path: the inventory table's stream feeds the channel_stock
function too (stock records only, batched for a second), and a schedule resyncs every channel."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.stock_health import read_stock_stream
from oms.store.inventory import BUCKET, STOCK

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
        # A batch that keeps failing is described on the DLQ for an operator; the stream moves on, and the
        # next resync tells every channel every figure anyway.
        self.dlq = read_stock_stream(
            self,
            inventory,
            handler,
            batching_window=BATCHING_WINDOW,
            retries=RETRIES,
            schedule=events.Schedule.rate(RESYNC_EVERY),
            rule_id="Resync",
            max_record_age=MAX_RECORD_AGE,
            # A sale from a hot sku's bucket writes the bucket alone (oms.domain.buckets): a marketplace hears it.
            sort_keys=(STOCK, BUCKET),
        )
