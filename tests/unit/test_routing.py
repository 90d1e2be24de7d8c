"""Sourcing by the default policy: the nearest location with everything, else the fewest shipments, within stock."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.errors import InsufficientStock
from oms.domain.geo import Point
from oms.domain.models import Location, Product
from oms.domain.routing import Candidate, Plan, SourcingLine, SourcingRequest, plan

MAKATI = Point(14.5547, 121.0244, "postal_code")
CEBU_CITY = Point(10.3157, 123.8854, "postal_code")
COORDS = {
    "mnl": (14.5995, 120.9842),  # Manila, ~6 km from Makati
    "qc": (14.6760, 121.0437),  # Quezon City, ~14 km
    "ceb": (10.3157, 123.8854),  # Cebu, ~570 km
    "dvo": (7.1907, 125.4553),  # Davao, ~950 km
}


def site(location_id: str, paused: bool = False, **stock: int) -> Candidate:
    lat, lon = COORDS[location_id]
    location = Location(location_id=location_id, name=location_id, type="warehouse", lat=lat, lon=lon, paused=paused)
    return Candidate(location, dict(stock))


def request(
    lines: dict[str, int] | list[tuple[str, int]],
    *candidates: Candidate,
    ship_complete: bool = False,
    destination: Point = MAKATI,
    products: dict[str, Product] | None = None,
) -> SourcingRequest:
    pairs = lines.items() if isinstance(lines, dict) else lines
    return SourcingRequest(
        lines=tuple(SourcingLine(sku, qty) for sku, qty in pairs),
        destination=destination,
        service_level="standard",
        ship_complete=ship_complete,
        candidates=candidates,
        products=products or {},
    )


def shipped(result: Plan) -> list[tuple[str, dict[str, int]]]:
    return [(s.location_id, {ln.sku: ln.quantity for ln in s.lines}) for s in result.shipments]


def sofa(sku: str = "SOFA", workshop: str = "ceb", instructions: str | None = "Oak frame") -> Product:
    return Product(sku=sku, made_to_order=True, workshop_location_id=workshop, build_instructions=instructions)


def test_nearest_location_that_holds_everything_ships_alone() -> None:
    result = plan(request({"A": 2, "B": 1}, site("ceb", A=9, B=9), site("mnl", A=5, B=5)))
    assert shipped(result) == [("mnl", {"A": 2, "B": 1})]
    assert result.explanation["strategy"] == "single_location"


def test_the_same_stock_ships_from_cebu_to_a_cebu_address() -> None:
    result = plan(request({"A": 2}, site("mnl", A=5), site("ceb", A=5), destination=CEBU_CITY))
    assert shipped(result) == [("ceb", {"A": 2})]


def test_a_far_location_with_everything_beats_a_near_one_with_part() -> None:
    result = plan(request({"A": 1, "B": 1}, site("mnl", A=5), site("ceb", A=1, B=1)))
    assert shipped(result) == [("ceb", {"A": 1, "B": 1})]


def test_split_only_when_no_single_location_can() -> None:
    result = plan(request({"A": 2, "B": 1}, site("mnl", A=2), site("ceb", B=1), site("dvo", A=1)))
    assert shipped(result) == [("mnl", {"A": 2}), ("ceb", {"B": 1})]
    assert result.explanation["strategy"] == "split"


def test_a_split_starts_from_the_location_covering_the_most_units() -> None:
    result = plan(request({"A": 5, "B": 5, "C": 1}, site("mnl", C=1), site("ceb", A=5, B=5), site("dvo", C=1)))
    assert shipped(result) == [("ceb", {"A": 5, "B": 5}), ("mnl", {"C": 1})]


def test_one_sku_is_split_over_locations_when_none_has_enough() -> None:
    result = plan(request({"A": 10}, site("mnl", A=6), site("qc", A=3), site("ceb", A=5)))
    assert shipped(result) == [("mnl", {"A": 6}), ("ceb", {"A": 4})]


def test_a_tie_on_coverage_goes_to_the_nearer_location() -> None:
    result = plan(request({"A": 2, "B": 2}, site("ceb", A=2), site("qc", B=2), site("mnl", A=2)))
    assert shipped(result) == [("mnl", {"A": 2}), ("qc", {"B": 2})]


def test_duplicate_skus_are_merged_into_one_line() -> None:
    result = plan(request([("A", 2), ("B", 1), ("A", 3)], site("mnl", A=5, B=1)))
    assert [(ln.sku, ln.quantity) for ln in result.shipments[0].lines] == [("A", 5), ("B", 1)]


def test_paused_locations_are_skipped() -> None:
    result = plan(request({"A": 1}, site("mnl", paused=True, A=5), site("ceb", A=5)))
    assert shipped(result) == [("ceb", {"A": 1})]
    paused = next(c for c in result.explanation["candidates"] if c["location_id"] == "mnl")
    assert paused["rejected"] == "paused"


def test_ship_complete_takes_the_nearest_location_with_everything() -> None:
    result = plan(request({"A": 1, "B": 1}, site("ceb", A=1, B=1), site("mnl", A=1, B=1), ship_complete=True))
    assert shipped(result) == [("mnl", {"A": 1, "B": 1})]


def test_ship_complete_refuses_a_split() -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(request({"A": 2, "B": 1}, site("mnl", A=2), site("ceb", B=1), ship_complete=True))
    error = caught.value
    assert (error.status, error.code) == (409, "ship_complete_unavailable")
    assert error.extra["lines"] == [
        {"sku": "A", "requested": 2, "available": 2},
        {"sku": "B", "requested": 1, "available": 1},
    ]


def test_not_enough_stock_names_every_line_with_its_total() -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(
            request(
                {"A": 5, "B": 1, "GHOST": 1},
                site("mnl", A=2, B=1),
                site("ceb", A=2),
                site("qc", paused=True, A=9),
            )
        )
    error = caught.value
    assert (error.status, error.code) == (409, "insufficient_stock")
    assert error.extra["lines"] == [
        {"sku": "A", "requested": 5, "available": 4},
        {"sku": "B", "requested": 1, "available": 1},
        {"sku": "GHOST", "requested": 1, "available": 0},
    ]


def test_not_enough_stock_is_reported_before_ship_complete() -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(request({"A": 9}, site("mnl", A=2), ship_complete=True))
    assert caught.value.code == "insufficient_stock"


def test_negative_availability_counts_as_none() -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(request({"A": 1}, site("mnl", A=-3)))
    assert caught.value.extra["lines"][0]["available"] == 0


def test_made_to_order_goes_to_its_workshop_with_build_instructions() -> None:
    result = plan(request({"A": 1, "SOFA": 1}, site("mnl", A=1), site("ceb"), products={"SOFA": sofa()}))
    assert shipped(result) == [("ceb", {"SOFA": 1}), ("mnl", {"A": 1})]
    assert [s.build_instructions for s in result.shipments] == ["Oak frame", None]
    assert result.explanation["made_to_order"] == [{"sku": "SOFA", "workshop_location_id": "ceb"}]


def test_made_to_order_stays_its_own_shipment_even_when_the_workshop_stocks_the_rest() -> None:
    result = plan(request({"SOFA": 1, "A": 1}, site("ceb", A=1), products={"SOFA": sofa()}))
    assert shipped(result) == [("ceb", {"SOFA": 1}), ("ceb", {"A": 1})]


def test_made_to_order_is_limited_only_by_a_stock_record_at_the_workshop() -> None:
    unlimited = plan(request({"SOFA": 50}, site("ceb"), products={"SOFA": sofa()}))
    assert shipped(unlimited) == [("ceb", {"SOFA": 50})]
    with pytest.raises(InsufficientStock) as caught:
        plan(request({"SOFA": 3}, site("ceb", SOFA=2), products={"SOFA": sofa()}))
    assert caught.value.extra["lines"] == [{"sku": "SOFA", "requested": 3, "available": 2}]


@pytest.mark.parametrize("candidates", [(site("ceb", paused=True),), (site("mnl"),)])
def test_made_to_order_cannot_be_built_by_a_paused_or_unknown_workshop(
    candidates: tuple[Candidate, ...],
) -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(request({"SOFA": 1}, *candidates, products={"SOFA": sofa()}))
    assert caught.value.extra["lines"] == [{"sku": "SOFA", "requested": 1, "available": 0}]


def test_made_to_order_stock_elsewhere_is_not_used() -> None:
    with pytest.raises(InsufficientStock):
        plan(request({"SOFA": 1}, site("mnl", SOFA=9), site("ceb", paused=True), products={"SOFA": sofa()}))


def test_two_products_of_one_workshop_share_a_shipment() -> None:
    products = {"SOFA": sofa(), "TABLE": sofa("TABLE", instructions="Narra top")}
    result = plan(request({"SOFA": 1, "TABLE": 2}, site("ceb"), products=products))
    assert shipped(result) == [("ceb", {"SOFA": 1, "TABLE": 2})]
    assert result.shipments[0].build_instructions == "SOFA: Oak frame\nTABLE: Narra top"


def test_ship_complete_with_made_to_order_ships_everything_from_the_workshop() -> None:
    result = plan(
        request(
            {"A": 1, "SOFA": 1},
            site("mnl", A=1),
            site("ceb", A=1),
            ship_complete=True,
            products={"SOFA": sofa()},
        )
    )
    assert shipped(result) == [("ceb", {"A": 1, "SOFA": 1})]
    assert result.shipments[0].build_instructions == "Oak frame"


def test_ship_complete_with_made_to_order_refuses_when_the_workshop_lacks_the_rest() -> None:
    with pytest.raises(InsufficientStock) as caught:
        plan(
            request(
                {"A": 1, "SOFA": 1},
                site("mnl", A=1),
                site("ceb"),
                ship_complete=True,
                products={"SOFA": sofa()},
            )
        )
    assert caught.value.code == "ship_complete_unavailable"


def test_a_product_that_is_not_made_to_order_is_ordinary_stock() -> None:
    result = plan(request({"A": 1}, site("mnl", A=1), products={"A": Product(sku="A")}))
    assert shipped(result) == [("mnl", {"A": 1})]


def test_the_plan_explains_each_candidate_nearest_first() -> None:
    result = plan(request({"A": 1, "B": 1}, site("dvo", A=1, B=1), site("ceb", A=1), site("mnl", A=1, B=1), site("qc")))
    candidates = result.explanation["candidates"]
    assert [c["location_id"] for c in candidates] == ["mnl", "qc", "ceb", "dvo"]
    assert [c["rejected"] for c in candidates] == [
        None,
        "holds none of the ordered skus",
        "holds only part of the order",
        "farther than the chosen location",
    ]
    assert 4 < candidates[0]["distance_km"] < 8
    assert result.explanation["destination"] == {"lat": 14.5547, "lon": 121.0244, "precision": "postal_code"}


def test_an_empty_request_plans_nothing() -> None:
    assert plan(request({}, site("mnl", A=1))).shipments == ()


def test_the_shipments_carry_the_service_level() -> None:
    req = request({"A": 1}, site("mnl", A=1))
    express = SourcingRequest(req.lines, req.destination, "express", False, req.candidates)
    assert plan(express).shipments[0].service_level == "express"


def test_a_location_may_be_a_candidate_only_once() -> None:
    with pytest.raises(ValueError, match="twice"):
        plan(request({"A": 1}, site("mnl", A=1), site("mnl", A=1)))


# -- property: a plan covers every line exactly and never promises more than is there -----------------

SKUS = ("A", "B", "C", "SOFA")
WORKSHOP = "loc0"
PRODUCTS = {"SOFA": Product(sku="SOFA", made_to_order=True, workshop_location_id=WORKSHOP, build_instructions="x")}


@st.composite
def sourcing_requests(draw: st.DrawFn) -> SourcingRequest:
    candidates = []
    for i in range(draw(st.integers(1, 5))):
        location = Location(
            location_id=f"loc{i}",
            name=f"loc{i}",
            type="warehouse",
            lat=draw(st.floats(5, 19)),
            lon=draw(st.floats(117, 127)),
            paused=draw(st.sampled_from([False, False, False, True])),
        )
        stock = draw(st.dictionaries(st.sampled_from(SKUS), st.integers(-1, 12), min_size=2, max_size=4))
        candidates.append(Candidate(location, stock))
    lines = draw(st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5)), min_size=1, max_size=4))
    return SourcingRequest(
        lines=tuple(SourcingLine(sku, qty) for sku, qty in lines),
        destination=Point(draw(st.floats(5, 19)), draw(st.floats(117, 127))),
        service_level="standard",
        ship_complete=draw(st.booleans()),
        candidates=tuple(candidates),
        products=PRODUCTS if draw(st.booleans()) else {},
    )


def _limit(req: SourcingRequest, location_id: str, sku: str) -> float:
    """What the rules allow a location to ship of a sku (infinite: built to order without a record)."""
    cand = next(c for c in req.candidates if c.location.location_id == location_id)
    if cand.location.paused:
        return 0
    if sku in req.products:
        if location_id != WORKSHOP:
            return 0
        return max(0, cand.available[sku]) if sku in cand.available else float("inf")
    return max(0, cand.available.get(sku, 0))


@settings(max_examples=200, deadline=None)
@given(sourcing_requests())
def test_every_plan_covers_every_line_exactly_and_never_exceeds_availability(req: SourcingRequest) -> None:
    wanted: Counter[str] = Counter()
    for line in req.lines:
        wanted[line.sku] += line.quantity
    ids = [c.location.location_id for c in req.candidates]
    totals = {sku: sum(_limit(req, loc, sku) for loc in ids) for sku in wanted}
    enough = all(totals[sku] >= qty for sku, qty in wanted.items())
    single = [loc for loc in ids if all(_limit(req, loc, sku) >= qty for sku, qty in wanted.items())]
    outcome: Plan | InsufficientStock
    try:
        outcome = plan(req)
    except InsufficientStock as error:
        outcome = error
    if isinstance(outcome, InsufficientStock):
        if outcome.code == "insufficient_stock":
            assert not enough
        else:
            assert outcome.code == "ship_complete_unavailable"
            assert req.ship_complete
            assert enough
            assert not single
        assert [f["sku"] for f in outcome.extra["lines"]] == list(wanted)
        return
    result = outcome
    assert enough
    planned: Counter[tuple[str, str]] = Counter()
    covered: Counter[str] = Counter()
    for shipment in result.shipments:
        for line in shipment.lines:
            assert line.quantity > 0
            planned[shipment.location_id, line.sku] += line.quantity
            covered[line.sku] += line.quantity
    assert covered == wanted
    for (location_id, sku), qty in planned.items():
        assert qty <= _limit(req, location_id, sku)
    if req.ship_complete and wanted:
        assert len(result.shipments) == 1
    made_to_order = wanted.keys() & req.products.keys()
    if wanted and single and not made_to_order:
        assert len(result.shipments) == 1  # a split only when no single location can
