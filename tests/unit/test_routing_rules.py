"""Routing by a storefront's policy: hand-checked cases of eligibility, ranking, caps, promises and bad input.

Distances from the Makati destination (postal centroid 14.5547, 121.0244): mnl 6.6 km, qc 13.7 km,
mkt 0 km, ceb 564 km, dvo 951 km. Manila is UTC+8: 01:00Z is 09:00 there, 07:00Z is 15:00.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oms.domain.errors import InsufficientStock, Unprocessable
from oms.domain.geo import Point
from oms.domain.models import Capabilities, Location, Product
from oms.domain.routing import Candidate, Plan, RoutingPolicy, SourcingLine, SourcingRequest, plan

MAKATI = Point(14.5547, 121.0244, "postal_code")
CEBU = Point(10.3157, 123.8854, "postal_code")
COORDS = {
    "mkt": (14.5547, 121.0244),
    "mnl": (14.5995, 120.9842),
    "qc": (14.6760, 121.0437),
    "ceb": (10.3157, 123.8854),
    "dvo": (7.1907, 125.4553),
}
MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Manila
AFTERNOON = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 15:00 in Manila


def site(location_id: str, kind: str = "warehouse", **stock: int) -> Candidate:
    return place(location_id, kind, stock)


def place(location_id: str, kind: str = "warehouse", stock: dict[str, int] | None = None, **attrs: Any) -> Candidate:
    lat, lon = COORDS[location_id]
    location = Location(location_id=location_id, name=location_id, type=kind, lat=lat, lon=lon, **attrs)
    return Candidate(location, dict(stock or {}))


def same_day_site(location_id: str, radius_km: float = 25, cut_off: str = "14:00", **stock: int) -> Candidate:
    return place(
        location_id,
        stock=stock,
        capabilities=Capabilities(same_day=True),
        same_day_radius_km=radius_km,
        cut_off=cut_off,
    )


def request(lines: dict[str, int], *candidates: Candidate, **options: Any) -> SourcingRequest:
    fields: dict[str, Any] = {"destination": MAKATI, "service_level": "standard", "ship_complete": False}
    fields.update(options)
    return SourcingRequest(
        lines=tuple(SourcingLine(sku, qty) for sku, qty in lines.items()), candidates=candidates, **fields
    )


def shipped(result: Plan) -> list[tuple[str, dict[str, int]]]:
    return [(s.location_id, {ln.sku: ln.quantity for ln in s.lines}) for s in result.shipments]


def explained(result: Plan, location_id: str) -> dict[str, Any]:
    return next(c for c in result.explanation["candidates"] if c["location_id"] == location_id)


# -- ranking: fewest shipments, then nearest -----------------------------------------------------------


def test_fewest_shipments_beats_the_nearest_location_first_split() -> None:
    # The old greedy took the nearest of the equal covers (mnl: A, C) and then needed two more.
    result = plan(
        request({"A": 1, "B": 1, "C": 1, "D": 1}, site("mnl", A=1, C=1), site("ceb", A=1, B=1), site("dvo", C=1, D=1))
    )
    assert shipped(result) == [("ceb", {"A": 1, "B": 1}), ("dvo", {"C": 1, "D": 1})]
    assert result.explanation["cost"]["shipments"] == 2
    assert explained(result, "mnl")["rejected"] == "holds only part of the order"


def test_among_splits_of_the_same_size_the_shortest_total_distance_wins() -> None:
    result = plan(request({"A": 1, "B": 1}, site("ceb", A=1), site("dvo", B=1), site("mnl", A=1), site("qc", B=1)))
    assert shipped(result) == [("mnl", {"A": 1}), ("qc", {"B": 1})]
    assert result.explanation["cost"]["distance_km"] == pytest.approx(6.6 + 13.7, abs=0.2)


def test_a_necessary_split_takes_each_sku_from_the_nearer_chosen_location_first() -> None:
    result = plan(request({"A": 4, "B": 1}, site("mnl", A=3), site("ceb", A=2, B=1), site("dvo", A=9)))
    assert shipped(result) == [("mnl", {"A": 3}), ("ceb", {"A": 1, "B": 1})]
    assert result.explanation["strategy"] == "split"
    assert result.explanation["search"]["method"] == "exact"
    assert result.explanation["search"]["proven_optimal"] is True


def test_a_tie_on_distance_goes_to_the_better_priority_then_to_the_location_id() -> None:
    first = place("mnl", stock={"A": 1}, priority=50)
    twin = Candidate(first.location.model_copy(update={"location_id": "mnl-2", "priority": 10}), {"A": 1})
    assert shipped(plan(request({"A": 1}, first, twin))) == [("mnl-2", {"A": 1})]
    even = Candidate(first.location.model_copy(update={"location_id": "mnl-0"}), {"A": 1})
    assert shipped(plan(request({"A": 1}, first, even))) == [("mnl", {"A": 1})]


# -- eligibility ---------------------------------------------------------------------------------------


def test_a_location_without_capacity_left_today_is_passed_over() -> None:
    candidates = (site("mnl", A=5), site("ceb", A=5))
    full = plan(request({"A": 1}, *candidates, capacity_left={"mnl": 0}))
    assert shipped(full) == [("ceb", {"A": 1})]
    assert explained(full, "mnl")["rejected"] == "no capacity left today"
    assert explained(full, "mnl")["rule"] == "eligibility"
    assert shipped(plan(request({"A": 1}, *candidates, capacity_left={"mnl": 1}))) == [("mnl", {"A": 1})]


def test_capacity_exhausted_everywhere_is_insufficient_stock() -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(request({"A": 1}, site("mnl", A=5), capacity_left={"mnl": 0}))
    assert caught.value.code == "insufficient_stock"
    assert caught.value.extra["lines"] == [{"sku": "A", "requested": 1, "available": 0}]


def test_a_store_ships_only_when_the_storefront_and_the_store_both_allow_it() -> None:
    store = place("mkt", "store", {"A": 1}, capabilities=Capabilities(ship_from_store=True))
    warehouse = site("ceb", A=1)
    assert shipped(plan(request({"A": 1}, store, warehouse))) == [("mkt", {"A": 1})]

    no_stores = RoutingPolicy(ship_from_store=False)
    result = plan(request({"A": 1}, store, warehouse, policy=no_stores))
    assert shipped(result) == [("ceb", {"A": 1})]
    assert explained(result, "mkt")["rejected"] == "this storefront does not ship from stores"

    incapable = place("mkt", "store", {"A": 1})
    result = plan(request({"A": 1}, incapable, warehouse))
    assert shipped(result) == [("ceb", {"A": 1})]
    assert explained(result, "mkt")["rejected"] == "does not ship from store"


def test_a_location_type_the_storefront_does_not_allow_is_not_used() -> None:
    policy = RoutingPolicy(allowed_location_types=frozenset({"warehouse"}))
    result = plan(request({"A": 1}, site("mnl", "3pl", A=1), site("ceb", A=1), policy=policy))
    assert shipped(result) == [("ceb", {"A": 1})]
    assert explained(result, "mnl")["rejected"] == "location type 3pl is not allowed for this storefront"
    with pytest.raises(InsufficientStock):
        plan(request({"A": 1}, site("mnl", "3pl", A=1), policy=policy))


def test_an_excluded_location_is_not_used() -> None:
    policy = RoutingPolicy(exclude_locations=("mnl",))
    result = plan(request({"A": 1}, site("mnl", A=1), site("ceb", A=1), policy=policy))
    assert shipped(result) == [("ceb", {"A": 1})]
    assert explained(result, "mnl")["rejected"] == "excluded by the storefront's rules"


# -- made to order -------------------------------------------------------------------------------------


def test_made_to_order_goes_to_its_workshop_even_when_the_storefront_filters_out_workshops() -> None:
    sofa = Product(sku="SOFA", made_to_order=True, workshop_location_id="ceb", build_instructions="Oak frame")
    policy = RoutingPolicy(allowed_location_types=frozenset({"warehouse"}))
    workshop = place("ceb", "workshop", {"A": 5}, capabilities=Capabilities(made_to_order=True))
    result = plan(request({"SOFA": 1, "A": 1}, workshop, site("dvo", A=1), products={"SOFA": sofa}, policy=policy))
    # The workshop builds the sofa; its own stock of A is out of bounds for this storefront.
    assert shipped(result) == [("ceb", {"SOFA": 1}), ("dvo", {"A": 1})]
    assert result.shipments[0].build_instructions == "Oak frame"


def test_made_to_order_counts_against_max_shipments() -> None:
    sofa = Product(sku="SOFA", made_to_order=True, workshop_location_id="ceb")
    with pytest.raises(InsufficientStock) as caught:
        plan(
            request(
                {"SOFA": 1, "A": 1},
                site("ceb"),
                site("mnl", A=1),
                products={"SOFA": sofa},
                policy=RoutingPolicy(max_shipments=1),
            )
        )
    assert caught.value.code == "max_shipments_exceeded"


# -- caps: max_shipments and ship_complete -------------------------------------------------------------


def test_a_split_bigger_than_max_shipments_is_refused_with_its_own_code() -> None:
    candidates = (site("mnl", A=1), site("qc", B=1), site("ceb", C=1))
    with pytest.raises(InsufficientStock) as caught:
        plan(request({"A": 1, "B": 1, "C": 1}, *candidates, policy=RoutingPolicy(max_shipments=2)))
    error = caught.value
    assert (error.status, error.code) == (409, "max_shipments_exceeded")
    assert error.extra["max_shipments"] == 2
    assert [f["available"] for f in error.extra["lines"]] == [1, 1, 1]
    assert (
        len(plan(request({"A": 1, "B": 1, "C": 1}, *candidates, policy=RoutingPolicy(max_shipments=3))).shipments) == 3
    )


def test_max_shipments_picks_the_split_that_fits_even_when_a_nearer_one_is_bigger() -> None:
    candidates = (site("mnl", A=1), site("qc", B=1), site("dvo", A=1, B=1))
    result = plan(request({"A": 1, "B": 1}, *candidates, policy=RoutingPolicy(rules=("nearest",), max_shipments=1)))
    assert shipped(result) == [("dvo", {"A": 1, "B": 1})]


def test_ship_complete_is_one_location_whatever_the_policy_allows() -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(
            request(
                {"A": 1, "B": 1},
                site("mnl", A=1),
                site("qc", B=1),
                ship_complete=True,
                policy=RoutingPolicy(max_shipments=5),
            )
        )
    assert caught.value.code == "ship_complete_unavailable"


# -- other ranking rules -------------------------------------------------------------------------------


def test_lowest_quote_can_prefer_a_farther_location() -> None:
    policy = RoutingPolicy(rules=("eligibility", "fewest_shipments", "lowest_quote"))
    result = plan(
        request({"A": 1}, site("mnl", A=1), site("ceb", A=1), policy=policy, quotes={"mnl": 25000, "ceb": 9000})
    )
    assert shipped(result) == [("ceb", {"A": 1})]
    assert explained(result, "mnl")["rejected"] == "a dearer carrier quote than the chosen location"
    assert explained(result, "ceb")["score"]["quote"] == 9000


def test_lowest_quote_without_quotes_estimates_from_distance() -> None:
    policy = RoutingPolicy(rules=("fewest_shipments", "lowest_quote"))
    result = plan(request({"A": 1}, site("ceb", A=1), site("mnl", A=1), policy=policy))
    assert shipped(result) == [("mnl", {"A": 1})]
    assert explained(result, "mnl")["score"]["quote_estimated"] is True


def test_priority_first_ships_from_the_preferred_rank_however_far() -> None:
    policy = RoutingPolicy(rules=("eligibility", "priority", "nearest"))
    near = place("mnl", stock={"A": 1}, priority=200)
    far = place("dvo", stock={"A": 1}, priority=1)
    result = plan(request({"A": 1}, near, far, policy=policy))
    assert shipped(result) == [("dvo", {"A": 1})]
    assert explained(result, "mnl")["rejected"] == "a lower priority than the chosen location"


def test_preferred_locations_come_before_distance() -> None:
    policy = RoutingPolicy(rules=("fewest_shipments", "prefer_locations", "nearest"), prefer_locations=("ceb",))
    result = plan(request({"A": 1}, site("mnl", A=1), site("ceb", A=1), policy=policy))
    assert shipped(result) == [("ceb", {"A": 1})]
    assert explained(result, "mnl")["rejected"] == "not a preferred location"


# -- delivery promise ----------------------------------------------------------------------------------


def test_same_day_inside_the_radius_before_the_cut_off_is_promised_by_nine_pm() -> None:
    result = plan(request({"A": 1}, same_day_site("mnl", A=1), service_level="same_day", now=MORNING))
    assert shipped(result) == [("mnl", {"A": 1})]
    assert result.shipments[0].promised_by == "2026-03-02T13:00:00Z"  # 21:00 in Manila
    assert result.promised_by == "2026-03-02T13:00:00Z"


def test_same_day_after_the_cut_off_is_refused_with_the_levels_that_can_be_promised() -> None:
    with pytest.raises(Unprocessable) as caught:
        plan(request({"A": 1}, same_day_site("mnl", A=1), service_level="same_day", now=AFTERNOON))
    error = caught.value
    assert (error.status, error.code) == (422, "service_level_unavailable")
    assert error.extra["available_service_levels"] == ["express", "standard"]


def test_same_day_outside_the_radius_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        plan(request({"A": 1}, same_day_site("mnl", A=1), service_level="same_day", destination=CEBU, now=MORNING))
    assert caught.value.code == "service_level_unavailable"


def test_same_day_ships_from_the_location_that_can_promise_it_not_the_nearest() -> None:
    candidates = (site("mnl", A=1), same_day_site("qc", A=1))
    result = plan(request({"A": 1}, *candidates, service_level="same_day", now=MORNING))
    assert shipped(result) == [("qc", {"A": 1})]
    assert explained(result, "mnl")["rejected"] == "does not offer same-day delivery"
    assert explained(result, "mnl")["rule"] == "service_level"
    # Without a promise to keep, the nearest ships.
    assert shipped(plan(request({"A": 1}, *candidates, service_level="standard", now=MORNING))) == [("mnl", {"A": 1})]


def test_same_day_with_a_small_radius_excludes_a_location_just_outside_it() -> None:
    inside = same_day_site("mnl", radius_km=7, A=1)  # 6.6 km away
    outside = same_day_site("mnl", radius_km=6, A=1)
    assert plan(request({"A": 1}, inside, service_level="same_day", now=MORNING)).shipments[0].promised_by
    with pytest.raises(Unprocessable):
        plan(request({"A": 1}, outside, service_level="same_day", now=MORNING))


def test_same_day_is_refused_when_the_stock_is_short_where_it_could_be_promised_but_not_elsewhere() -> None:
    with pytest.raises(Unprocessable) as caught:
        plan(request({"A": 2}, same_day_site("mnl", A=1), site("ceb", A=1), service_level="same_day", now=MORNING))
    assert caught.value.extra["available_service_levels"] == ["express", "standard"]


def test_insufficient_stock_is_answered_before_the_service_level() -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(request({"A": 5}, same_day_site("mnl", A=1), service_level="same_day", now=AFTERNOON))
    assert caught.value.code == "insufficient_stock"


def test_every_shipment_carries_its_own_promise_and_the_plan_the_latest() -> None:
    result = plan(request({"A": 1, "B": 1}, site("mnl", A=1), site("dvo", B=1), now=MORNING))
    assert [(s.location_id, s.promised_by) for s in result.shipments] == [
        ("mnl", "2026-03-04T13:00:00Z"),  # standard, under 50 km: 2 days
        ("dvo", "2026-03-07T13:00:00Z"),  # standard, beyond 800 km: 5 days
    ]
    assert result.promised_by == "2026-03-07T13:00:00Z"
    assert result.explanation["promised_by"] == "2026-03-07T13:00:00Z"


def test_without_now_nothing_is_promised_or_checked() -> None:
    result = plan(request({"A": 1}, site("mnl", A=1), service_level="same_day"))
    assert result.shipments[0].promised_by is None
    assert result.promised_by is None


def test_made_to_order_cannot_be_promised_the_same_day() -> None:
    sofa = Product(sku="SOFA", made_to_order=True, workshop_location_id="mnl")
    with pytest.raises(Unprocessable) as caught:
        plan(request({"SOFA": 1}, same_day_site("mnl"), products={"SOFA": sofa}, service_level="same_day", now=MORNING))
    assert caught.value.extra["available_service_levels"] == ["express", "standard"]
    built = plan(
        request({"SOFA": 1}, same_day_site("mnl"), products={"SOFA": sofa}, service_level="express", now=MORNING)
    )
    assert built.shipments[0].promised_by == "2026-03-10T13:00:00Z"  # 7 days to build, then next day


# -- bad input -----------------------------------------------------------------------------------------


def test_an_unknown_rule_is_refused_by_name() -> None:
    with pytest.raises(Unprocessable) as caught:
        RoutingPolicy(rules=("eligibility", "cheapest_first"))
    assert (caught.value.status, caught.value.code) == (422, "unknown_routing_rule")
    assert caught.value.extra["rules"] == ["cheapest_first"]


def test_a_rule_naming_an_unknown_location_is_refused() -> None:
    policy = RoutingPolicy(exclude_locations=("mnl", "atlantis"))
    with pytest.raises(Unprocessable) as caught:
        plan(request({"A": 1}, site("mnl", A=1), site("ceb", A=1), policy=policy))
    assert (caught.value.status, caught.value.code) == (422, "unknown_location_in_rules")
    assert caught.value.extra["locations"] == ["atlantis"]


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ({"rules": ["nearest", "teleport"]}, "unknown_routing_rule"),
        ({"rules": ["nearest", "eligibility"]}, "invalid_routing_policy"),
        ({"rules": ["nearest", "nearest"]}, "invalid_routing_policy"),
        ({"rules": "nearest"}, "invalid_routing_policy"),
        ({"allowed_location_types": ["warehouse", "castle"]}, "invalid_routing_policy"),
        ({"allowed_location_types": []}, "invalid_routing_policy"),
        ({"max_shipments": 0}, "invalid_routing_policy"),
        ({"max_shipments": True}, "invalid_routing_policy"),
        ({"ship_from_store": "yes"}, "invalid_routing_policy"),
        ({"prefer_locations": ["mnl"]}, "invalid_routing_policy"),
        ({"split_everything": True}, "invalid_routing_policy"),
    ],
)
def test_a_bad_storefront_routing_config_is_refused_with_a_named_code(config: dict[str, Any], code: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        RoutingPolicy.from_config(config)
    assert caught.value.code == code


def test_a_storefront_routing_config_becomes_its_policy() -> None:
    policy = RoutingPolicy.from_config(
        {
            "rules": ["eligibility", "fewest_shipments", "prefer_locations", "lowest_quote"],
            "allowed_location_types": ["warehouse", "store"],
            "ship_from_store": False,
            "max_shipments": 2,
            "prefer_locations": ["ceb"],
            "exclude_locations": ["dvo"],
        }
    )
    assert policy.ranking == ("fewest_shipments", "prefer_locations", "lowest_quote", "priority")
    assert policy.max_shipments == 2
    assert RoutingPolicy.from_config(None) == RoutingPolicy.from_config({}) == RoutingPolicy()


@pytest.mark.parametrize("lat", [float("nan"), float("inf"), 91.0])
def test_a_destination_that_is_not_on_the_map_is_refused(lat: float) -> None:
    with pytest.raises(Unprocessable) as caught:
        plan(request({"A": 1}, site("mnl", A=1), destination=Point(lat, 121.0)))
    assert caught.value.code == "destination_unlocatable"


# -- explanation ---------------------------------------------------------------------------------------


def test_the_explanation_names_the_policy_the_search_and_the_cost() -> None:
    result = plan(
        request({"A": 1, "B": 1}, site("mnl", A=1), site("qc", B=1), site("dvo", A=1, B=1), capacity_left={"qc": 0})
    )
    explanation = result.explanation
    assert explanation["engine"] == "branch-and-bound"
    assert explanation["policy"]["rules"] == ["eligibility", "fewest_shipments", "nearest"]
    assert explanation["policy"]["tie_breakers"] == ["priority", "location_id"]
    assert explanation["cost"] == {"shipments": 1, "distance_km": 950.9, "priority": 100}
    assert {c["location_id"]: (c["rejected"], c["rule"]) for c in explanation["candidates"]} == {
        "mnl": ("holds only part of the order", "fewest_shipments"),
        "qc": ("no capacity left today", "eligibility"),
        "dvo": (None, None),
    }
    detail = result.timeline_detail()
    assert detail["shipments"] == [{"location_id": "dvo", "units": 2, "promised_by": None}]
    assert detail["rejected"] == {"holds only part of the order": 1, "no capacity left today": 1}


def test_a_large_network_is_explained_by_the_nearest_fifty_and_the_rest_is_counted() -> None:
    far_away = [
        Candidate(Location(location_id=f"far-{i:02d}", name="x", type="warehouse", lat=5 + i * 0.01, lon=125.0), {})
        for i in range(60)
    ]
    result = plan(request({"A": 1}, *far_away, site("dvo", A=1)))
    ids = [c["location_id"] for c in result.explanation["candidates"]]
    assert len(ids) == 50
    assert "dvo" in ids
    assert result.explanation["candidates_omitted"] == {"holds none of the ordered skus": 11}
    assert result.timeline_detail()["candidates"] == 61
