"""Stock health: is a sku at a location about to run out, or piling up? And what to do about it.

Per (sku, location): a daily sales rate from shipped units (28 days, recent days weighing more), days of
cover, a status and, across the locations of one sku, a suggestion: move the surplus of an over-stocked
location to the nearest under-stocked one when that covers its need, else reorder up to the target cover.
Statuses change with hysteresis, so stock hovering at a threshold does not flip (and notify) on every unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

from oms.domain.geo import Point, haversine_km
from oms.domain.models import StockStatus

Status = StockStatus
WINDOW_DAYS = 28
HALF_LIFE_DAYS = 7.0  # a sale a week ago weighs half of one today
RELEASE = 1.2  # leaving `low` needs 20% more than the threshold that put it there (and `over`, 20% less)


@dataclass(frozen=True)
class Policy:
    """When a level is low or over, and what a reorder aims for. Days are days of cover at the current rate."""

    lead_time_days: float
    target_days_of_cover: float
    max_days_of_cover: float
    reorder_point: int = 0


# By location type: a store turns stock faster and holds less than a warehouse.
DEFAULTS: dict[str, Policy] = {
    "warehouse": Policy(lead_time_days=7, target_days_of_cover=30, max_days_of_cover=90),
    "3pl": Policy(lead_time_days=7, target_days_of_cover=30, max_days_of_cover=90),
    "store": Policy(lead_time_days=3, target_days_of_cover=14, max_days_of_cover=45),
    "showroom": Policy(lead_time_days=3, target_days_of_cover=10, max_days_of_cover=30),
    "workshop": Policy(lead_time_days=14, target_days_of_cover=30, max_days_of_cover=120),
}


def policy_for(location_type: str, *overrides: Mapping[str, Any] | None) -> Policy:
    """The location type's defaults, then each override in turn (the product's, then the level's own)."""
    policy = DEFAULTS.get(location_type, DEFAULTS["warehouse"])
    for override in overrides:
        given = {k: v for k, v in (override or {}).items() if v is not None and k in Policy.__dataclass_fields__}
        policy = replace(policy, **given)
    return policy


_WEIGHTS: list[float] = [0.5 ** (age / HALF_LIFE_DAYS) for age in range(WINDOW_DAYS)]
_WEIGHT_SUM = sum(_WEIGHTS)


@lru_cache(maxsize=8)
def _weight_of_day(today: date) -> dict[str, float]:
    return {(today - timedelta(days=age)).isoformat(): weight for age, weight in enumerate(_WEIGHTS)}


def daily_sales(sold: Mapping[str, int], today: date) -> float:
    """Units a day, over the WINDOW_DAYS before and including `today` (days without sales count as 0),
    each day weighted by 2^(-age / HALF_LIFE_DAYS). `sold` maps an ISO date to the units shipped that day."""
    weights = _weight_of_day(today)
    total: float = sum(weights.get(day, 0.0) * units for day, units in sold.items())
    return total / _WEIGHT_SUM


def recent(sold: Mapping[str, int], today: date) -> dict[str, int]:
    """Only the days the rate still reads (what a sales record keeps)."""
    first = (today - timedelta(days=WINDOW_DAYS - 1)).isoformat()
    return {day: units for day, units in sold.items() if day >= first and units}


@dataclass(frozen=True)
class Level:
    """What health reads of one (sku, location)."""

    sku: str
    location_id: str
    on_hand: int
    available: int
    incoming: int
    daily_sales: float
    policy: Policy
    where: Point | None = None
    previous: Status | None = None
    known_days: int = WINDOW_DAYS  # how long its sales have been followed: no sale means little on day one


@dataclass(frozen=True)
class Health:
    sku: str
    location_id: str
    on_hand: int
    available: int
    incoming: int
    daily_sales: float
    days_of_cover: float | None  # None: nothing sells, cover is endless
    status: Status
    suggestion: dict[str, Any] | None = field(default=None)
    shortage: int = 0
    reserved: int = 0  # promised to orders and transfers: on hand that is not available

    def view(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "location_id": self.location_id,
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "available": self.available,
            "incoming": self.incoming,
            "daily_sales": round(self.daily_sales, 3),
            "days_of_cover": None if self.days_of_cover is None else round(self.days_of_cover, 1),
            "status": self.status,
            "suggestion": self.suggestion,
            "shortage": self.shortage,
        }


def cover(level: Level) -> float | None:
    return None if level.daily_sales <= 0 else level.available / level.daily_sales


def status(level: Level) -> Status:
    """out / low / ok / over, with hysteresis around the previous status."""
    if level.available <= 0:
        return "out"
    days, policy = cover(level), level.policy
    low_bar = RELEASE if level.previous in ("low", "out") else 1.0
    if level.available <= policy.reorder_point * low_bar or (
        days is not None and days < policy.lead_time_days * low_bar
    ):
        return "low"
    over_bar = 1 / RELEASE if level.previous == "over" else 1.0
    if days is None and level.known_days < WINDOW_DAYS:
        return "ok"  # not sold yet, but not followed for four weeks either: too soon to call it idle
    if days is None or days > policy.max_days_of_cover * over_bar:
        # Nothing sold in four weeks, or more than the most cover this location should hold.
        return "over" if level.on_hand > policy.reorder_point else "ok"
    return "ok"


def assess(levels: Sequence[Level]) -> list[Health]:
    """Every level of one sku, with its status and suggestion: surplus to the nearest need it covers."""
    graded = [(level, status(level)) for level in levels]
    surplus = {lv.location_id: _surplus(lv) for lv, st in graded if st == "over"}
    suggestions: dict[str, dict[str, Any]] = {}
    for level, grade in sorted(graded, key=lambda pair: -_need(pair[0])):
        if grade not in ("out", "low"):
            continue
        need = _need(level)
        if need <= 0:
            continue
        donor = _nearest(level, [lv for lv, st in graded if surplus.get(lv.location_id, 0) >= need])
        if donor is None:
            suggestions[level.location_id] = {"type": "reorder", "quantity": need}
            continue
        surplus[donor.location_id] -= need
        move = {
            "type": "transfer",
            "from_location_id": donor.location_id,
            "to_location_id": level.location_id,
            "quantity": need,
        }
        suggestions[level.location_id] = move
        suggestions.setdefault(donor.location_id, move)
    return [
        Health(
            sku=lv.sku,
            location_id=lv.location_id,
            on_hand=lv.on_hand,
            available=lv.available,
            incoming=lv.incoming,
            daily_sales=lv.daily_sales,
            days_of_cover=cover(lv),
            status=grade,
            suggestion=suggestions.get(lv.location_id),
        )
        for lv, grade in graded
    ]


def _need(level: Level) -> int:
    """Units that bring the level to its target cover (or its reorder point), counting what is coming."""
    target = max(level.policy.target_days_of_cover * level.daily_sales, level.policy.reorder_point + 1)
    return max(0, math.ceil(target - level.available - level.incoming))


def _surplus(level: Level) -> int:
    """What an over-stocked level can give and keep its own target cover."""
    keep = level.policy.target_days_of_cover * level.daily_sales
    return max(0, math.floor(level.available - max(keep, level.policy.reorder_point)))


def _nearest(level: Level, donors: list[Level]) -> Level | None:
    if not donors:
        return None
    if level.where is None:
        return donors[0]
    here = level.where
    return min(
        donors, key=lambda d: haversine_km(here.lat, here.lon, d.where.lat, d.where.lon) if d.where else math.inf
    )


class Record(BaseModel):
    """What is kept per (sku, location) between changes: recent sales, the last status (whose changes
    are announced once each), and the level's own policy overrides."""

    sku: str
    location_id: str
    sold: dict[str, int] = Field(default_factory=dict)  # ISO day -> units shipped to customers
    status: Status | None = None
    overrides: dict[str, float] = Field(default_factory=dict)  # reorder_point, max_days_of_cover, ...
    since: str | None = None  # the day its sales began to be followed
    shortage: int = 0  # units reserved to orders that the last count did not find
    updated_at: str | None = None
    version: int = 0


def announcement(before: Status | None, after: Status) -> str | None:
    """The event a change of status announces (once): out, back in stock, low, over; None for no news."""
    if before == after:
        return None
    if after == "out":
        return "stock.out"
    if before == "out":
        return "stock.back_in_stock"
    if after in ("low", "over"):
        return f"stock.{after}"
    return None
