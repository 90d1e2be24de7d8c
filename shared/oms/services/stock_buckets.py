"""A hot sku's stock spread over buckets for a sale, and merged back when it ends (oms.domain.buckets)."""

from __future__ import annotations

from oms.domain import buckets
from oms.domain.errors import Conflict, NotFound, OmsError
from oms.domain.models import StockLevel
from oms.ports.unit_of_work import CommitRefused, MoveToBuckets
from oms.services.deps import Deps

ATTEMPTS = 5


def set_buckets(deps: Deps, sku: str, location_id: str, count: int, until: str | None = None) -> StockLevel:
    """Spread what the record has available over `count` buckets (topping them up evenly; again later,
    units that came back since are spread too), or `count` 0: every bucket's units back to the record.
    `until`: when the sale ends, the sweeper merges them back (`end_sales`); a spread without it is merged by
    an operator. Answers the level as readers see it. Buckets only ever hold units the record lent them."""
    buckets.check_count(count)
    buckets.check_end(count, until, deps.now())
    for _ in range(ATTEMPTS):
        record = deps.uow.stock.level(sku, location_id)  # as stored, read consistently
        if record is None:
            raise NotFound(f"no stock of {sku} at {location_id}", code="stock_not_found")
        seen = deps.uow.stock.levels([sku], [location_id]).get((sku, location_id))
        moves = buckets.spread(record, seen.buckets if seen else {}, count)
        deps.uow.add(MoveToBuckets(sku, location_id, moves, count, until))
        try:
            deps.uow.commit()
        except CommitRefused:
            continue  # a sale drew from a bucket or the record moved since the read: spread again
        return deps.uow.stock.levels([sku], [location_id])[(sku, location_id)]
    raise Conflict(f"stock of {sku} at {location_id} is changing too fast; try again", code="stock_busy")


def end_sales(deps: Deps) -> list[str]:
    """Merge back every sale whose end has come (the sweeper, each minute); answers "sku@location" of each.
    One that cannot be merged now (its stock busy) is tried again at the next sweep: its end stays."""
    ended = []
    for sku, location_id in deps.uow.stock.sales_ended(deps.now()):
        try:
            set_buckets(deps, sku, location_id, 0)
        except OmsError:
            continue
        ended.append(f"{sku}@{location_id}")
    return ended
