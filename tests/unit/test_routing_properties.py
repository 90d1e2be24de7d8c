"""Properties of routing under any storefront policy: exact cover, within stock, within the rules."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from oms.clock import parse_rfc3339
from oms.domain.errors import InsufficientStock, OmsError
from oms.domain.geo import Point, haversine_km
from oms.domain.models import Capabilities, Location, Product
from oms.domain.routing import RULES, Candidate, Plan, RoutingPolicy, SourcingLine, SourcingRequest, plan

SKUS = ("A", "B", "C", "SOFA")
WORKSHOP = "loc0"
PRODUCTS = {"SOFA": Product(sku="SOFA", made_to_order=True, workshop_location_id=WORKSHOP, build_instructions="x")}
TYPES = ("warehouse", "store", "showroom", "3pl", "workshop")
CODES = {
    "insufficient_stock",
    "ship_complete_unavailable",
    "max_shipments_exceeded",
    "service_level_unavailable",
}
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


@st.composite
def policies(draw: st.DrawFn) -> RoutingPolicy:
    ranking = draw(st.permutations([r for r in RULES if r not in ("eligibility", "prefer_locations")]))
    rules = tuple(ranking[: draw(st.integers(1, len(ranking)))])
    types = frozenset(draw(st.sets(st.sampled_from(TYPES), min_size=1)))
    return RoutingPolicy(
        rules=("eligibility", *rules) if draw(st.booleans()) else rules,
        allowed_location_types=types,
        ship_from_store=draw(st.booleans()),
        max_shipments=draw(st.one_of(st.none(), st.integers(1, 3))),
        exclude_locations=tuple(draw(st.sets(st.sampled_from(["loc1", "loc2"])))),
    )


@st.composite
def requests(draw: st.DrawFn) -> SourcingRequest:
    candidates = []
    for i in range(draw(st.integers(3, 6))):
        location = Location(
            location_id=f"loc{i}",
            name=f"loc{i}",
            type=draw(st.sampled_from(TYPES)),
            lat=draw(st.floats(14.3, 14.9)),
            lon=draw(st.floats(120.8, 121.3)),
            capabilities=Capabilities(ship_from_store=draw(st.booleans()), same_day=draw(st.booleans())),
            same_day_radius_km=draw(st.sampled_from([0, 10, 40])),
            cut_off=draw(st.sampled_from(["10:00", "14:00", "18:00"])),
            priority=draw(st.integers(0, 5)),
            paused=draw(st.sampled_from([False, False, False, True])),
        )
        stock = draw(st.dictionaries(st.sampled_from(SKUS), st.integers(-1, 6), min_size=1, max_size=4))
        candidates.append(Candidate(location, stock))
    lines = draw(st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=5))
    capacity = draw(st.dictionaries(st.sampled_from([c.location.location_id for c in candidates]), st.integers(0, 2)))
    now = draw(st.one_of(st.none(), st.integers(0, 47).map(lambda h: MONDAY + timedelta(hours=h))))
    return SourcingRequest(
        lines=tuple(SourcingLine(sku, qty) for sku, qty in lines),
        destination=Point(draw(st.floats(14.3, 14.9)), draw(st.floats(120.8, 121.3))),
        service_level=draw(st.sampled_from(["same_day", "express", "standard"])),
        ship_complete=draw(st.booleans()),
        candidates=tuple(candidates),
        products=PRODUCTS if draw(st.booleans()) else {},
        policy=draw(policies()),
        capacity_left=capacity,
        now=now,
    )


def _may_ship(req: SourcingRequest, cand: Candidate, built: bool) -> bool:
    """The eligibility rules, written again: what a location may ship for this storefront."""
    loc, policy = cand.location, req.policy or RoutingPolicy()
    if loc.paused or req.capacity_left.get(loc.location_id, 1) <= 0:
        return False
    if built:
        return True  # the storefront's filters do not apply to its workshop's builds
    if loc.location_id in policy.exclude_locations or loc.type not in policy.allowed_location_types:
        return False
    return loc.type not in {"store", "showroom"} or (policy.ship_from_store and loc.capabilities.ship_from_store)


def _limit(req: SourcingRequest, cand: Candidate, sku: str) -> float:
    built = sku in req.products
    if not _may_ship(req, cand, built):
        return 0
    if built:
        if cand.location.location_id != WORKSHOP:
            return 0
        return max(0, cand.available[sku]) if sku in cand.available else float("inf")
    return max(0, cand.available.get(sku, 0))


@settings(max_examples=200, deadline=None)
@given(requests())
def test_every_plan_covers_every_line_exactly_within_stock_and_rules(req: SourcingRequest) -> None:
    wanted: Counter[str] = Counter()
    for line in req.lines:
        wanted[line.sku] += line.quantity
    by_id = {c.location.location_id: c for c in req.candidates}
    totals = {sku: sum(_limit(req, c, sku) for c in req.candidates) for sku in wanted}
    enough = all(totals[sku] >= qty for sku, qty in wanted.items())
    try:
        result: Plan | OmsError = plan(req)
    except OmsError as error:
        result = error
    if isinstance(result, OmsError):
        assert result.code in CODES
        if result.code == "insufficient_stock":
            assert not enough
        else:
            assert enough
        if isinstance(result, InsufficientStock):
            assert [f["sku"] for f in result.extra["lines"]] == list(wanted)
        if result.code == "service_level_unavailable":
            assert req.now is not None and req.service_level not in result.extra["available_service_levels"]
        return
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
        assert qty <= _limit(req, by_id[location_id], sku)
    policy = req.policy or RoutingPolicy()
    if req.ship_complete:
        assert len(result.shipments) == 1
    elif policy.max_shipments is not None:
        assert len(result.shipments) <= policy.max_shipments
    for shipment in result.shipments:
        assert (shipment.promised_by is None) == (req.now is None)
        if req.now is not None and req.service_level == "same_day":
            loc = by_id[shipment.location_id].location
            dest = req.destination
            assert loc.capabilities.same_day
            assert haversine_km(dest.lat, dest.lon, loc.lat, loc.lon) <= loc.same_day_radius_km
            assert shipment.promised_by is not None and parse_rfc3339(shipment.promised_by) > req.now
