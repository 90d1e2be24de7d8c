"""SQS event source mappings as pollers: batches, partial batch failures, visibility and redrive as Lambda does."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from local.assembly import Assembly
from local.lambdas import LambdaCrash, LambdaRegistry

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

log = logging.getLogger("oms.local.sqs")


@dataclass(frozen=True)
class Mapping:
    function: str
    queue_arn: str
    queue_url: str
    batch_size: int
    report_item_failures: bool
    visibility_timeout: int


def mappings(assembly: Assembly) -> list[Mapping]:
    queues = {
        assembly.physical(logical_id).attrs["Arn"]: (assembly.physical(logical_id).ref, props)
        for logical_id, props in assembly.of_type("AWS::SQS::Queue")
    }
    found = []
    for _, props in assembly.of_type("AWS::Lambda::EventSourceMapping"):
        arn = props.get("EventSourceArn", "")
        if arn not in queues:
            continue  # not an SQS source; listed by the runtime as not emulated
        url, queue_props = queues[arn]
        found.append(
            Mapping(
                function=props["FunctionName"],
                queue_arn=arn,
                queue_url=url,
                batch_size=int(props.get("BatchSize", 10)),
                report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                visibility_timeout=int(queue_props.get("VisibilityTimeout", 30)),
            )
        )
    return found


def sqs_event(mapping: Mapping, messages: Sequence[MessageTypeDef], region: str) -> dict[str, Any]:
    """The event Lambda builds from received messages (same keys and casing)."""
    records = []
    for message in messages:
        attributes = message.get("Attributes", {})
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
                    "SenderId": attributes.get("SenderId", "local"),
                    "ApproximateFirstReceiveTimestamp": attributes.get(
                        "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
                    ),
                },
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
                "eventSource": "aws:sqs",
                "eventSourceARN": mapping.queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def _order_ids(messages: Sequence[MessageTypeDef]) -> list[str]:
    """The order ids the messages name (a partner event's data, an order event's detail), for the log."""
    found: dict[str, None] = {}

    def visit(value: Any, depth: int) -> None:
        if isinstance(value, dict) and depth < 4:
            if isinstance(value.get("order_id"), str):
                found[value["order_id"]] = None
            for item in value.values():
                visit(item, depth + 1)

    for message in messages:
        try:
            visit(json.loads(message["Body"]), 0)
        except ValueError:
            continue
    return list(found)


class PollingThread:
    """A daemon thread calling `poll_once` until stopped, idling briefly when there was nothing to do.
    Shared by the SQS pollers here and the DynamoDB stream pollers (`local.streams`)."""

    idle_seconds = 0.05

    def __init__(self, name: str, source: str) -> None:
        self._source = source  # what is polled, for the log
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        """Wait for a poll in progress to end: a batch delivered after the stack's mock stopped would call AWS."""
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once():
                    self._stop.wait(self.idle_seconds)
            except Exception:  # the poller must outlive any one bad batch
                log.exception("polling %s failed", self._source)
                self._stop.wait(1)

    def poll_once(self) -> int:
        raise NotImplementedError


def reported_failures(result: Any, ids: Sequence[str]) -> set[str]:
    """The ids a ReportBatchItemFailures response names as failed (`ids`: those of the batch). As Lambda
    does, an unknown, empty or missing identifier fails the whole batch; no failures is a success."""
    if not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    if not isinstance(failures, list):
        return set(ids)
    failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    if not failed <= set(ids):
        return set(ids)
    return {str(i) for i in failed}


class Poller(PollingThread):
    """One event source mapping. `retry_after` shortens the wait before a failed message is seen again
    (local only, so tests need not wait a full visibility timeout); None keeps the queue's timeout."""

    def __init__(self, mapping: Mapping, registry: LambdaRegistry, region: str, retry_after: int | None = None) -> None:
        super().__init__(f"poller-{mapping.function}", mapping.queue_url)
        self.mapping = mapping
        self.registry = registry
        self.region = region
        self.retry_after = retry_after
        self._sqs = boto3.client("sqs", region_name=region)

    def poll_once(self) -> int:
        """Receive one batch and deliver it; returns how many messages were received."""
        received = self._sqs.receive_message(
            QueueUrl=self.mapping.queue_url,
            MaxNumberOfMessages=min(self.mapping.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=self.mapping.visibility_timeout,
        ).get("Messages", [])
        if not received:
            return 0
        event = sqs_event(self.mapping, received, self.region)
        try:
            result = self.registry.invoke(self.mapping.function, event)
        except LambdaCrash as crash:
            failed = {m["MessageId"] for m in received}  # the whole batch returns to the queue
            if crash.code is not None:  # e.g. a "delivered" before its "packed": retried, not a bug
                orders = " ".join(_order_ids(received)) or "no order"
                back = f"{len(received)} message(s) back to the queue"
                log.info("%s: %s, %s (%s)", self.mapping.function, crash.code, back, orders)
        else:
            failed = self._failed_ids(result, received)
        for message in received:
            if message["MessageId"] in failed:
                if self.retry_after is not None:
                    self._sqs.change_message_visibility(
                        QueueUrl=self.mapping.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=min(self.retry_after, self.mapping.visibility_timeout),
                    )
            else:
                self._sqs.delete_message(QueueUrl=self.mapping.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(received)

    def _failed_ids(self, result: Any, received: Sequence[MessageTypeDef]) -> set[str]:
        if not self.mapping.report_item_failures:
            return set()
        return reported_failures(result, [m["MessageId"] for m in received])
