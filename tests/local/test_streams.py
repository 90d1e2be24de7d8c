"""DynamoDB stream event source mappings run locally as Lambda runs them, on moto's own stream.

A small hand-written template: a table with a stream, a function (tests/local/stream_handler.py), the
mapping and its on-failure queue. Most tests drive the poller one poll at a time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from local.assembly import Assembly
from local.runtime import LocalStack, Options
from local.streams import StreamPoller
from oms.domain.lifecycle import NotYet
from tests.local import stream_handler

HANDLER = "tests.local.stream_handler.handler"


def template(**mapping: Any) -> dict[str, Any]:
    """The table, function, queue and mapping; `mapping` overrides the mapping's properties."""
    return {
        "Resources": {
            "Inventory": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [
                        {"AttributeName": "sku", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "AttributeDefinitions": [
                        {"AttributeName": "sku", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                    ],
                    "BillingMode": "PAY_PER_REQUEST",
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                },
            },
            "Orders": {  # no stream: a mapping on it would have nothing to read
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                },
            },
            "Failures": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Projector": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Handler": HANDLER, "Runtime": "python3.12", "Timeout": 30},
            },
            "ProjectorStream": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Projector"},
                    "EventSourceArn": {"Fn::GetAtt": ["Inventory", "StreamArn"]},
                    "StartingPosition": "TRIM_HORIZON",
                    "BatchSize": 4,
                    "MaximumBatchingWindowInSeconds": 5,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "BisectBatchOnFunctionError": True,
                    "MaximumRetryAttempts": 2,
                    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["Failures", "Arn"]}}},
                    **mapping,
                },
            },
        }
    }


def start(options: Options | None = None, **mapping: Any) -> LocalStack:
    assembly = Assembly(stack_name="StreamsTest", template=template(**mapping))
    return LocalStack(
        assembly, options or Options(start_background=False, stream_window=0, stream_retry_after=0)
    ).start()


@pytest.fixture(autouse=True)
def function_state() -> Iterator[None]:
    stream_handler.reset()
    yield
    stream_handler.reset()


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    running = start()
    try:
        yield running
    finally:
        running.stop()


def table(stack: LocalStack) -> str:
    return stack.assembly.physical("Inventory").ref


def put(stack: LocalStack, *skus: str, **attrs: str) -> None:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    for sku in skus:
        item = {"sku": {"S": sku}, "sk": {"S": "LOC#mnl"}, **{k: {"S": v} for k, v in attrs.items()}}
        ddb.put_item(TableName=table(stack), Item=item)


def poller(stack: LocalStack) -> StreamPoller:
    (only,) = stack.stream_pollers
    return only


def drain(stack: LocalStack, polls: int = 50) -> None:
    """Poll until the poller has nothing left to deliver."""
    for _ in range(polls):
        if not poller(stack).poll_once():
            return
    raise AssertionError("the poller never ran dry")


def skus(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["sku"]["S"] for r in event["Records"]]


def delivered() -> list[list[str]]:
    return [skus(event) for event in stream_handler.events]


def failure_messages(stack: LocalStack) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = stack.assembly.physical("Failures").ref
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def failing_on(poison: str, error: Callable[[], Exception] = lambda: RuntimeError("poison")) -> None:
    def answer(event: dict[str, Any]) -> Any:
        if poison in skus(event):
            raise error()
        return {"batchItemFailures": []}

    stream_handler.answer = answer


def test_stream_arn_resolves_to_the_stream_moto_made_and_the_mapping_finds_it(stack: LocalStack) -> None:
    described = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName=table(stack))["Table"]
    stream_arn = stack.assembly.physical("Inventory").attrs["StreamArn"]
    assert stream_arn == described["LatestStreamArn"]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert poller(stack).mapping.stream_arn == stream_arn
    assert poller(stack).mapping.function == stack.assembly.physical("Projector").ref
    assert any("stream NEW_AND_OLD_IMAGES" in line for line in stack.report)
    streams = boto3.client("dynamodbstreams", region_name="us-east-1").list_streams()["Streams"]
    assert [s["StreamArn"] for s in streams] == [stream_arn]  # the table without a StreamSpecification has none


def test_a_mapping_on_a_table_without_stream_is_reported_not_run() -> None:
    running = start(EventSourceArn={"Fn::GetAtt": ["Orders", "StreamArn"]})
    try:
        assert running.stream_pollers == []
        assert any("Orders has no StreamSpecification" in line for line in running.report)
    finally:
        running.stop()


def test_records_arrive_in_order_in_batches_in_lambda_event_format(stack: LocalStack) -> None:
    put(stack, *(f"SKU-{i}" for i in range(6)), available="5")
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.update_item(
        TableName=table(stack),
        Key={"sku": {"S": "SKU-1"}, "sk": {"S": "LOC#mnl"}},
        UpdateExpression="SET available = :a",
        ExpressionAttributeValues={":a": {"S": "4"}},
    )
    ddb.delete_item(TableName=table(stack), Key={"sku": {"S": "SKU-2"}, "sk": {"S": "LOC#mnl"}})
    drain(stack)

    assert delivered() == [["SKU-0", "SKU-1", "SKU-2", "SKU-3"], ["SKU-4", "SKU-5", "SKU-1", "SKU-2"]]
    records = [r for event in stream_handler.events for r in event["Records"]]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 8
    assert [r["eventName"] for r in records] == ["INSERT"] * 6 + ["MODIFY", "REMOVE"]
    stream_arn = stack.assembly.physical("Inventory").attrs["StreamArn"]
    for record in records:
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        }
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1"
        assert record["eventSourceARN"] == stream_arn
        change = record["dynamodb"]
        assert isinstance(change["ApproximateCreationDateTime"], int)
        assert abs(change["ApproximateCreationDateTime"] - time.time()) < 60
        assert isinstance(change["SequenceNumber"], str)
        assert isinstance(change["SizeBytes"], int) and change["SizeBytes"] > 0
        assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert set(change["Keys"]) == {"sku", "sk"}
    insert, modify, remove = records[0], records[6], records[7]
    assert insert["dynamodb"]["NewImage"]["available"] == {"S": "5"}
    assert "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"]["available"] == {"S": "5"}
    assert modify["dynamodb"]["NewImage"]["available"] == {"S": "4"}
    assert modify["dynamodb"]["Keys"] == {"sku": {"S": "SKU-1"}, "sk": {"S": "LOC#mnl"}}
    assert remove["dynamodb"]["OldImage"]["sku"] == {"S": "SKU-2"}
    assert "NewImage" not in remove["dynamodb"]
    json.dumps(stream_handler.events)  # what Lambda hands the function is plain JSON


def test_filter_criteria_pass_over_the_records_no_pattern_matches() -> None:
    pattern = {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "LOC#"}]}}}}
    removals = {"eventName": ["REMOVE"]}
    filters = {"Filters": [{"Pattern": json.dumps(pattern)}, {"Pattern": json.dumps(removals)}]}
    running = start(FilterCriteria=filters)
    try:
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        for sku, sk in [("A", "LOC#mnl"), ("A", "HOLD#1"), ("B", "LOC#cebu"), ("B", "HOLD#2")]:
            ddb.put_item(TableName=table(running), Item={"sku": {"S": sku}, "sk": {"S": sk}})
        ddb.delete_item(TableName=table(running), Key={"sku": {"S": "A"}, "sk": {"S": "HOLD#1"}})
        drain(running)
        (event,) = stream_handler.events
        seen = [(r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in event["Records"]]
        assert seen == [("INSERT", "LOC#mnl"), ("INSERT", "LOC#cebu"), ("REMOVE", "HOLD#1")]
    finally:
        running.stop()


def test_binary_attributes_arrive_base64_encoded_as_in_lambda_events(stack: LocalStack) -> None:
    item: dict[str, Any] = {"sku": {"S": "BIN"}, "sk": {"S": "LOC#mnl"}, "blob": {"B": b"\x00\x01hi"}}
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=table(stack), Item=item)
    drain(stack)
    assert stream_handler.events[0]["Records"][0]["dynamodb"]["NewImage"]["blob"] == {"B": "AAFoaQ=="}


def test_the_batching_window_waits_to_fill_a_batch() -> None:
    running = start(Options(start_background=False, stream_window=0.3, stream_retry_after=0))
    try:
        put(running, "A")
        assert poller(running).poll_once() == 0  # one record of four: the window is open
        time.sleep(0.35)
        assert poller(running).poll_once() == 1
        put(running, "B", "C", "D", "E")  # a full batch goes at once
        assert poller(running).poll_once() == 4
        assert delivered() == [["A"], ["B", "C", "D", "E"]]
    finally:
        running.stop()


def test_the_local_window_never_exceeds_the_mappings_own() -> None:
    running = start(
        Options(start_background=False, stream_window=30, stream_retry_after=0), MaximumBatchingWindowInSeconds=0
    )
    try:
        put(running, "A")
        assert poller(running).poll_once() == 1
    finally:
        running.stop()


def test_partial_batch_failure_retries_from_the_first_failed_record(stack: LocalStack) -> None:
    put(stack, "A", "B", "C", "D", "E")
    answers = iter([["B", "D"], [], []])

    def answer(event: dict[str, Any]) -> Any:
        failing = next(answers)
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
                for r in event["Records"]
                if r["dynamodb"]["Keys"]["sku"]["S"] in failing
            ]
        }

    stream_handler.answer = answer
    drain(stack)
    # A was done; the retry starts at B (the first failure), holds the failed batch's records only, and E
    # (read meanwhile) waits for it.
    assert delivered() == [["A", "B", "C", "D"], ["B", "C", "D"], ["E"]]
    assert failure_messages(stack) == []


def test_a_later_batch_never_overtakes_a_failing_one() -> None:
    options = Options(start_background=False, stream_window=0, stream_retry_after=0.3)
    running = start(options, BisectBatchOnFunctionError=False)
    try:
        put(running, "A", "B", "C", "D", "E", "F")
        failing_on("A")
        assert poller(running).poll_once() == 4  # raises
        stream_handler.answer = None
        assert poller(running).poll_once() == 0  # the retry waits, and E and F wait behind it
        time.sleep(0.35)
        drain(running)
        assert delivered() == [["A", "B", "C", "D"], ["A", "B", "C", "D"], ["E", "F"]]
    finally:
        running.stop()


def test_an_unknown_item_identifier_fails_the_whole_batch(stack: LocalStack) -> None:
    put(stack, "A", "B")
    answers = iter([{"batchItemFailures": [{"itemIdentifier": "nope"}]}, None])
    stream_handler.answer = lambda event: next(answers)
    drain(stack)
    assert delivered() == [["A", "B"], ["A", "B"]]


def test_an_error_bisects_the_batch_until_the_poison_record_is_alone_then_gives_up_on_it(stack: LocalStack) -> None:
    put(stack, "A", "B", "C", "D")
    failing_on("C")
    drain(stack)
    assert delivered() == [
        ["A", "B", "C", "D"],  # raises: split in two
        ["A", "B"],  # done
        ["C", "D"],  # raises: split in two
        ["C"],  # raises: split no further, so retried (MaximumRetryAttempts 2) ...
        ["C"],
        ["C"],  # ... and given up on
        ["D"],
    ]
    (message,) = failure_messages(stack)
    info = message["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    c_record = stream_handler.events[3]["Records"][0]
    assert info["startSequenceNumber"] == c_record["dynamodb"]["SequenceNumber"]
    assert message["requestContext"]["approximateInvokeCount"] == 3

    put(stack, "F")  # the poller moved on
    drain(stack)
    assert delivered()[-1] == ["F"]


def test_used_shard_iterators_are_let_go(stack: LocalStack) -> None:
    from moto.dynamodbstreams.models import ShardIterator, dynamodbstreams_backends

    put(stack, "A", "B")
    for _ in range(20):
        poller(stack).poll_once()
    assert delivered() == [["A", "B"]]
    assert dynamodbstreams_backends["123456789012"]["us-east-1"].shard_iterators == {}
    assert ShardIterator.instances_tracked == []  # type: ignore[attr-defined]


def test_retries_exhausted_describe_the_batch_on_the_failure_queue_and_the_poller_moves_on() -> None:
    running = start(BisectBatchOnFunctionError=False, MaximumRetryAttempts=1)
    try:
        put(running, "A", "B", "C", "D", "E")
        failing_on("B")
        drain(running)
        assert delivered() == [["A", "B", "C", "D"], ["A", "B", "C", "D"], ["E"]]
        (message,) = failure_messages(running)
        first, last = stream_handler.events[0]["Records"][0], stream_handler.events[0]["Records"][-1]
        stream_arn = running.assembly.physical("Inventory").attrs["StreamArn"]
        function_arn = running.assembly.physical("Projector").attrs["Arn"]
        assert message["requestContext"]["functionArn"] == function_arn
        assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert message["requestContext"]["approximateInvokeCount"] == 2
        assert message["responseContext"] == {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        }
        assert message["version"] == "1.0"
        assert message["timestamp"].endswith("Z")
        info = message["DDBStreamBatchInfo"]
        assert info["shardId"] == poller(running).shard_id
        assert info["startSequenceNumber"] == first["dynamodb"]["SequenceNumber"]
        assert info["endSequenceNumber"] == last["dynamodb"]["SequenceNumber"]
        assert info["batchSize"] == 4
        assert info["streamArn"] == stream_arn
        assert info["approximateArrivalOfFirstRecord"].endswith("Z")
        assert info["approximateArrivalOfLastRecord"].endswith("Z")
    finally:
        running.stop()


def test_reported_failures_count_as_retries_too() -> None:
    running = start(MaximumRetryAttempts=0)
    try:
        put(running, "A", "B")

        def answer(event: dict[str, Any]) -> Any:
            return {
                "batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in event["Records"][1:]]
            }

        stream_handler.answer = answer
        drain(running)
        assert delivered() == [["A", "B"]]
        (message,) = failure_messages(running)
        assert message["DDBStreamBatchInfo"]["batchSize"] == 1  # B only: A was done
        assert "functionError" not in message["responseContext"]
    finally:
        running.stop()


def test_an_expected_failure_is_one_info_line(stack: LocalStack, caplog: pytest.LogCaptureFixture) -> None:
    put(stack, "A")
    calls = iter([True])

    def answer(event: dict[str, Any]) -> Any:
        if next(calls, False):
            raise NotYet("the order is not there yet")
        return None

    stream_handler.answer = answer
    with caplog.at_level(logging.INFO, logger="oms.local"):
        drain(stack)
    lines = [r for r in caplog.records if r.name.startswith("oms.local") and r.levelno >= logging.INFO]
    assert [(r.levelname, r.name) for r in lines] == [("INFO", "oms.local.streams")]
    assert "not_yet" in lines[0].getMessage() and "sku=A" in lines[0].getMessage()
    assert delivered() == [["A"], ["A"]]


def test_latest_starts_after_what_the_stream_already_holds() -> None:
    running = start(StartingPosition="LATEST")
    try:
        drain(running)
        assert delivered() == []
        put(running, "A")
        drain(running)
        assert delivered() == [["A"]]
    finally:
        running.stop()


def test_a_failed_transaction_leaves_no_record_and_the_poller_keeps_its_place(stack: LocalStack) -> None:
    """moto swaps a table for its copy when a transaction fails: the poller must still read the stream,
    which must hold no record of the failed transaction's writes, and keep the records it held before."""
    from moto.dynamodb.models import dynamodb_backends

    put(stack, "A")
    drain(stack)
    tables = dynamodb_backends["123456789012"]["us-east-1"].tables

    def records() -> list[Any]:
        shard = tables[table(stack)].stream_shard
        assert shard is not None
        return list(shard.items)

    (record_a,) = records()
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table(stack), "Item": {"sku": {"S": "GHOST"}, "sk": {"S": "LOC#mnl"}}}},
                {
                    "Put": {
                        "TableName": table(stack),
                        "Item": {"sku": {"S": "A"}, "sk": {"S": "LOC#mnl"}},
                        "ConditionExpression": "attribute_not_exists(sku)",
                    }
                },
            ]
        )
    assert records() == [record_a]  # the live table is the copy: it shares the records it had, no others
    put(stack, "B")
    drain(stack)
    assert delivered() == [["A"], ["B"]]


def test_the_running_stack_polls_the_stream_in_the_background() -> None:
    running = start(Options(stream_window=0, stream_retry_after=0, schedule_every=3600))
    try:
        put(running, *(f"SKU-{i:02}" for i in range(10)))
        deadline = time.monotonic() + 30
        while sum(len(e) for e in delivered()) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [sku for batch in delivered() for sku in batch] == [f"SKU-{i:02}" for i in range(10)]
        assert all(len(batch) <= 4 for batch in delivered())
    finally:
        running.stop()
