"""The stock_health function on moto: stream records read as sales (not transfers, not reservations), folded
into health records; the daily run walks every level of every location."""

from __future__ import annotations

from typing import Any

import pytest

import oms.clock
from functions.stock_health import handler as stock_health
from oms import bootstrap
from oms.clock import rfc3339
from oms.ports.unit_of_work import MoveToBuckets
from oms.store import health as health_store
from oms.store import to_item
from tests.functions.conftest import AwsStack


def stream_record(old: dict[str, Any] | None, new: dict[str, Any], event: str = "MODIFY") -> dict[str, Any]:
    images = {"NewImage": to_item(new), "Keys": to_item({"sku": new["sku"], "sk": new["sk"]})}
    if old is not None:
        images["OldImage"] = to_item(old)
    return {"eventName": event, "eventSource": "aws:dynamodb", "dynamodb": images}


def level(on_hand: int, reserved: int, **extra: Any) -> dict[str, Any]:
    return {
        "sku": "A",
        "sk": "LOC#mnl",
        "location_id": "mnl",
        "on_hand": on_hand,
        "reserved": reserved,
        "available": on_hand - reserved,
        "updated_at": "2026-03-02T01:00:00Z",
        **extra,
    }


@pytest.mark.parametrize(
    ("old", "new", "sold"),
    [
        (level(5, 2), level(3, 0, last_move="sale"), 2),  # a shipment to a customer
        (level(5, 2), level(3, 0, last_move="transfer"), 0),  # a transfer left: no sale
        (level(5, 0), level(5, 2, last_move="sale"), 0),  # a reservation: nothing left the building
        (level(5, 0), level(2, 0, last_move="sale"), 0),  # a count or an adjustment down: not a sale
        (None, level(5, 0), 0),  # a new record
    ],
)
def test_a_stream_record_reads_as_the_change_it_made(old: Any, new: Any, sold: int) -> None:
    change = stock_health.stock_change(stream_record(old, new, "MODIFY" if old else "INSERT"))
    assert change is not None and (change.sold, change.on_hand, change.day) == (sold, new["on_hand"], "2026-03-02")


def test_records_that_are_not_stock_levels_are_skipped() -> None:
    audit = {"sku": "A", "sk": "ADJ#mnl#2026", "location_id": "mnl"}
    assert stock_health.stock_change(stream_record(None, audit, "INSERT")) is None


@pytest.mark.usefixtures("network")
def test_a_batch_of_sales_becomes_a_health_record_and_the_daily_run_reads_every_level(
    aws_stack: AwsStack, lambda_context: Any
) -> None:
    today = {"updated_at": rfc3339(oms.clock.clock.now())}
    sales = [stream_record(level(5 - n, 1, **today), level(4 - n, 0, last_move="sale", **today)) for n in range(4)]

    answer = stock_health.handler({"Records": sales}, lambda_context)

    assert answer["changes"] == 4
    record = health_store.get("A", "mnl")
    assert record is not None and sum(record.sold.values()) == 4 and record.status is not None
    daily = stock_health.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, lambda_context)
    assert daily["levels"] >= 6  # the network's stock levels, every location


@pytest.mark.usefixtures("network")
def test_a_hot_sku_spread_over_buckets_is_not_read_as_an_empty_shelf(aws_stack: AwsStack, lambda_context: Any) -> None:
    deps = bootstrap.aws()
    deps.uow.add(MoveToBuckets("A", "mnl", {0: 3, 1: 2}, 2))
    deps.uow.commit()
    # The record's image after the spread: all 5 lent, so 0 available on the record itself.
    spread = stream_record(level(5, 0), level(5, 5, buckets=2))

    assert stock_health.stock_change(spread).available == 0  # type: ignore[union-attr]
    (change,) = stock_health.with_buckets(deps, [stock_health.stock_change(spread)])  # type: ignore[list-item]
    assert change.available == 5
    stock_health.handler({"Records": [spread]}, lambda_context)
    record = health_store.get("A", "mnl")
    assert record is not None and record.status not in ("out", "low")


def test_an_image_of_keys_alone_is_skipped() -> None:
    keys_only = {"sku": "A", "sk": "LOC#mnl"}
    assert stock_health.stock_change(stream_record(None, keys_only, "INSERT")) is None
