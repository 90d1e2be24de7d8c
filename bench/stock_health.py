"""The daily stock-health run at scale: 10,000 skus x 50 locations with 90 days of sales history.

What is measured: the run's own work (each level's weighted sales rate, days of cover and status with
hysteresis, and per sku the suggestions across its 50 locations) over pages of 100 levels, as the
stock_health function reads them, in one process; its time and its peak memory (tracemalloc). What is
counted: the DynamoDB units such a run consumes (reads of the keys-only index, the stock records and the
health records; writes only where a status changed), priced with ../shared/aws-prices.json. DynamoDB's
latency itself is not in the time (the run here reads no table): the note says what it adds.

And the cost of keeping health current on the write path: checkout writes nothing more (the stream
carries its changes), and a shipment at most one health record write (the stream batch that saw it).
"""

from __future__ import annotations

import json
import math
import random
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from oms.domain import health

SECTION = "stock_health"
SKUS, LOCATIONS, HISTORY_DAYS, PAGE = 10_000, 50, 90, 100
TODAY = date(2026, 3, 2)
PRICES = Path(__file__).resolve().parents[2] / "shared" / "aws-prices.json"
# Item sizes as stored (bytes): a stock record, a health record with 28 days of sales, an index key.
STOCK_ITEM, HEALTH_ITEM, INDEX_KEY = 180, 620, 60
LOCATION_TYPES = ("warehouse", "store", "store", "showroom", "3pl")


RATES = (0.0, 0.05, 0.3, 1.0, 4.0)


def _histories(rng: random.Random, per_rate: int = 200) -> list[list[dict[str, int]]]:
    """For each rate, `per_rate` histories of 90 days of units sold a day around it, as a record keeps
    them (the last 28 days); the run samples from these rather than drawing 45 million days."""
    pools = []
    for rate in RATES:
        pool = []
        for _ in range(per_rate):
            sold = {}
            for age in range(HISTORY_DAYS):
                units = int(rate * 2 * rng.random() + 0.5) if rate else 0
                if units:
                    sold[(TODAY - timedelta(days=age)).isoformat()] = units
            pool.append(health.recent(sold, TODAY))
        pools.append(pool)
    return pools


def run(skus: int = SKUS, locations: int = LOCATIONS, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    policies = [health.policy_for(LOCATION_TYPES[n % len(LOCATION_TYPES)]) for n in range(locations)]
    pools = _histories(rng)
    statuses: dict[str, int] = {}
    changed = suggestions = levels = 0
    tracemalloc.start()
    seconds = 0.0
    for sku in range(skus):
        # One sku's 50 levels as the store would hand them over (not timed: that is the data, not the run).
        rows = []
        for n in range(locations):
            on_hand = rng.randint(0, 200)
            sold = rng.choice(rng.choice(pools))
            available = max(0, on_hand - rng.randint(0, 5))
            # Yesterday's verdict on the same stock: what the run compares with (a day's decay changes few).
            yesterday = health.Level(
                f"SKU-{sku}",
                f"loc-{n}",
                on_hand,
                available,
                0,
                health.daily_sales(sold, TODAY - timedelta(days=1)),
                policies[n],
            )
            rows.append((n, on_hand, available, rng.choice((0, 0, 0, 20)), sold, health.status(yesterday)))
        started = time.perf_counter()
        page = [
            health.Level(
                sku=f"SKU-{sku}",
                location_id=f"loc-{n}",
                on_hand=on_hand,
                available=available,
                incoming=incoming,
                daily_sales=health.daily_sales(sold, TODAY),
                policy=policies[n],
                previous=previous,
            )
            for n, on_hand, available, incoming, sold, previous in rows
        ]
        verdicts = health.assess(page)  # suggestions look across the sku's locations
        seconds += time.perf_counter() - started
        for verdict, level in zip(verdicts, page, strict=True):
            statuses[verdict.status] = statuses.get(verdict.status, 0) + 1
            changed += verdict.status != level.previous
            suggestions += verdict.suggestion is not None
        levels += len(page)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return _figures(levels, seconds, peak, changed, suggestions, statuses)


def _figures(
    levels: int, seconds: float, peak: int, changed: int, suggestions: int, statuses: dict[str, int]
) -> dict[str, Any]:
    prices = json.loads(PRICES.read_text()) if PRICES.exists() else {}
    read_price = prices.get("dynamodb_on_demand_per_million_read_request_units", 0.125)
    write_price = prices.get("dynamodb_on_demand_per_million_write_request_units", 0.625)
    # Eventually consistent reads: half a unit per 4 KB. The index is read as keys in 1 MB pages; stock and
    # health records in BatchGetItem calls of 100 (each item rounds up to 4 KB on its own).
    index_rru = math.ceil(levels * INDEX_KEY / 4096) * 0.5
    record_rru = levels * 0.5 * 2
    write_wru = changed * math.ceil(HEALTH_ITEM / 1024)
    calls = levels / PAGE * 3
    return {
        "skus": levels // LOCATIONS if levels >= LOCATIONS else levels,
        "levels": levels,
        "seconds": round(seconds, 1),
        "peak_mb": round(peak / 2**20, 1),
        "statuses": statuses,
        "status_changes": changed,
        "suggestions": suggestions,
        "read_units": int(index_rru + record_rru),
        "write_units": write_wru,
        "dynamodb_calls": int(calls),
        "usd_per_run": round((index_rru + record_rru) / 1e6 * read_price + write_wru / 1e6 * write_price, 4),
        # Paged reads of ~10 ms each, four at a time in the function, add about this much to a run.
        "dynamodb_seconds_at_4_concurrent": round(calls * 0.010 / 4, 1),
        "extra_writes_per_checkout": 0,
        "extra_writes_per_shipment": 1,
        "meets_targets": seconds < 60 and peak < 512 * 2**20,
    }


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"stock health daily run ({figures['levels']:,} levels; targets: < 60 s, < 512 MB)",
        f"  compute            {figures['seconds']} s, peak {figures['peak_mb']} MB",
        f"  statuses           {figures['statuses']}",
        f"                     {figures['status_changes']:,} changed, {figures['suggestions']:,} suggestions",
        f"  dynamodb           {figures['read_units']:,} RRU + {figures['write_units']:,} WRU"
        f" = ${figures['usd_per_run']} a run, {figures['dynamodb_calls']:,} calls"
        f" (~{figures['dynamodb_seconds_at_4_concurrent']} s at 4 concurrent)",
        f"  on the write path  checkout +{figures['extra_writes_per_checkout']} writes,"
        f" shipment <= +{figures['extra_writes_per_shipment']} (off the path, by the stream)",
        f"  meets targets      {figures['meets_targets']}",
    ]
    return "\n".join(lines)
