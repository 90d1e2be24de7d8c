"""A hot sku's stock spread over buckets for a sale, and merged back when it ends (oms.domain.buckets)."""

from __future__ import annotations

from oms.domain import buckets
from oms.domain.errors import Conflict, NotFound
from oms.domain.models import StockLevel
from oms.ports.unit_of_work import CommitRefused, MoveToBuckets
from oms.services.deps import Deps

ATTEMPTS = 5


def set_buckets(deps: Deps, sku: str, location_id: str, count: int) -> StockLevel:
    """Spread what the record has available over `count` buckets (topping them up evenly; again later,
    units that came back since are spread too), or `count` 0: every bucket's units back to the record.
    Answers the level as readers see it. Buckets only ever hold units the record lent them."""
    buckets.check_count(count)
    for _ in range(ATTEMPTS):
        record = deps.uow.stock.level(sku, location_id)  # as stored, read consistently
        if record is None:
            raise NotFound(f"no stock of {sku} at {location_id}", code="stock_not_found")
        seen = deps.uow.stock.levels([sku], [location_id]).get((sku, location_id))
        moves = buckets.spread(record, seen.buckets if seen else {}, count)
        deps.uow.add(MoveToBuckets(sku, location_id, moves, count))
        try:
            deps.uow.commit()
        except CommitRefused:
            continue  # a sale drew from a bucket or the record moved since the read: spread again
        return deps.uow.stock.levels([sku], [location_id])[(sku, location_id)]
    raise Conflict(f"stock of {sku} at {location_id} is changing too fast; try again", code="stock_busy")
