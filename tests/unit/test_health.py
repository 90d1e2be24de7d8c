"""Stock health: sales rates, statuses with hysteresis, and suggestions (transfer the surplus, else reorder)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oms.domain import health
from oms.domain.geo import Point
from oms.domain.health import Level, Policy, assess, daily_sales, policy_for, status

TODAY = date(2026, 3, 2)
WAREHOUSE = policy_for("warehouse")
MANILA, CEBU, DAVAO = Point(14.60, 120.98), Point(10.32, 123.89), Point(7.19, 125.46)


def level(location_id: str = "mnl", available: int = 10, rate: float = 1.0, **kw: object) -> Level:
    values: dict[str, object] = {
        "sku": "A",
        "location_id": location_id,
        "on_hand": available,
        "available": available,
        "incoming": 0,
        "daily_sales": rate,
        "policy": WAREHOUSE,
        "where": MANILA,
    }
    values.update(kw)
    return Level(**values)  # type: ignore[arg-type]


def test_the_rate_weighs_recent_days_more_and_counts_quiet_days() -> None:
    steady = {(TODAY - timedelta(days=d)).isoformat(): 2 for d in range(28)}
    assert daily_sales(steady, TODAY) == pytest.approx(2.0)
    recent = {TODAY.isoformat(): 14}
    old = {(TODAY - timedelta(days=21)).isoformat(): 14}
    assert daily_sales(recent, TODAY) > 4 * daily_sales(old, TODAY) > 0
    assert daily_sales({(TODAY - timedelta(days=28)).isoformat(): 100}, TODAY) == 0  # outside the window
    assert health.recent({"2026-01-01": 5, TODAY.isoformat(): 1}, TODAY) == {TODAY.isoformat(): 1}


@pytest.mark.parametrize(
    ("available", "rate", "expected"),
    [
        (0, 1.0, "out"),
        (5, 1.0, "low"),  # 5 days of cover, under the warehouse's 7-day lead time
        (30, 1.0, "ok"),
        (200, 1.0, "over"),  # 200 days, past the 90-day maximum
        (3, 0.0, "over"),  # nothing sold in four weeks and units sit there
    ],
)
def test_status_from_cover_lead_time_and_maximum(available: int, rate: float, expected: str) -> None:
    assert status(level(available=available, rate=rate)) == expected


def test_a_level_hovering_at_a_threshold_does_not_flip_back_and_forth() -> None:
    at_lead_time = level(available=7, rate=1.0)  # exactly the lead time: ok
    assert status(at_lead_time) == "ok"
    assert status(level(available=6, rate=1.0)) == "low"
    # Back to 7 and 8 after being low: still low until 20% past the threshold (8.4 days).
    assert status(level(available=8, rate=1.0, previous="low")) == "low"
    assert status(level(available=9, rate=1.0, previous="low")) == "ok"
    assert status(level(available=80, rate=1.0, previous="over")) == "over"  # over until under 75 days
    assert status(level(available=70, rate=1.0, previous="over")) == "ok"


def test_overrides_apply_product_then_level() -> None:
    policy = policy_for("store", {"max_days_of_cover": 60}, {"reorder_point": 12, "max_days_of_cover": None})
    assert (policy.lead_time_days, policy.max_days_of_cover, policy.reorder_point) == (3, 60, 12)
    assert status(level(available=12, rate=0.1, policy=policy)) == "low"  # at the reorder point


def test_surplus_moves_to_the_nearest_location_in_need_and_the_rest_is_reordered() -> None:
    levels = [
        level("mnl", available=300, rate=1.0, where=MANILA),  # 300 days: over, keeps 30
        level("ceb", available=2, rate=1.0, where=CEBU),  # needs 28 to reach 30 days
        level("dvo", available=1, rate=2.0, where=DAVAO, incoming=10),  # needs 60 - 1 - 10 = 49
    ]
    by_location = {h.location_id: h for h in assess(levels)}
    assert by_location["ceb"].suggestion == {
        "type": "transfer",
        "from_location_id": "mnl",
        "to_location_id": "ceb",
        "quantity": 28,
    }
    assert by_location["dvo"].suggestion == {
        "type": "transfer",
        "from_location_id": "mnl",
        "to_location_id": "dvo",
        "quantity": 49,
    }
    assert by_location["mnl"].status == "over"
    assert by_location["mnl"].suggestion == by_location["dvo"].suggestion  # the biggest need it covers


def test_without_a_surplus_that_covers_the_need_the_suggestion_is_a_reorder_to_the_target_cover() -> None:
    levels = [level("mnl", available=95, rate=1.0), level("ceb", available=1, rate=3.0, where=CEBU)]
    by_location = {h.location_id: h for h in assess(levels)}
    # mnl can spare 95 - 30 = 65; ceb needs 90 - 1 = 89: a reorder, not a transfer that falls short.
    assert by_location["ceb"].suggestion == {"type": "reorder", "quantity": 89}
    assert by_location["ceb"].days_of_cover == pytest.approx(1 / 3)


def test_policy_defaults_differ_by_location_type() -> None:
    assert policy_for("store").max_days_of_cover < policy_for("warehouse").max_days_of_cover
    assert policy_for("unknown") == policy_for("warehouse")
    assert isinstance(policy_for("3pl"), Policy)


def test_stock_not_sold_yet_is_not_called_idle_before_four_weeks_of_following_it() -> None:
    assert status(level(available=50, rate=0.0, known_days=3)) == "ok"
    assert status(level(available=50, rate=0.0, known_days=28)) == "over"
