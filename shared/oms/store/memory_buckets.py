"""The memory store's stock buckets, kept and guarded as the DynamoDB store keeps them
(oms.store.inventory: a record lends units to its buckets; a sale draws from one bucket alone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms.domain.buckets import merged
from oms.domain.models import StockLevel
from oms.ports import unit_of_work as uow


@dataclass
class BucketTables:
    bucket_counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (sku, location) -> buckets
    bucket_units: dict[tuple[str, str, int], int] = field(default_factory=dict)  # (sku, location, bucket)
    sales: dict[tuple[str, str], str] = field(default_factory=dict)  # (sku, location) -> the sale's end

    def sales_ended(self, now: str) -> list[tuple[str, str]]:
        return [pair for pair, until in sorted(self.sales.items(), key=lambda kv: kv[1]) if until <= now]

    def merged_level(self, record: StockLevel) -> StockLevel:
        n = self.bucket_counts.get((record.sku, record.location_id), 0)
        return merged(record, {k: self.bucket_units.get((record.sku, record.location_id, k), 0) for k in range(n)})


def bucket_item(write: uow.Write) -> tuple[str, ...] | None:
    """The item a bucket write touches (None: not one)."""
    match write:
        case uow.Reservation(sku=sku, location_id=loc, bucket=int(bucket)):
            return ("bucket", sku, loc, str(bucket))
        case uow.MoveToBuckets(sku=sku, location_id=loc):
            return ("stock", sku, loc)
    return None


def bucket_allowed(store: Any, write: uow.Write) -> bool | None:
    """`store`: the MemoryStore (its stock records and these tables)."""
    match write:
        case uow.Reservation(sku=sku, location_id=loc, delta=delta, bucket=int(bucket)):
            return delta > 0 and store.bucket_units.get((sku, loc, bucket), 0) >= delta
        case uow.MoveToBuckets(sku=sku, location_id=loc, moves=moves):
            record = store.stock.get((sku, loc))
            lent = sum(moves.values())
            if record is None or (lent > 0 and record.available < lent) or (lent < 0 and record.reserved < -lent):
                return False
            return all(store.bucket_units.get((sku, loc, k), 0) >= -units for k, units in moves.items() if units < 0)
    return None


def bucket_apply(store: Any, write: uow.Write) -> bool:
    match write:
        case uow.Reservation(sku=sku, location_id=loc, delta=delta, bucket=int(bucket)):
            store.bucket_units[(sku, loc, bucket)] -= delta
            return True
        case uow.MoveToBuckets(sku=sku, location_id=loc, moves=moves, buckets=buckets, until=until):
            store.stock[(sku, loc)].reserved += sum(moves.values())
            store.bucket_counts[(sku, loc)] = buckets
            if buckets and until:
                store.sales[(sku, loc)] = until
            else:
                store.sales.pop((sku, loc), None)
            for k, units in moves.items():
                store.bucket_units[(sku, loc, k)] = store.bucket_units.get((sku, loc, k), 0) + units
            return True
    return False
