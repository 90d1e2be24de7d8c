"""The stock-health benchmark runs and its figures add up (its speed is `make bench`'s to judge)."""

from __future__ import annotations

from bench import stock_health


def test_the_health_benchmark_assesses_every_level_and_prices_its_reads_and_writes() -> None:
    figures = stock_health.run(skus=20, locations=5)

    assert figures["levels"] == 100 and sum(figures["statuses"].values()) == 100
    assert 0 <= figures["status_changes"] <= 100 and figures["write_units"] == figures["status_changes"]
    assert figures["read_units"] >= 100  # a stock and a health record per level, half a unit each
    assert "stock health daily run" in stock_health.report(figures)
