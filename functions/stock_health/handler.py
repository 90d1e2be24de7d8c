"""Stock health: a batch of the inventory table's stream (stock records only, by the mapping's filter)
folded into each level's sales and status; or, from the daily schedule, every level assessed again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.coldstart import loading

with loading():
    from oms import bootstrap
    from oms.observability import logger, metrics, tracer
    from oms.services.stock_health import StockChange, recompute, record_changes
    from oms.store import config as config_store
    from oms.store import inventory as inventory_store

PAGE = 100
# DynamoDB's latency, not our work, is most of a daily run: four locations read at once (the bench's figure).
READERS = 4


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = bootstrap.aws()
    if "Records" in event:
        changes = with_buckets(deps, [change for record in event["Records"] if (change := stock_change(record))])
        news = record_changes(deps, changes)
        outcome = {"changes": len(changes), "announced": len(news)}
    else:  # the daily schedule's event: READERS locations at a time, each read page by page
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            runs = list(pool.map(_daily_run, [loc.location_id for loc in config_store.list_locations()]))
        news = [announced for _, made in runs for announced in made]
        outcome = {"levels": sum(levels for levels, _ in runs), "announced": len(news)}
    if news:
        metrics.add_metric(name="StockStatusChanges", unit="Count", value=len(news))
        logger.info("stock status changed", extra={"announced": news})
    return outcome


def _daily_run(location_id: str) -> tuple[int, list[str]]:
    """One location's levels assessed again, a page at a time (its own unit of work: one per thread)."""
    deps, levels, news, start = bootstrap.aws(), 0, [], None
    while True:
        page, start = inventory_store.levels_at(location_id, PAGE, start)
        levels += len(page)
        news += recompute(deps, page)
        if not start:
            return levels, news


def stock_change(record: dict[str, Any]) -> StockChange | None:
    """A stream record of a stock level as the change it made; `sold` counts units shipped to customers
    (on hand and reserved fell together, marked a sale: a transfer's shipment is no sale)."""
    images = inventory_store.stock_images(record)
    if images is None:
        return None
    new, old = images
    left = int(old.get("on_hand", 0)) - int(new.get("on_hand", 0))
    released = int(old.get("reserved", 0)) - int(new.get("reserved", 0))
    sold = left if old and left > 0 and released >= left and new.get("last_move") == "sale" else 0
    return StockChange(
        sku=str(new["sku"]),
        location_id=str(new["sk"]).removeprefix(inventory_store.STOCK),
        on_hand=int(new.get("on_hand", 0)),
        available=max(0, int(new.get("available", 0))),
        sold=sold,
        day=str(new.get("updated_at", ""))[:10],
        bucketed=int(new.get("buckets", 0) or 0) > 0,
    )


def with_buckets(deps: Any, changes: list[StockChange]) -> list[StockChange]:
    """A bucketed record's image counts the units it lent its buckets as reserved: its available is
    read again as readers see it (the buckets' units in it), so a spread is not an empty shelf."""
    hot = [c for c in changes if c.bucketed]
    if not hot:
        return changes
    levels = deps.uow.stock.levels({c.sku for c in hot}, {c.location_id for c in hot})
    return [
        replace(c, available=levels[(c.sku, c.location_id)].available)
        if c.bucketed and (c.sku, c.location_id) in levels
        else c
        for c in changes
    ]
