"""Delivery promises: cut-off, transit by service level and distance, same-day radius, time zones, options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from oms.domain import promise as promises
from oms.domain.errors import Unprocessable
from oms.domain.geo import Point
from oms.domain.models import Capabilities, Location, Product
from oms.domain.promise import assess, promise, transit_days, zone
from oms.domain.routing import Candidate, RoutingPolicy, SourcingLine, delivery_options

MAKATI = Point(14.5547, 121.0244, "postal_code")
CEBU = Point(10.3157, 123.8854, "postal_code")
DAVAO = Point(7.1907, 125.4553, "postal_code")
PHILIPPINES = Point(12.8797, 121.7740, "country")
MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Manila
AFTERNOON = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 15:00 in Manila
LATE = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)  # 21:30 in Manila


def manila(day: int, hour: int = 21) -> datetime:
    """A Manila wall-clock time in March 2026, as UTC."""
    return datetime(2026, 3, day, hour, tzinfo=timezone(timedelta(hours=8))).astimezone(UTC)


def warehouse(**attrs: Any) -> Location:
    fields: dict[str, Any] = {
        "location_id": "mnl-wh-1",
        "name": "Manila DC",
        "type": "warehouse",
        "lat": 14.5995,
        "lon": 120.9842,
        "cut_off": "14:00",
        "capabilities": Capabilities(same_day=True),
        "same_day_radius_km": 25,
    }
    fields.update(attrs)
    return Location(**fields)


# -- promise -------------------------------------------------------------------------------------------


def test_same_day_before_the_cut_off_inside_the_radius_is_delivered_by_nine_pm_today() -> None:
    assert promise(warehouse(), "same_day", MAKATI, MORNING) == manila(2)


@pytest.mark.parametrize(
    ("location", "destination", "now", "reason"),
    [
        (warehouse(), MAKATI, AFTERNOON, "past its same-day cut-off 14:00 (Asia/Manila)"),
        (warehouse(cut_off="23:00"), MAKATI, LATE, "past its same-day cut-off 23:00 (Asia/Manila)"),
        (warehouse(), CEBU, MORNING, "outside its same-day radius (571.0 km > 25 km)"),
        (warehouse(capabilities=Capabilities()), MAKATI, MORNING, "does not offer same-day delivery"),
        (warehouse(same_day_radius_km=0), MAKATI, MORNING, "does not offer same-day delivery"),
        (warehouse(), PHILIPPINES, MORNING, "same-day needs a destination located better than its country"),
    ],
)
def test_same_day_is_not_promised_when(location: Location, destination: Point, now: datetime, reason: str) -> None:
    verdict = assess(location, "same_day", destination, now)
    assert verdict.at is None
    assert verdict.reason == reason


def test_the_cut_off_minute_itself_is_too_late() -> None:
    at_cut_off = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 14:00 in Manila
    assert promise(warehouse(), "same_day", MAKATI, at_cut_off) is None
    assert promise(warehouse(), "same_day", MAKATI, at_cut_off - timedelta(seconds=1)) == manila(2)


def test_express_is_next_day_and_a_day_later_after_the_cut_off() -> None:
    assert promise(warehouse(), "express", DAVAO, MORNING) == manila(3)
    assert promise(warehouse(), "express", DAVAO, AFTERNOON) == manila(4)


@pytest.mark.parametrize(
    ("destination", "days"),
    [(MAKATI, 2), (Point(15.4865, 120.9667), 3), (CEBU, 4), (DAVAO, 5), (PHILIPPINES, 5)],
)
def test_standard_takes_two_to_five_days_by_distance(destination: Point, days: int) -> None:
    assert promise(warehouse(), "standard", destination, MORNING) == manila(2 + days)
    assert promise(warehouse(), "standard", destination, AFTERNOON) == manila(3 + days)


def test_transit_bands() -> None:
    assert [transit_days("standard", km) for km in (0, 50, 50.1, 300, 301, 800, 801)] == [2, 2, 3, 3, 4, 4, 5]
    assert transit_days("express", 2000) == 1
    assert transit_days("same_day", 3) == 0
    assert transit_days("teleport", 3) is None


def test_made_to_order_adds_the_build_lead_time_and_never_ships_the_same_day() -> None:
    assert promise(warehouse(), "same_day", MAKATI, MORNING, made_to_order=True) is None
    lead = promises.MADE_TO_ORDER_LEAD_DAYS
    assert promise(warehouse(), "express", MAKATI, MORNING, made_to_order=True) == manila(2 + lead + 1)


def test_the_cut_off_is_read_in_the_location_time_zone() -> None:
    tokyo = warehouse(timezone="Asia/Tokyo", cut_off="10:00", lat=35.68, lon=139.69, same_day_radius_km=50)
    # 01:00Z is 10:00 in Tokyo: past its cut-off, though it is only 09:00 in Manila.
    assert promise(tokyo, "same_day", Point(35.69, 139.70), MORNING) is None
    assert promise(tokyo, "same_day", Point(35.69, 139.70), MORNING - timedelta(minutes=1)) == datetime(
        2026, 3, 2, 12, 0, tzinfo=UTC
    )


def test_an_unknown_time_zone_falls_back_to_manila_time() -> None:
    assert zone("Mars/Olympus_Mons") is promises.MANILA_FIXED
    assert promise(warehouse(timezone="Mars/Olympus_Mons"), "same_day", MAKATI, MORNING) == manila(2)


def test_a_naive_time_is_taken_as_utc() -> None:
    assert promise(warehouse(), "express", MAKATI, MORNING.replace(tzinfo=None)) == manila(3)


def test_an_unknown_service_level_cannot_be_promised() -> None:
    verdict = assess(warehouse(), "teleport", MAKATI, MORNING)
    assert (verdict.at, verdict.reason) == (None, "unknown service level teleport")


# -- delivery options ----------------------------------------------------------------------------------


def candidates(**extra: Any) -> list[Candidate]:
    return [
        Candidate(warehouse(), {"A": 5, "B": 1}),
        Candidate(warehouse(location_id="ceb-wh-1", lat=10.3157, lon=123.8854, capabilities=Capabilities()), {"A": 5}),
        *extra.values(),
    ]


def test_delivery_options_list_each_level_that_can_be_promised_with_price_and_date() -> None:
    options = delivery_options([SourcingLine("A", 1)], candidates(), MAKATI, MORNING, "PHP", 100_000)
    assert options == [
        {
            "service_level": "same_day",
            "price": 34900,
            "currency": "PHP",
            "promised_by": "2026-03-02T13:00:00Z",
            "shipments": 1,
        },
        {
            "service_level": "express",
            "price": 19900,
            "currency": "PHP",
            "promised_by": "2026-03-03T13:00:00Z",
            "shipments": 1,
        },
        {
            "service_level": "standard",
            "price": 9900,
            "currency": "PHP",
            "promised_by": "2026-03-04T13:00:00Z",
            "shipments": 1,
        },
    ]


def test_delivery_options_leave_out_same_day_after_the_cut_off_and_free_standard_shows_zero() -> None:
    options = delivery_options([SourcingLine("A", 1)], candidates(), MAKATI, AFTERNOON, "PHP", 300_000)
    assert [(o["service_level"], o["price"]) for o in options] == [("express", 19900), ("standard", 0)]


def test_delivery_options_price_a_split_per_shipment_where_the_rates_say_so() -> None:
    split = [
        Candidate(warehouse(), {"A": 1}),
        Candidate(warehouse(location_id="mnl-wh-2", capabilities=Capabilities()), {"B": 1}),
    ]
    options = delivery_options([SourcingLine("A", 1), SourcingLine("B", 1)], split, MAKATI, MORNING, "PHP")
    assert [(o["service_level"], o["price"], o["shipments"]) for o in options] == [
        ("express", 2 * 19900, 2),
        ("standard", 9900, 2),
    ]


def test_delivery_options_are_empty_when_the_lines_cannot_be_sourced() -> None:
    assert delivery_options([SourcingLine("A", 50)], candidates(), MAKATI, MORNING, "PHP") == []
    assert delivery_options([], candidates(), MAKATI, MORNING, "PHP") == []


def test_delivery_options_follow_the_storefront_policy_and_products() -> None:
    sofa = Product(sku="SOFA", made_to_order=True, workshop_location_id="mnl-wh-1")
    options = delivery_options([SourcingLine("SOFA", 1)], candidates(), MAKATI, MORNING, "PHP", products={"SOFA": sofa})
    assert [o["service_level"] for o in options] == ["express", "standard"]
    only_cebu = RoutingPolicy(exclude_locations=("mnl-wh-1",))
    options = delivery_options([SourcingLine("A", 1)], candidates(), MAKATI, MORNING, "PHP", policy=only_cebu)
    assert [(o["service_level"], o["promised_by"]) for o in options] == [
        ("express", "2026-03-03T13:00:00Z"),
        ("standard", "2026-03-06T13:00:00Z"),
    ]


def test_delivery_options_refuse_bad_rules_and_currencies() -> None:
    with pytest.raises(Unprocessable) as caught:
        delivery_options(
            [SourcingLine("A", 1)], candidates(), MAKATI, MORNING, "PHP", policy=RoutingPolicy(exclude_locations=("x",))
        )
    assert caught.value.code == "unknown_location_in_rules"
    with pytest.raises(Unprocessable) as caught:
        delivery_options([SourcingLine("A", 1)], candidates(), MAKATI, MORNING, "XXX")
    assert caught.value.code == "unsupported_currency"
