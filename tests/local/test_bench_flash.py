"""The flash-sale benchmark, small: many buyers at once for a few units of one sku on the local stack.

What a shopper and a merchant rely on is checked, not the pace: exactly the units on hand are sold, never
one more; every buyer who missed out gets a 409 insufficient_stock (never a 5xx, never another code); the
stock left agrees with the orders (reserved = the units of the live shipments, available never negative).
"""

from __future__ import annotations

from pathlib import Path

from moto.dynamodb.responses import DynamoHandler

from bench import flash_sale

UNITS = 20
BUYERS = 120
THREADS = 8


def test_a_rush_of_buyers_buys_exactly_the_units_on_hand_and_the_rest_are_told_it_sold_out(cdk_out: Path) -> None:
    sale = flash_sale.run(buyers=BUYERS, threads=THREADS, units=UNITS, cdk_out=cdk_out)
    figures = flash_sale.figures(sale)

    assert figures["units_sold"] == UNITS
    assert figures["oversold"] == 0
    assert len(sale.results) == BUYERS
    assert sum(1 for buyer in sale.results if buyer.status == 201) == UNITS
    refused = [buyer for buyer in sale.results if buyer.status != 201]
    assert len(refused) == BUYERS - UNITS
    assert all(buyer.status < 500 for buyer in sale.results)
    assert {(buyer.status, buyer.code) for buyer in refused} == {(409, "insufficient_stock")}

    assert figures["workflows_settled"]
    assert figures["orders_of_sku_found"] == UNITS
    for location_id, row in figures["per_location"].items():
        assert row["reserved"] == row["live_shipment_units"], location_id
        assert row["available"] >= 0, location_id
        assert row["sold"] <= row["on_hand"], location_id
    assert sum(row["on_hand"] for row in figures["per_location"].values()) == UNITS
    assert figures["units_left"] == 0
    assert figures["invariant_holds"]

    # Every sale took at least one transaction, and the wrapper that counted them lives only for the run.
    assert all(buyer.attempts.transactions >= 1 for buyer in sale.results if buyer.status == 201)
    # Spread over buckets: no checkout wrote the sku's own partition, the sale's writes went to the buckets'
    # partitions (at most 8 per location), none of them took most; merged back, the figures are the same.
    assert figures["buckets_per_location"] == flash_sale.BUCKETS
    assert figures["items_on_sku_partition_per_transaction"] == {"0": figures["transactions"]}
    assert 2 < figures["stock_partitions_written"] <= flash_sale.BUCKETS * len(flash_sale.LOCATIONS)
    assert figures["busiest_stock_partition_share"] < 0.5
    assert figures["merged_back_unchanged"]
    # The sku's records are remembered for a second (oms.store.hot_stock): most levels reads touch only
    # the buckets' partitions, not the sku's own.
    assert figures["sku_partition_reads"] < figures["bucket_reads"] / 2
    assert "AttemptCounter" not in getattr(DynamoHandler.call_action, "__qualname__", "")
    assert "sold 20 of 20, oversold 0" in flash_sale.report(figures)
