"""DynamoDB Streams event source mappings as pollers, reading moto's own stream as Lambda reads the real one.

A mapping is one whose `EventSourceArn` is the `StreamArn` of a table of the template (the ARN moto gave
the table's stream, bound by `cloud.create_resources`). Its poller reads the shard in order and delivers
batches to the function, one at a time, so records of the shard are never delivered out of order and a
later batch never overtakes a failing one. As Lambda does, it:

- delivers only the records matching one of the `FilterCriteria` patterns (moto's EventBridge matcher);
- waits up to `MaximumBatchingWindowInSeconds` to fill a batch of `BatchSize` records (capped locally by
  `window`, so tests and `make run` need not wait);
- with `ReportBatchItemFailures`, takes the records before the first reported failure as done and retries
  from that record; an unknown or empty `itemIdentifier` fails the whole batch;
- with `BisectBatchOnFunctionError`, splits a batch whose invocation raised in two and delivers each half
  on its own (splitting does not count as a retry);
- retries a failed batch up to `MaximumRetryAttempts` (-1: until it succeeds; locally records never expire),
  then sends a description of it (not its records) to the `OnFailure` SQS destination and moves past it.

Not emulated: several shards and resharding (moto's stream has one shard), `ParallelizationFactor`,
`TumblingWindowInSeconds`, `MaximumRecordAgeInSeconds` and the 24 h retention, the 6 MB
payload limit, SNS or S3 on-failure destinations (logged and dropped) and Lambda's retry back-off (a fixed
`retry_after` locally).
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from local.assembly import Assembly
from local.lambdas import LambdaCrash, LambdaRegistry
from local.pollers import PollingThread, reported_failures

log = logging.getLogger("oms.local.streams")

# Seconds before a failed batch is delivered again, unless the runtime says otherwise.
DEFAULT_RETRY_AFTER = 1.0
# Records read from the stream at most per read (GetRecords' own maximum).
_READ_LIMIT = 1000


@dataclass(frozen=True)
class StreamMapping:
    function: str
    table: str
    stream_arn: str
    starting_position: str
    batch_size: int
    batching_window: float
    report_item_failures: bool
    bisect_on_error: bool
    max_retries: int  # -1: retried until it succeeds
    filters: tuple[str, ...]  # FilterCriteria patterns: a record matching none is never delivered
    on_failure: str | None  # the destination's ARN
    on_failure_queue_url: str | None  # set when that destination is a queue of the template


def stream_mappings(assembly: Assembly) -> tuple[list[StreamMapping], list[str]]:
    """The template's DynamoDB stream mappings, and a line for each one that cannot run locally.

    Call after `cloud.create_resources`: only then does GetAtt StreamArn give the ARN of moto's stream."""
    streams: dict[str, tuple[str, str]] = {}  # stream ARN -> (table name, logical id)
    placeholders: dict[str, str] = {}  # the StreamArn of a table without a stream -> its logical id
    for logical_id, props in assembly.of_type("AWS::DynamoDB::Table"):
        physical = assembly.physical(logical_id)
        if (props.get("StreamSpecification") or {}).get("StreamViewType"):
            streams[physical.attrs["StreamArn"]] = (physical.ref, logical_id)
        else:
            placeholders[physical.attrs["StreamArn"]] = logical_id
    queues = {
        assembly.physical(logical_id).attrs["Arn"]: assembly.physical(logical_id).ref
        for logical_id, _ in assembly.of_type("AWS::SQS::Queue")
    }
    found: list[StreamMapping] = []
    skipped: list[str] = []
    for logical_id, props in assembly.of_type("AWS::Lambda::EventSourceMapping"):
        arn = props.get("EventSourceArn", "")
        if arn in placeholders:
            skipped.append(f"{logical_id}: table {placeholders[arn]} has no StreamSpecification, so no stream")
            continue
        if arn not in streams:
            continue  # an SQS queue (local.pollers) or a source listed by the runtime as not emulated
        if props.get("Enabled") is False:
            skipped.append(f"{logical_id}: disabled in the template")
            continue
        table, _ = streams[arn]
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        found.append(
            StreamMapping(
                function=props["FunctionName"],
                table=table,
                stream_arn=arn,
                starting_position=str(props.get("StartingPosition", "LATEST")),
                batch_size=int(props.get("BatchSize", 100)),
                batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
                max_retries=int(props.get("MaximumRetryAttempts", -1)),
                on_failure=destination,
                on_failure_queue_url=queues.get(destination or ""),
                filters=tuple(f["Pattern"] for f in (props.get("FilterCriteria") or {}).get("Filters", [])),
            )
        )
        ignored = sorted(
            key for key in ("TumblingWindowInSeconds", "MaximumRecordAgeInSeconds") if props.get(key) not in (None, -1)
        )
        if props.get("ParallelizationFactor", 1) != 1:
            ignored.append("ParallelizationFactor")
        if ignored:
            skipped.append(f"{logical_id}: {', '.join(ignored)} not applied locally (the mapping runs without)")
    return found, skipped


def _wire(value: Any) -> Any:
    """An attribute value as Lambda's event carries it: botocore decoded binaries to bytes, JSON has base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    return value


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


def stream_event(mapping: StreamMapping, records: Sequence[dict[str, Any]], region: str) -> dict[str, Any]:
    """The event Lambda builds from stream records (same keys, casing and attribute value format)."""
    built = []
    for record in records:
        change = record["dynamodb"]
        dynamodb: dict[str, Any] = {"ApproximateCreationDateTime": int(_epoch(change["ApproximateCreationDateTime"]))}
        for key in ("Keys", "NewImage", "OldImage"):
            if key in change:
                dynamodb[key] = _wire(change[key])
        dynamodb |= {
            "SequenceNumber": change["SequenceNumber"],
            "SizeBytes": change["SizeBytes"],
            "StreamViewType": change["StreamViewType"],
        }
        built.append(
            {
                "eventID": record["eventID"],
                "eventName": record["eventName"],
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": region,
                "dynamodb": dynamodb,
                "eventSourceARN": mapping.stream_arn,
            }
        )
    return {"Records": built}


def _keys(records: Sequence[dict[str, Any]], most: int = 3) -> str:
    """The records' keys for a log line, e.g. `sku=MUG sk=LOC#mnl, ...`."""

    def one(record: dict[str, Any]) -> str:
        keys = record["dynamodb"].get("Keys", {})
        return " ".join(f"{name}={next(iter(value.values()), '')}" for name, value in sorted(keys.items()))

    shown = ", ".join(one(r) for r in records[:most])
    return shown + (f", and {len(records) - most} more" if len(records) > most else "")


def _iso(value: Any, millis: bool = False) -> str:
    moment = datetime.fromtimestamp(_epoch(value), UTC)
    if millis:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class _Pending:
    """A record read from the shard and not yet done with, and when the poller read it."""

    record: dict[str, Any]
    read_at: float

    @property
    def sequence_number(self) -> str:
        return str(self.record["dynamodb"]["SequenceNumber"])


class StreamPoller(PollingThread):
    """One DynamoDB stream mapping. `window` caps `MaximumBatchingWindowInSeconds` locally (None: the
    mapping's own); `retry_after` is the wait before a failed batch is delivered again."""

    idle_seconds = 0.25  # Lambda reads each shard four times a second

    def __init__(
        self,
        mapping: StreamMapping,
        registry: LambdaRegistry,
        region: str,
        window: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"stream-{mapping.function}", mapping.stream_arn)
        self.mapping = mapping
        self.registry = registry
        self.region = region
        self.window = mapping.batching_window if window is None else min(window, mapping.batching_window)
        self.retry_after = DEFAULT_RETRY_AFTER if retry_after is None else retry_after
        # botocore sends a request naming a stream ARN to the account's endpoint, which moto does not route.
        self._streams = boto3.client(
            "dynamodbstreams", region_name=region, config=Config(account_id_endpoint_mode="disabled")
        )
        self._sqs = boto3.client("sqs", region_name=region)
        from moto.events.models import EventPattern

        # Lambda's event filtering uses EventBridge's pattern syntax: moto's EventBridge matcher applies it.
        self._patterns = [EventPattern.load(pattern) for pattern in mapping.filters]
        shards = self._streams.describe_stream(StreamArn=mapping.stream_arn)["StreamDescription"].get("Shards", [])
        if len(shards) != 1:
            raise RuntimeError(f"{mapping.stream_arn}: {len(shards)} shards, the local runtime reads one")
        self.shard_id = shards[0]["ShardId"]
        self._after: str | None = None  # the sequence number of the last record read; None: the shard's start
        self._pending: list[_Pending] = []  # read, not yet done with: the batch being retried comes first
        # Sizes of the batches to deliver before batching afresh, first first: what a bisected batch was
        # split into, or the records a failed batch still holds. Always from the head of `_pending`.
        self._batches: list[int] = []
        self._attempts = 0  # failed invocations of the batch `_batches[0]`
        self._retry_at = 0.0
        if mapping.starting_position == "LATEST":  # the mapping starts now: what the stream holds is skipped
            while self._read():
                pass
            self._pending.clear()

    # -- reading ---------------------------------------------------------------------------------
    def _read(self) -> int:
        """Append what the shard holds after the last record read; returns how many records came.

        A fresh iterator each time, from the last sequence number read: moto replaces a table (its stream
        included) by a copy when a transaction fails, so an iterator kept across reads would go stale."""
        args: dict[str, Any] = {"StreamArn": self.mapping.stream_arn, "ShardId": self.shard_id}
        if self._after is None:
            args["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            args |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._after}
        iterator = self._streams.get_shard_iterator(**args)["ShardIterator"]
        answer = self._streams.get_records(ShardIterator=iterator, Limit=_READ_LIMIT)
        _forget_iterators(self.mapping.stream_arn, iterator, answer.get("NextShardIterator"))
        now = time.monotonic()
        records = answer.get("Records", [])
        # As Lambda filters: a record no pattern matches is passed over, never delivered nor retried.
        self._pending += [_Pending(dict(record), now) for record in records if self._wanted(record)]
        if records:
            self._after = str(records[-1]["dynamodb"]["SequenceNumber"])
        return len(records)

    def _wanted(self, record: dict[str, Any]) -> bool:
        if not self._patterns:
            return True
        (seen,) = stream_event(self.mapping, [record], self.region)["Records"]
        return any(pattern.matches_event(seen) for pattern in self._patterns)

    # -- delivering ------------------------------------------------------------------------------
    def poll_once(self) -> int:
        """Deliver the next batch if one is due; returns how many records the invocation carried."""
        if len(self._pending) < self.mapping.batch_size:
            self._read()
        if not self._pending:
            return 0
        now = time.monotonic()
        if self._batches:  # a failed batch, or half of a bisected one: delivered as it is, after the wait
            if now < self._retry_at:
                return 0
            size = self._batches[0]
        else:
            size = min(self.mapping.batch_size, len(self._pending))
            waiting = now - self._pending[0].read_at
            if size < self.mapping.batch_size and waiting < self.window:
                return 0  # the batching window is still open
            self._batches = [size]
        batch = [p.record for p in self._pending[:size]]
        self._deliver(batch)
        return len(batch)

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        try:
            result = self.registry.invoke(self.mapping.function, stream_event(self.mapping, batch, self.region))
        except LambdaCrash as crash:
            self._failed(batch, 0, crash)
            return
        if self.mapping.report_item_failures:
            sequence_numbers = [str(r["dynamodb"]["SequenceNumber"]) for r in batch]
            failed = reported_failures(result, sequence_numbers)
            if failed:
                first = min(i for i, number in enumerate(sequence_numbers) if number in failed)
                self._failed(batch, first, None)
                return
        self._done(len(batch))

    def _done(self, count: int) -> None:
        """The first `count` pending records are done with: the checkpoint moves past them."""
        del self._pending[:count]
        self._batches[0] -= count
        if self._batches[0] <= 0:
            self._batches.pop(0)
        self._attempts = 0

    def _failed(self, batch: list[dict[str, Any]], first: int, crash: LambdaCrash | None) -> None:
        """The invocation raised (`crash`) or reported records from `batch[first]` on as failed."""
        if first:
            self._done(first)  # the records before the first failure are done: it is now the batch's head
        remaining = batch[first:]
        self._attempts += 1
        self._retry_at = time.monotonic() + self.retry_after
        where = f"{len(remaining)} record(s) from {remaining[0]['dynamodb']['SequenceNumber']} ({_keys(remaining)})"
        if crash is not None and self.mapping.bisect_on_error and len(remaining) > 1:
            half = (len(remaining) + 1) // 2
            self._batches[0:1] = [half, len(remaining) - half]
            self._attempts = 0  # splitting a batch does not count as a retry
            self._log_failure(crash, f"{where} split in batches of {half} and {len(remaining) - half}")
            return
        exhausted = 0 <= self.mapping.max_retries < self._attempts
        if not exhausted:
            self._log_failure(crash, f"{where} retried (attempt {self._attempts + 1})")
            return
        self._log_failure(crash, f"{where} failed {self._attempts} time(s)")
        self._discard(remaining, crash)
        self._done(len(remaining))

    def _log_failure(self, crash: LambdaCrash | None, what: str) -> None:
        fn = self.mapping.function
        if crash is None:
            log.info("%s: batch item failures, %s", fn, what)
        elif crash.code is not None:  # an expected failure: one line (the function logged its own)
            log.info("%s: %s, %s", fn, crash.code, what)
        else:  # a bug: the registry printed its stack trace
            log.info("%s: %s, %s", fn, crash.error_type, what)

    def _discard(self, records: list[dict[str, Any]], crash: LambdaCrash | None) -> None:
        """Retries exhausted: the batch's description goes to the on-failure destination, as Lambda sends it."""
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if crash is not None:
            response["functionError"] = "Unhandled"
        description = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.registry.find(self.mapping.function).arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self._attempts,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": _iso(time.time(), millis=True),
            "DDBStreamBatchInfo": {
                "shardId": self.shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first["ApproximateCreationDateTime"]),
                "approximateArrivalOfLastRecord": _iso(last["ApproximateCreationDateTime"]),
                "batchSize": len(records),
                "streamArn": self.mapping.stream_arn,
            },
        }
        fn, what = self.mapping.function, f"{len(records)} record(s) from {first['SequenceNumber']}"
        if self.mapping.on_failure_queue_url is not None:
            self._sqs.send_message(QueueUrl=self.mapping.on_failure_queue_url, MessageBody=json.dumps(description))
            queue = self.mapping.on_failure_queue_url.rsplit("/", 1)[-1]
            log.warning("%s: gave up on %s after %d attempt(s), described on %s", fn, what, self._attempts, queue)
        elif self.mapping.on_failure is not None:
            log.warning(
                "%s: gave up on %s; on-failure destination %s is not emulated locally: %s",
                fn,
                what,
                self.mapping.on_failure,
                json.dumps(description),
            )
        else:
            log.warning("%s: gave up on %s after %d attempt(s) (no on-failure destination)", fn, what, self._attempts)


def _forget_iterators(stream_arn: str, *iterators: str | None) -> None:
    """Let go of used shard iterators: moto keeps every one it hands out (about a kilobyte each, two per
    read), in its backend and in the list of instances its dashboard reads, so a long `make run` would
    grow without end. On AWS they expire after 15 minutes."""
    from moto.dynamodbstreams.models import ShardIterator, dynamodbstreams_backends

    _, _, _, region, account, _ = stream_arn.split(":", 5)
    kept = dynamodbstreams_backends[account][region].shard_iterators
    for iterator in iterators:
        if iterator:
            kept.pop(iterator, None)
    tracked = getattr(ShardIterator, "instances_tracked", None)
    if isinstance(tracked, list):
        tracked.clear()
