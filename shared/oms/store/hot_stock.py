"""The stock records of skus on sale, remembered for a second in this process.

A sku spread over buckets (oms.domain.buckets) sells from its buckets, each on a partition of its own;
but every checkout also read the sku's records, all on the sku's one partition: 3,000 read units a
second there made ~1,000 checkouts a second the sku's ceiling, whatever the buckets. During a sale the
records barely change (their units are lent to the buckets), so a process keeps them for TTL_S and reads
only the buckets, fresh, at each attempt. A record remembered is checked against its buckets: each
carries the time of the spread that last wrote it (`spread_at`); any that disagrees (spread again,
merged back) makes the reader forget the sku and read its records again. Skus without buckets are never
remembered. What a remembered record may miss for a second: units that came back to it (a cancel, a
receipt): sold once the second is over, or spread again.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

TTL_S = 1.0
_CAP = 10_000  # skus remembered at once, at most (expired ones are dropped first)

_lock = threading.Lock()
_records: dict[str, tuple[float, dict[str, dict[str, Any] | None]]] = {}  # sku -> (until, location -> record)


def recall(skus: Iterable[str], location_ids: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The remembered records of `skus` at `location_ids` (those that exist), and the skus to read instead."""
    now = time.monotonic()
    found: list[dict[str, Any]] = []
    rest: list[str] = []
    with _lock:
        for sku in skus:
            entry = _records.get(sku)
            if entry is None or entry[0] <= now or any(loc not in entry[1] for loc in location_ids):
                rest.append(sku)
                continue
            found += [record for loc in location_ids if (record := entry[1][loc]) is not None]
    return found, rest


def remember(records: list[dict[str, Any]], skus: Iterable[str], location_ids: list[str]) -> None:
    """Keep what was read of each of `skus` that has a bucketed record (its absent records too)."""
    read: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for record in records:
        read[str(record["sku"])][str(record["location_id"])] = record
    until = time.monotonic() + TTL_S
    with _lock:
        for sku in skus:
            held = read.get(sku, {})
            if any(int(r.get("buckets", 0) or 0) > 0 for r in held.values()):
                _records[sku] = (until, {loc: held.get(loc) for loc in location_ids})
        if len(_records) > _CAP:
            now = time.monotonic()
            for sku in [s for s, (expires, _) in _records.items() if expires <= now]:
                del _records[sku]


def forget(skus: Iterable[str]) -> None:
    with _lock:
        for sku in skus:
            _records.pop(sku, None)


def clear() -> None:
    """Forget everything (tests; the local runtime's stacks share this process)."""
    with _lock:
        _records.clear()
