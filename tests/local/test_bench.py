"""The checkout benchmark runs end to end on the local stack and reports its figures.

Only the shape of the result and the success of every checkout are checked here: the round-trip
target and the speed are the benchmark's to judge (`make bench`), not a test's.
"""

from __future__ import annotations

from pathlib import Path

from moto.dynamodb.responses import DynamoHandler

from bench import checkout_round_trips

CHECKOUTS = 10


def test_checkout_benchmark_measures_every_checkout(cdk_out: Path) -> None:
    bench = checkout_round_trips.run(checkouts=CHECKOUTS, warmup=1, cdk_out=cdk_out)

    assert bench.warmup == [201]
    assert [sample.status for sample in bench.samples] == [201] * CHECKOUTS, [
        (sample.status, sample.order_id) for sample in bench.samples
    ]
    assert all(sample.order_id for sample in bench.samples)
    for sample in bench.samples:
        assert sample.round_trips >= 1  # the per-thread counter saw the checkout's DynamoDB calls
        assert sample.round_trips == sum(sample.actions.values()) == sum(sample.actions_by_table.values())
        assert sample.latency_ms > 0

    figures = bench.figures()
    assert figures["checkouts"] == CHECKOUTS
    assert figures["statuses"] == {"201": CHECKOUTS}
    for key in ("dynamodb_round_trips_median", "dynamodb_round_trips_p99", "latency_ms_median", "latency_ms_p99"):
        assert isinstance(figures[key], int | float), key
    assert figures["dynamodb_round_trips_median"] <= figures["dynamodb_round_trips_p99"]
    assert figures["latency_ms_median"] <= figures["latency_ms_p99"]
    assert sum(figures["actions"].values()) == sum(sample.round_trips for sample in bench.samples)
    assert isinstance(figures["target"]["met"], bool)
    assert "checkout:" in checkout_round_trips.report(bench)
    # The counting wrapper lives only for the run.
    assert "ThreadCounter" not in getattr(DynamoHandler.call_action, "__qualname__", "")
