"""The channel_stock function: a stream batch read as the skus whose `available` changed (stock records only,
not removals, not moto's images of keys alone), handed to the channels service; the schedule resyncs all."""

from __future__ import annotations

from typing import Any

import pytest

from functions.channel_stock import handler as channel_stock
from oms.services.deps import Deps
from tests.functions.conftest import AwsStack
from tests.functions.test_stock_health_stream import level, stream_record


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """What the handler asked of the channels service (tested on its own), in order."""
    made: list[tuple[str, Any]] = []

    def publish_changes(deps: Deps, skus: set[str]) -> dict[str, int]:
        made.append(("publish_changes", set(skus)))
        return {"channels": 2, "published": 2 * len(skus)}

    def resync_all(deps: Deps) -> dict[str, int]:
        made.append(("resync_all", None))
        return {"channels": 3, "published": 7}

    monkeypatch.setattr(channel_stock, "publish_changes", publish_changes)
    monkeypatch.setattr(channel_stock, "resync_all", resync_all)
    return made


def of(sku: str, on_hand: int, reserved: int, **extra: Any) -> dict[str, Any]:
    return level(on_hand, reserved, sku=sku, **extra)


@pytest.mark.usefixtures("aws_stack")
def test_a_batch_publishes_once_exactly_the_skus_whose_available_changed(
    calls: list[tuple[str, Any]], lambda_context: Any
) -> None:
    records = [
        stream_record(of("RESERVED", 5, 0), of("RESERVED", 5, 2)),  # a reservation: available 5 -> 3
        stream_record(of("RESERVED", 5, 2), of("RESERVED", 5, 3)),  # the same sku again: one publish
        stream_record(None, of("NEW", 4, 0), "INSERT"),  # a new level counts
        stream_record(of("SHIPPED", 5, 2), of("SHIPPED", 3, 0, last_move="sale")),  # available stays 3
        stream_record(of("COUNTED", 5, 0), of("COUNTED", 2, 0)),  # a count down: 5 -> 2
        stream_record(None, {"sku": "AUDIT", "sk": "ADJ#mnl#2026", "location_id": "mnl"}, "INSERT"),
        stream_record(None, {"sku": "KEYS", "sk": "LOC#mnl"}, "INSERT"),  # moto's image of keys alone
        {**stream_record(of("GONE", 5, 0), of("GONE", 5, 0)), "eventName": "REMOVE"},
    ]

    answer = channel_stock.handler({"Records": records}, lambda_context)

    assert calls == [("publish_changes", {"RESERVED", "NEW", "COUNTED"})]
    assert answer == {"records": 8, "skus": 3, "channels": 2, "published": 6}


@pytest.mark.usefixtures("aws_stack")
def test_a_batch_that_changed_no_available_figure_calls_no_channel(
    calls: list[tuple[str, Any]], lambda_context: Any
) -> None:
    records = [
        stream_record(of("SHIPPED", 5, 2), of("SHIPPED", 3, 0, last_move="sale")),
        stream_record(None, {"sku": "AUDIT", "sk": "ADJ#mnl#2026", "location_id": "mnl"}, "INSERT"),
    ]

    answer = channel_stock.handler({"Records": records}, lambda_context)

    assert calls == []
    assert answer["published"] == 0


@pytest.mark.parametrize(
    ("old", "new", "event", "sku"),
    [
        (of("A", 5, 0), of("A", 5, 1), "MODIFY", "A"),
        (None, of("A", 5, 0), "INSERT", "A"),
        (of("A", 5, 1), of("A", 4, 0, last_move="sale"), "MODIFY", None),
        (of("A", 5, 0), of("A", 5, 0), "REMOVE", None),
        (None, {"sku": "A", "sk": "HEALTH#mnl", "status": "low"}, "INSERT", None),
    ],
)
def test_a_stream_record_names_its_sku_only_when_available_changed(
    old: Any, new: dict[str, Any], event: str, sku: str | None
) -> None:
    assert channel_stock.changed_sku(stream_record(old, new, event)) == sku


def bucket(available: int) -> dict[str, Any]:
    return {"sku": "A#mnl#B3", "sk": "BUCKET#mnl", "of_sku": "A", "location_id": "mnl", "available": available}


def test_a_sale_from_a_hot_skus_bucket_names_its_sku_and_a_bucket_left_as_it_was_does_not() -> None:
    assert channel_stock.changed_sku(stream_record(bucket(4), bucket(3))) == "A"
    assert channel_stock.changed_sku(stream_record(None, bucket(3), "INSERT")) == "A"
    assert channel_stock.changed_sku(stream_record(bucket(3), bucket(3))) is None


def test_a_removal_is_ignored_even_with_a_new_image() -> None:
    removed = stream_record(of("A", 5, 0), of("A", 4, 0), "REMOVE")
    assert channel_stock.changed_sku(removed) is None


@pytest.mark.usefixtures("aws_stack")
def test_the_scheduled_event_resyncs_every_channel(
    aws_stack: AwsStack, calls: list[tuple[str, Any]], lambda_context: Any
) -> None:
    answer = channel_stock.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, lambda_context)

    assert calls == [("resync_all", None)]
    assert answer == {"channels": 3, "published": 7}


@pytest.mark.usefixtures("aws_stack")
def test_each_run_logs_its_counts_and_the_published_metric(
    calls: list[tuple[str, Any]],
    lambda_context: Any,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level("INFO"):
        channel_stock.handler({"Records": [stream_record(of("A", 5, 0), of("A", 5, 1))]}, lambda_context)

    (line,) = [r for r in caplog.records if r.getMessage() == "channel stock published"]
    assert (line.levelname, getattr(line, "published", None), getattr(line, "channels", None)) == ("INFO", 2, 2)
    assert '"ChannelStockPublished":[2.0]' in capsys.readouterr().out  # the metric, in EMF
