"""Queues with dead-letter queues, their Lambda consumers, the inventory stream's two readers, the event bus rule
and the schedules."""

from __future__ import annotations

import json

import pytest

# queue (construct path, joined) -> the function that consumes it
CONSUMERS = {"MessagingPartnerEvents": "partner_events", "MessagingNotifications": "notifier"}


def test_there_are_two_work_queues_their_dead_letter_queues_and_the_stock_streams_failure_queues(default_synth):
    default_synth.assertions.resource_count_is("AWS::SQS::Queue", 6)
    default_synth.one("AWS::SQS::Queue", "StockHealthDlq")
    default_synth.one("AWS::SQS::Queue", "ChannelStockDlq")
    for name in CONSUMERS:
        default_synth.one("AWS::SQS::Queue", name)
        default_synth.one("AWS::SQS::Queue", f"{name}Dlq")


@pytest.mark.parametrize("name", sorted(CONSUMERS))
def test_each_queue_redrives_to_its_own_dlq_after_three_receives(default_synth, name):
    _, queue = default_synth.one("AWS::SQS::Queue", name)
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == 3
    dlq_id, _ = default_synth.one("AWS::SQS::Queue", f"{name}Dlq")
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq_id, "Arn"]}


def test_every_queue_is_encrypted_by_sqs_and_refuses_requests_without_tls(default_synth):
    queues = default_synth.resources("AWS::SQS::Queue")
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    guarded = set()
    for policy in default_synth.resources("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}:
                guarded.add(statement["Resource"]["Fn::GetAtt"][0])
    assert guarded == set(queues)


@pytest.mark.parametrize(("name", "consumer"), sorted(CONSUMERS.items()))
def test_visibility_timeout_is_at_least_six_times_the_consumer_timeout(default_synth, name, consumer):
    _, queue = default_synth.one("AWS::SQS::Queue", name)
    timeout = default_synth.function(consumer)[1]["Properties"]["Timeout"]
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * timeout


@pytest.mark.parametrize(("name", "consumer"), sorted(CONSUMERS.items()))
def test_each_queue_feeds_its_worker_in_tens_with_partial_batch_failures(default_synth, name, consumer):
    queue_id, _ = default_synth.one("AWS::SQS::Queue", name)
    function_id, _ = default_synth.function(consumer)
    (mapping,) = [
        m["Properties"]
        for m in default_synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": function_id}
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_dead_letter_queues_have_no_consumer(default_synth):
    sources = {
        m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
        for m in default_synth.resources("AWS::Lambda::EventSourceMapping").values()
    }
    assert not any("Dlq" in source for source in sources)
    assert len(sources) == 3  # the two work queues and the inventory table's stream


def stream_mapping(synth, consumer):
    """The mapping of the inventory table's stream to function `consumer`."""
    table_id, _ = synth.one("AWS::DynamoDB::Table", "DataInventory")
    function_id, _ = synth.function(consumer)
    [mapping] = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
        and m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    return mapping


def test_the_inventory_stream_feeds_stock_health_and_channel_stock_and_nothing_else(default_synth):
    consumers = [
        m["Properties"]["FunctionName"]
        for m in default_synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
    ]
    assert sorted(c["Ref"] for c in consumers) == sorted(
        default_synth.function(name)[0] for name in ("stock_health", "channel_stock")
    )


def test_the_inventory_stream_feeds_stock_health_in_batches_with_retries_a_filter_and_a_failure_queue(default_synth):
    mapping = stream_mapping(default_synth, "stock_health")
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (100, 5)
    assert mapping["BisectBatchOnFunctionError"] and mapping["MaximumRetryAttempts"] == 5
    assert "LOC#" in json.dumps(mapping["FilterCriteria"])  # audit, supply and health items start no run
    assert "StockHealthDlq" in json.dumps(mapping["DestinationConfig"])


def test_the_inventory_stream_feeds_channel_stock_within_a_second_with_retries_a_filter_and_a_failure_queue(
    default_synth,
):
    mapping = stream_mapping(default_synth, "channel_stock")
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (100, 1)
    assert mapping["BisectBatchOnFunctionError"] and 3 <= mapping["MaximumRetryAttempts"] <= 5
    assert mapping["MaximumRecordAgeInSeconds"] == 3600
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    # Stock health's filter (stock records), and the buckets of a sku on sale: a sale writes a bucket alone.
    health = stream_mapping(default_synth, "stock_health")["FilterCriteria"]["Filters"]
    bucket = {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "BUCKET#"}]}}}}
    assert [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]] == [
        *(json.loads(f["Pattern"]) for f in health),
        bucket,
    ]
    dlq_id, _ = default_synth.one("AWS::SQS::Queue", "ChannelStockDlq")
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [dlq_id, "Arn"]}}}


def test_every_channel_is_resynced_every_six_hours(default_synth):
    function_id, _ = default_synth.function("channel_stock")
    _, rule = default_synth.one("AWS::Events::Rule", "ChannelStockResync")
    props = rule["Properties"]
    assert props["ScheduleExpression"] == "rate(6 hours)"
    assert "EventBusName" not in props  # schedules live on the default bus
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_oms_events_of_subscribed_storefronts_on_the_custom_bus_invoke_the_notifier_with_no_queue_between(
    default_synth,
):
    bus_id, bus = default_synth.one("AWS::Events::EventBus", "MessagingBus")
    assert bus["Properties"]["Name"] == "oms-dev"
    notifier_id, _ = default_synth.function("notifier")
    dlq_id, _ = default_synth.one("AWS::SQS::Queue", "MessagingNotificationsDlq")
    rule_id, rule = default_synth.one("AWS::Events::Rule", "MessagingNotifyStorefronts")
    props = rule["Properties"]
    assert props["EventBusName"] == {"Ref": bus_id}
    assert props["EventPattern"] == {"source": ["oms"], "detail": {"storefront_subscribed": [True]}}
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [notifier_id, "Arn"]}
    # An event EventBridge cannot hand to Lambda at all waits in the (alarmed) dead-letter queue.
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    default_synth.assertions.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [notifier_id, "Arn"]},
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]},
        },
    )


@pytest.mark.parametrize(("name", "consumer"), sorted(CONSUMERS.items()))
def test_a_workers_failed_event_invocation_is_retried_twice_within_six_hours_then_sent_to_its_queue(
    default_synth, name, consumer
):
    function_id, _ = default_synth.function(consumer)
    queue_id, _ = default_synth.one("AWS::SQS::Queue", name)
    (config,) = [
        c["Properties"]
        for c in default_synth.resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (2, 6 * 3600)
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}}


def test_the_notifications_queue_takes_no_message_from_the_bus_only_failed_invocations(default_synth):
    queue_id, _ = default_synth.one("AWS::SQS::Queue", "MessagingNotifications")
    allowed = [
        s
        for p in default_synth.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": queue_id}]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert allowed == []  # the notifier's role sends its failed invocations there (its own grant)


def test_only_the_bus_rule_may_send_to_the_notifications_dead_letter_queue(default_synth):
    dlq_id, _ = default_synth.one("AWS::SQS::Queue", "MessagingNotificationsDlq")
    rule_id, _ = default_synth.one("AWS::Events::Rule", "MessagingNotifyStorefronts")
    (allow,) = [
        s
        for p in default_synth.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": dlq_id}]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}}


def test_the_sweeper_runs_every_minute_without_retries(default_synth):
    sweeper_id, _ = default_synth.function("sweeper")
    _, rule = default_synth.one("AWS::Events::Rule", "MessagingSweeperSchedule")
    props = rule["Properties"]
    assert props["ScheduleExpression"] == "rate(1 minute)"
    assert "EventBusName" not in props  # schedules live on the default bus
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [sweeper_id, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0
    default_synth.assertions.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig", {"FunctionName": {"Ref": sweeper_id}, "MaximumRetryAttempts": 0}
    )
