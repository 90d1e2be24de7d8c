"""The channels benchmark, small: a burst of stock changes heard by two marketplaces over signed HTTP.

What a merchant relies on is checked, not the pace: every channel ends with the right figure for every sku (at
the marketplace and in `GET /v1/admin/channels/{id}/stock`, acknowledged); every publication is signed and a
(channel, sku) never hears an older figure after a newer one; the burst is coalesced (fewer figures sent than
changes x channels); every change that moved a figure is matched to the publication that carries it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from moto.dynamodb.responses import DynamoHandler

from bench import channel_publish
from bench.cost import PRICES_PATH

SKUS = 10
CHANNELS = 2
CHANGES = 60


def test_a_burst_of_stock_changes_reaches_every_channel_signed_ordered_coalesced_and_right(cdk_out: Path) -> None:
    if not PRICES_PATH.exists():  # it prices what it meters (tests/e2e/test_channels.py checks the figures too)
        pytest.skip("../shared/aws-prices.json is not beside the repository")
    run = channel_publish.run(skus=SKUS, channels=CHANNELS, changes=CHANGES, threads=4, cdk_out=cdk_out)
    figures = channel_publish.figures(run)

    assert figures["changes_ok"] == CHANGES and figures["settled"]
    ok = figures["correctness"]
    assert ok["channel_sku_pairs"] == SKUS * CHANNELS
    # Every channel ends with the right figure for every sku, at the marketplace and as the API shows it.
    assert ok["wrong_final_at_receiver"] == 0 and ok["wrong_final_in_api"] == 0 and ok["unacknowledged_final"] == 0
    for channel_id, per_sku in run.expected.items():
        assert {sku: run.told[channel_id][sku]["quantity"] for sku in run.skus} == {
            sku: offers[-1] for sku, offers in per_sku.items()
        }

    # Signed, and in order: per (channel, sku) the receiver's figures never go back up (on_hand only falls).
    stock_calls = [c for c in run.calls if c.type == "marketplace.stock"]
    assert stock_calls and all(c.signed for c in run.calls) and ok["unsigned_requests"] == 0
    heard: dict[tuple[str, str], list[int]] = {}
    for call in sorted(stock_calls, key=lambda c: c.at):
        for sku, quantity in call.body["data"]["quantities"].items():
            heard.setdefault((call.body["data"]["channel_id"], sku), []).append(quantity)
    for (channel_id, sku), quantities in heard.items():
        assert quantities == sorted(quantities, reverse=True), (channel_id, sku, quantities)
        assert set(quantities) <= set(run.expected[channel_id][sku]), (channel_id, sku, quantities)
    assert ok["out_of_order_pairs"] == 0 and ok["unexpected_figures"] == 0 and ok["all_right"]

    # Coalesced: fewer figures (and far fewer calls) than changes x channels.
    assert figures["figures_sent"] < CHANGES * CHANNELS
    assert figures["marketplace_calls"] < figures["figures_sent"]

    # Every (channel, change) that moved the channel's figure is matched to a publication carrying it.
    latency = figures["latency"]
    assert latency["unmatched_pairs"] == 0 and latency["unexplained_figures"] == 0
    assert latency["measured_pairs"] + latency["unmoved_pairs"] == CHANGES * CHANNELS
    assert figures["usd_per_1000_changes"] > 0

    # The commit clock around moto lives only for the run.
    assert "CommitClock" not in getattr(DynamoHandler.call_action, "__qualname__", "")
    assert "correct: True" in channel_publish.report(figures)
