"""Stock health kept current: every change of a stock record (read from the table's stream, off the
checkout's path) updates its sales and status; a daily run lets rates decay for what stopped selling;
each change of status is announced once (bus, storefront webhooks, the ERP)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from oms.domain import health
from oms.domain.geo import Point
from oms.domain.health import Health, Level, Record
from oms.domain.models import StockLevel
from oms.ports.erp import ErpEvent
from oms.ports.unit_of_work import CommitRefused, SaveHealth
from oms.services.deps import Deps

ATTEMPTS = 5
OVERRIDES = ("reorder_point", "max_days_of_cover", "lead_time_days", "target_days_of_cover")


@dataclass(frozen=True)
class StockChange:
    """A stock record as one write left it; `sold` units of it shipped to customers on `day`."""

    sku: str
    location_id: str
    on_hand: int
    available: int
    sold: int = 0
    day: str = ""
    bucketed: bool = False  # a hot sku's record: its units in buckets are not in `available` (domain.buckets)


def record_changes(deps: Deps, changes: Sequence[StockChange]) -> list[str]:
    """Fold a batch of changes into each (sku, location)'s record; answers the announcements made.
    Only the latest figures of a batch count: a burst of changes is assessed (and announced) once."""
    latest: dict[tuple[str, str], StockChange] = {}
    sold: dict[tuple[str, str], dict[str, int]] = {}
    for change in changes:
        key = (change.sku, change.location_id)
        latest[key] = change
        if change.sold:
            by_day = sold.setdefault(key, {})
            by_day[change.day] = by_day.get(change.day, 0) + change.sold
    news = []
    for key, change in latest.items():
        announced = _reassess(deps, change.sku, change.location_id, change.on_hand, change.available, sold.get(key, {}))
        if announced:
            news.append(announced)
    return news


def recompute(deps: Deps, levels: Sequence[StockLevel]) -> list[str]:
    """The daily run over a page of levels: rates decay, statuses follow; answers the announcements made.
    The page's records are read in one batch; only a level whose status changed is written."""
    records = deps.uow.health.many([(level.sku, level.location_id) for level in levels])
    news = []
    for level in levels:
        record = records.get((level.sku, level.location_id))
        announced = _reassess(deps, level.sku, level.location_id, level.on_hand, level.available, {}, record)
        if announced:
            news.append(announced)
    return news


def set_overrides(deps: Deps, sku: str, location_id: str, overrides: dict[str, float | None]) -> Record:
    """A level's own reorder point or maximum cover (None: back to the product's or the location type's)."""
    for _ in range(ATTEMPTS):
        record = deps.uow.health.get(sku, location_id) or Record(sku=sku, location_id=location_id)
        version = record.version
        for name, value in overrides.items():
            if value is None:
                record.overrides.pop(name, None)
            else:
                record.overrides[name] = value
        record.updated_at = deps.now()
        if _saved(deps, record, version):
            return record
    raise CommitRefused(conflict=True)


def note_count(deps: Deps, sku: str, location_id: str, shortage: int) -> None:
    """A count's shortage (units promised to orders that the count did not find; 0 clears it), kept on
    the level's record for operators and announced once when it appears or grows."""
    for _ in range(ATTEMPTS):
        record = deps.uow.health.get(sku, location_id) or Record(sku=sku, location_id=location_id)
        if record.shortage == shortage:
            return
        version, grew = record.version, shortage > record.shortage
        record.shortage, record.updated_at = shortage, deps.now()
        if _saved(deps, record, version):
            if grew:
                detail = {"sku": sku, "location_id": location_id, "shortage": shortage}
                deps.publisher.announce([("stock.shortage", detail)])
            return
    raise CommitRefused(conflict=True)


def report(deps: Deps, sku: str) -> list[Health]:
    """Every location's health of one sku, with suggestions across them (what an operator reads)."""
    levels = deps.uow.stock.levels([sku], [loc.location_id for loc in deps.uow.config.locations()])
    records = {r.location_id: r for r in deps.uow.health.of_sku(sku)}
    incoming = _incoming(deps, sku)
    kept = {
        lv.location_id: records.get(lv.location_id) or Record(sku=sku, location_id=lv.location_id)
        for lv in levels.values()
    }
    assessed = health.assess(
        [_level(deps, kept[lv.location_id], lv.on_hand, lv.available, incoming) for lv in levels.values()]
    )
    reserved = {lv.location_id: lv.reserved for lv in levels.values()}
    return [replace(h, shortage=kept[h.location_id].shortage, reserved=reserved[h.location_id]) for h in assessed]


def _reassess(
    deps: Deps,
    sku: str,
    location_id: str,
    on_hand: int,
    available: int,
    sold: dict[str, int],
    read: Record | None = None,
) -> str | None:
    """`read`: the record as a batch just read it (else it is read here); a retry reads it again."""
    for attempt in range(ATTEMPTS):
        known = read if attempt == 0 and read is not None else deps.uow.health.get(sku, location_id)
        record = known or Record(sku=sku, location_id=location_id)
        version = record.version
        for day, units in sold.items():
            record.sold[day] = record.sold.get(day, 0) + units
        record.sold = health.recent(record.sold, deps.clock.now().date())
        level = _level(deps, record, on_hand, available, {})  # what is coming changes no status
        grade = health.status(level)
        news = health.announcement(record.status, grade)
        if not sold and grade == record.status:
            return None  # nothing to keep, nothing to say
        if record.status is None and grade == "ok":
            news = None  # a first look that finds nothing wrong is no news
        record.status, record.updated_at = grade, deps.now()
        if not _saved(deps, record, version):
            continue  # another batch moved it first: decide again on what it left
        if news:
            _announce(deps, news, level, grade)
        return news
    raise CommitRefused(conflict=True)


def _saved(deps: Deps, record: Record, version: int) -> bool:
    deps.uow.add(SaveHealth(record, version))
    try:
        deps.uow.commit()
    except CommitRefused as refused:
        if refused.conflict or refused.only(SaveHealth):
            return False
        raise
    return True


def _incoming(deps: Deps, sku: str) -> dict[str, int]:
    coming: dict[str, int] = {}
    for lot in deps.uow.supply.incoming([sku]):
        coming[lot.location_id] = coming.get(lot.location_id, 0) + lot.quantity
    return coming


def _level(deps: Deps, record: Record, on_hand: int, available: int, incoming: dict[str, int]) -> Level:
    today = deps.clock.now().date()
    record.since = record.since or today.isoformat()
    location = deps.uow.config.location(record.location_id)
    product = deps.uow.config.products([record.sku]).get(record.sku)
    product_overrides = {name: getattr(product, name, None) for name in OVERRIDES} if product else None
    return Level(
        sku=record.sku,
        location_id=record.location_id,
        on_hand=on_hand,
        available=available,
        incoming=incoming.get(record.location_id, 0),
        daily_sales=health.daily_sales(record.sold, today),
        policy=health.policy_for(location.type if location else "warehouse", product_overrides, record.overrides),
        where=Point(location.lat, location.lon) if location else None,
        previous=record.status,
        known_days=(today - date.fromisoformat(record.since)).days,
    )


def _announce(deps: Deps, kind: str, level: Level, grade: str) -> None:
    detail: dict[str, Any] = {
        "sku": level.sku,
        "location_id": level.location_id,
        "status": grade,
        "on_hand": level.on_hand,
        "available": level.available,
        "daily_sales": round(level.daily_sales, 3),
    }
    deps.publisher.announce([(kind, detail)])
    deps.partners("").erp.publish(
        ErpEvent(
            type=kind,
            occurred_at=deps.now(),
            idempotency_key=f"{kind}:{level.sku}:{level.location_id}:{deps.now()}",
            data=detail,
        )
    )
