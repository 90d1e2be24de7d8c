"""Queues, the event bus and the schedule: partner events in, notifications out, the sweeper's tick.

Partner events and notifications reach their worker by an asynchronous invocation (no SQS request on
the way when it succeeds); Lambda retries a failed one twice, then hands it to the worker's queue (an
on-failure destination), where the SQS retries and the alarmed dead-letter queue take over.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVE_COUNT = 3
BATCH_SIZE = 10  # SQS's own maximum per receive
# Lambda's own retries of an asynchronous invocation (about 1 then 2 minutes apart) before the queue.
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(6)


class Messaging(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        partner_events: lambda_.Function,
        notifier: lambda_.Function,
        sweeper: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)
        self.partner_events, self.partner_events_dlq = self._queue("PartnerEvents", partner_events)
        self.notifications, self.notifications_dlq = self._queue("Notifications", notifier)

        self.bus = events.EventBus(self, "Bus", event_bus_name=f"oms-{stage}")
        # Only events of storefronts with a webhook (the publisher marks them): the others would cost a
        # notifier run each, to do nothing. An event EventBridge cannot hand to Lambda at all (after its own
        # retries) waits in the dead-letter queue, alarmed like the rest.
        events.Rule(
            self,
            "NotifyStorefronts",
            event_bus=self.bus,
            event_pattern=events.EventPattern(source=["oms"], detail={"storefront_subscribed": [True]}),
            targets=[targets.LambdaFunction(notifier, dead_letter_queue=self.notifications_dlq)],
        )
        for worker, queue in ((partner_events, self.partner_events), (notifier, self.notifications)):
            worker.configure_async_invoke(
                retry_attempts=ASYNC_RETRY_ATTEMPTS,
                max_event_age=ASYNC_MAX_EVENT_AGE,
                on_failure=destinations.SqsDestination(queue),  # grants the worker's role sqs:SendMessage
            )

        events.Rule(
            self,
            "SweeperSchedule",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            targets=[targets.LambdaFunction(sweeper, retry_attempts=0)],
        )
        # A missed tick is made good by the next one a minute later; retries would only overlap sweeps.
        sweeper.configure_async_invoke(retry_attempts=0, max_event_age=Duration.minutes(1))

    @property
    def redrivable(self) -> dict[str, tuple[sqs.Queue, sqs.Queue]]:
        """Each queue with a dead-letter queue, and that queue, by the name functions know it by."""
        return {
            "partner_events": (self.partner_events, self.partner_events_dlq),
            "notifications": (self.notifications, self.notifications_dlq),
        }

    @property
    def dlqs(self) -> dict[str, sqs.Queue]:
        return {"PartnerEvents": self.partner_events_dlq, "Notifications": self.notifications_dlq}

    def _queue(self, construct_id: str, consumer: lambda_.Function) -> tuple[sqs.Queue, sqs.Queue]:
        dlq = sqs.Queue(
            self,
            f"{construct_id}Dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),  # the longest SQS keeps: time to find and redrive
        )
        timeout = consumer.timeout.to_seconds() if consumer.timeout else 3
        queue = sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # AWS's advice for Lambda consumers: at least 6x the function timeout, so a batch retried
            # by Lambda after throttling is not delivered twice while still in flight.
            visibility_timeout=Duration.seconds(6 * timeout),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=MAX_RECEIVE_COUNT),
        )
        consumer.add_event_source(sources.SqsEventSource(queue, batch_size=BATCH_SIZE, report_batch_item_failures=True))
        return queue, dlq
