"""Delivery promises: by when a shipment from a location arrives, per service level, from its cut-off and transit.

Rules (calendar days in the location's time zone; every promise is "by 21:00 local" on its day):
- same_day: only from a location with the same-day capability, a destination inside its
  `same_day_radius_km` (and known better than "somewhere in the country"), before its cut-off:
  delivered today.
- express: shipped today before the cut-off, else tomorrow; delivered the day after it ships.
- standard: shipped likewise; delivered 2 to 5 days later by distance band (TRANSIT_BANDS). A
  destination known only to its country gets the longest band.
- made to order: built first. Products carry no lead time yet, so MADE_TO_ORDER_LEAD_DAYS stands in;
  same_day is never promised for them.
Weekends and public holidays are not modelled: couriers in the home market run seven days a week, and
a location's cut-off already says when its last pick-up leaves.

Time zones come from the system's tz database (Debian: /usr/share/zoneinfo; the Lambda runtime has
it too). Where a zone cannot be loaded, the location is taken to be on Manila time, fixed UTC+08:00:
the home market, where there is no daylight saving, so the fallback is exact for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oms.domain.geo import Point, haversine_km
from oms.domain.models import Location

MANILA_FIXED: Final = timezone(timedelta(hours=8), "Asia/Manila")
DELIVERY_BY: Final = time(21, 0)
EXPRESS_DAYS: Final = 1
# (up to km, days in transit) for standard; beyond the last band, STANDARD_MAX_DAYS.
TRANSIT_BANDS: Final = ((50.0, 2), (300.0, 3), (800.0, 4))
STANDARD_MAX_DAYS: Final = 5
MADE_TO_ORDER_LEAD_DAYS: Final = 7


@dataclass(frozen=True)
class Verdict:
    """A promise (UTC), or None and the reason it cannot be made."""

    at: datetime | None
    reason: str | None = None


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo:
    """The location's time zone; fixed UTC+08:00 (Manila) when the tz database does not have it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return MANILA_FIXED


def transit_days(service_level: str, distance_km: float, precision: str = "exact") -> int | None:
    """Days from shipping to delivery (0: the same day), or None for a level this table does not know."""
    if service_level == "same_day":
        return 0
    if service_level == "express":
        return EXPRESS_DAYS
    if service_level == "standard":
        if precision == "country":
            return STANDARD_MAX_DAYS
        for up_to, days in TRANSIT_BANDS:
            if distance_km <= up_to:
                return days
        return STANDARD_MAX_DAYS
    return None


def _cut_off(location: Location) -> time:
    hours, minutes = location.cut_off.split(":")
    return time(int(hours), int(minutes))


def _by(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, DELIVERY_BY, tzinfo=tz).astimezone(UTC)


def assess(
    location: Location, service_level: str, destination: Point, now: datetime, *, made_to_order: bool = False
) -> Verdict:
    """When a shipment from `location` placed at `now` arrives at `destination`, or why it cannot be promised."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)  # the OMS clock is UTC; a naive time is taken as UTC
    tz = zone(location.timezone)
    local = now.astimezone(tz)
    before_cut_off = local.time() < _cut_off(location)
    distance = haversine_km(destination.lat, destination.lon, location.lat, location.lon)
    days = transit_days(service_level, distance, destination.precision)
    if days is None:
        return Verdict(None, f"unknown service level {service_level}")
    if service_level == "same_day":
        if made_to_order:
            return Verdict(None, "made to order: built before it ships, never the same day")
        if not location.capabilities.same_day or location.same_day_radius_km <= 0:
            return Verdict(None, "does not offer same-day delivery")
        if destination.precision == "country":
            return Verdict(None, "same-day needs a destination located better than its country")
        if distance > location.same_day_radius_km:
            return Verdict(
                None, f"outside its same-day radius ({distance:.1f} km > {location.same_day_radius_km:g} km)"
            )
        if not before_cut_off or local.time() >= DELIVERY_BY:
            return Verdict(None, f"past its same-day cut-off {location.cut_off} ({location.timezone})")
        return Verdict(_by(local.date(), tz))
    ships = local.date() + timedelta(days=0 if before_cut_off else 1)
    if made_to_order:
        ships += timedelta(days=MADE_TO_ORDER_LEAD_DAYS)
    return Verdict(_by(ships + timedelta(days=days), tz))


def restricted(service_level: str) -> bool:
    """Whether a level may be refused by some location: express and standard every location can promise."""
    return service_level not in {"express", "standard"}


def promise(
    location: Location, service_level: str, destination: Point, now: datetime, *, made_to_order: bool = False
) -> datetime | None:
    """The promised delivery time (UTC) of one shipment, or None when the level cannot be promised."""
    return assess(location, service_level, destination, now, made_to_order=made_to_order).at
