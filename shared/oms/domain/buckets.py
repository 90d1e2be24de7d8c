"""Stock buckets: a hot sku's units at one location split over several counters, for a sale.

One (sku, location) stock record takes about 500 transactional writes a second (one DynamoDB partition's
1,000 write units, 2 a transactional write), and conflicting transactions on one item far fewer. For a
flash sale an operator spreads the record's available units over N bucket counters that live on other
partitions; a checkout then reserves from a bucket (one conditional update of that bucket alone), so N
buckets take N times the rush.

The record keeps the units it lent as `reserved`: `record.reserved = units of live shipments + units
still in its buckets`. A bucket's units are reserved already, so drawing from one changes nothing on the
record, and a shipment's units then count as reserved there as any other's: shipping, releasing and
re-routing work on the record as always. Readers see the sum (`merged`): `reserved` = the live
shipments' units, `available` = the record's plus the buckets'. Units only move between the record and
its buckets, in one transaction that debits one side and credits the other, so none is created; each
bucket's own condition (`available >= q`) keeps it from going below zero, so the sum is never oversold.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from oms.domain.errors import Unprocessable
from oms.domain.models import StockLevel

MAX_BUCKETS = 32  # a spread or merge is one transaction: the record and every bucket (DynamoDB: 100 items)


def check_count(buckets: int) -> None:
    if not 0 <= buckets <= MAX_BUCKETS:
        raise Unprocessable(f"buckets must be between 0 and {MAX_BUCKETS}, got {buckets}", code="invalid_buckets")


def check_end(buckets: int, until: str | None, now: str) -> None:
    """A sale's end is for a spread (not a merge), and later than now (RFC 3339 UTC strings compare as times)."""
    if until is None:
        return
    if not buckets:
        raise Unprocessable("a merge has no end; give `until` with buckets", code="invalid_sale_end")
    if until <= now:
        raise Unprocessable(f"the sale's end {until} is not after now ({now})", code="invalid_sale_end")


def merged(record: StockLevel, buckets: Mapping[int, int]) -> StockLevel:
    """The level readers see: the record with its buckets' units counted available, not reserved."""
    if not buckets:
        return record
    lent = sum(buckets.values())
    return record.model_copy(update={"reserved": record.reserved - lent, "buckets": dict(buckets)})


def record_available(level: StockLevel) -> int:
    """What the record itself can still reserve, beside its buckets (a merged level's figures)."""
    return level.available - sum(level.buckets.values())


def draw(level: StockLevel, quantity: int, rng: random.Random | None = None) -> list[tuple[int | None, int]]:
    """Where `quantity` units of a merged level are reserved: (bucket, units), None for the record.

    One bucket that has them all, picked at random so that concurrent buyers spread over the buckets;
    else the fullest buckets first (a big order near sell-out), and the record last. The figures are as
    read: a bucket emptied since refuses its update, and checkout plans again.
    """
    rng = rng or random.Random()  # noqa: S311 - spreading load, not security
    stocked = [k for k, units in level.buckets.items() if units > 0]
    whole = [k for k in stocked if level.buckets[k] >= quantity]
    if whole:
        return [(rng.choice(whole), quantity)]
    draws: list[tuple[int | None, int]] = []
    left = quantity
    for k in sorted(stocked, key=lambda k: -level.buckets[k]):
        take = min(left, level.buckets[k])
        draws.append((k, take))
        left -= take
        if not left:
            return draws
    if left:
        draws.append((None, left))
    return draws


def spread(record: StockLevel, current: Mapping[int, int], buckets: int) -> dict[int, int]:
    """Units to move from the record into each of `buckets` buckets (negative: back to the record), so
    that the record keeps nothing available and the buckets hold what it had, as evenly as it goes;
    `buckets` 0 moves every bucket's units back (the rush is over). `record` is the record as stored."""
    check_count(buckets)
    moves = {k: -units for k, units in current.items() if k >= buckets and units}
    if not buckets:
        return moves
    # Every unit available, on the record or in any bucket (those past the new count give theirs up).
    total = max(0, record.on_hand - record.reserved - record.safety_stock) + sum(current.values())
    share, extra = divmod(total, buckets)
    for k in range(buckets):
        target = share + (1 if k < extra else 0)
        if target != current.get(k, 0):
            moves[k] = target - current.get(k, 0)
    return moves
