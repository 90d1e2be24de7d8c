"""The routing engine: eligible locations, made-to-order to its workshop, the cheapest plan by the policy.

Steps, in order:
1. Refuse what cannot be routed: a destination that is not a point on the map
   (`destination_unlocatable`), a policy naming a location that is not a candidate
   (`unknown_location_in_rules`).
2. Eligibility (see `oms.domain.routing.policy`): paused, no capacity left today, excluded, a location type
   the storefront does not allow, a store or showroom that may not ship. Made-to-order lines are
   exempt from the storefront's location filters (no other location can build them), not from
   paused or capacity.
3. Duplicate skus are merged (first-seen order kept). A made-to-order product goes to its workshop as
   its own shipment, with the build instructions; it is not stock-limited unless the workshop keeps
   a stock record for that sku (the sku is a key of the workshop's `Candidate.available`).
4. Not enough stock at eligible locations: `insufficient_stock` (409) with every line's figures.
5. The stocked lines go to the cheapest set of locations by the policy's rules (`oms.domain.routing.search`:
   exact branch and bound for small cases, a heuristic beyond), within `max_shipments` (a
   `ship_complete` request: one location ships everything, made-to-order lines included, which
   means their workshop). Units of a sku are taken from the chosen locations in rank order.
6. With `now`, only locations that can promise the service level ship, and every shipment carries
   its promise; when the stock exists but not where the level can be promised, the request is
   refused with `service_level_unavailable` (422) and the levels that can be.
Refusals of stock that exists but not in a shape the request allows are 409s that carry the line
figures, like `insufficient_stock`: `ship_complete_unavailable`, `max_shipments_exceeded`.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from typing import Any

from oms.clock import rfc3339
from oms.domain import promise as promises
from oms.domain.errors import InsufficientStock, Unprocessable
from oms.domain.models import SERVICE_LEVELS, Product
from oms.domain.routing.eligibility import eligible_sites, line_figures, wanted_of
from oms.domain.routing.explanation import cost, explain
from oms.domain.routing.model import Plan, PlannedShipment, SourcingRequest
from oms.domain.routing.policy import DEFAULT_POLICY, RoutingPolicy
from oms.domain.routing.search import EXACT_MAX_SITES, EXACT_MAX_SKUS, Problem, solve
from oms.domain.routing.sites import Pool, Routed, Site, Wanted

ENGINE = "branch-and-bound"


def plan(request: SourcingRequest) -> Plan:
    policy = request.policy or DEFAULT_POLICY
    dest = request.destination
    if not (math.isfinite(dest.lat) and math.isfinite(dest.lon) and -90 <= dest.lat <= 90 and -180 <= dest.lon <= 180):
        raise Unprocessable(
            f"the destination ({dest.lat}, {dest.lon}) is not a point on the map",
            code="destination_unlocatable",
        )
    ids = [c.location.location_id for c in request.candidates]
    twice = sorted({loc for loc, n in Counter(ids).items() if n > 1})
    if twice:
        raise ValueError(f"location {', '.join(twice)} is a candidate twice")
    policy.check_locations(ids)

    order = wanted_of(request)
    sites, ineligible = eligible_sites(request, policy, order)
    figures = line_figures(order, sites)
    pool = Pool(request, sites, request.service_level)
    if request.now is None:
        routed = _route(request, policy, order, sites, figures, pool)
    else:
        now = request.now
        try:
            routed = _route(request, policy, order, sites, figures, pool)
        except InsufficientStock:
            # Could it ship at all? If not, that is the answer; if so, the service level is the problem.
            _route(request, policy, order, sites, figures, Pool(request, sites, None))
            possible = [
                level
                for level in SERVICE_LEVELS
                if level != request.service_level and _routable(request, policy, order, sites, figures, level)
            ]
            raise Unprocessable(
                f"{request.service_level} delivery cannot be promised for this order to this destination now"
                + (f"; available: {', '.join(possible)}" if possible else ""),
                code="service_level_unavailable",
                service_level=request.service_level,
                available_service_levels=possible,
            ) from None
        routed.shipments = [_promised(request, s, sites, order, now) for s in routed.shipments]

    shipments = tuple(routed.shipments)
    explained, omitted = explain(request, policy, order, sites, ineligible, pool, shipments)
    result = Plan(shipments, {})
    result.explanation.update(
        {
            "engine": ENGINE,
            "strategy": routed.strategy,
            "policy": policy.describe(),
            "search": routed.search,
            "cost": cost(policy, shipments, sites),
            "destination": {"lat": dest.lat, "lon": dest.lon, "precision": dest.precision},
            "service_level": request.service_level,
            "ship_complete": request.ship_complete,
            "promised_by": result.promised_by,
            "made_to_order": [{"sku": sku, "workshop_location_id": w} for sku, w in order.built.items()],
            "candidates": explained,
            "candidates_omitted": omitted,
        }
    )
    return result


# -- routing -------------------------------------------------------------------------------------------


def _route(
    request: SourcingRequest,
    policy: RoutingPolicy,
    order: Wanted,
    sites: dict[str, Site],
    figures: list[dict[str, Any]],
    pool: Pool,
) -> Routed:
    """The cheapest plan from the locations `pool` admits, or InsufficientStock with the reason's code."""
    if request.ship_complete and order.wanted:
        return _ship_complete(request, order, sites, figures, pool)
    built = _made_to_order(request, order, sites, figures, pool)
    cap = policy.max_shipments
    stock_cap = None if cap is None else cap - len(built)
    stocked, info = _from_stock(order, sites, figures, pool, stock_cap)
    shipments = built + [PlannedShipment(loc, order.lines(qty), request.service_level) for loc, qty in stocked]
    strategy = "split" if len(stocked) > 1 else "single_location" if stocked else "made_to_order"
    if not shipments:
        strategy = "empty"
    return Routed(shipments, strategy, info)


def _refuse(code: str, detail: str, figures: list[dict[str, Any]], **extra: Any) -> InsufficientStock:
    return InsufficientStock(detail, code=code, lines=figures, **extra)


def _ship_complete(
    request: SourcingRequest, order: Wanted, sites: dict[str, Site], figures: list[dict[str, Any]], pool: Pool
) -> Routed:
    # With made-to-order lines the one location can only be their workshop, if they share one.
    workshops = set(order.built.values())
    if len(workshops) > 1:
        able: list[Site] = []
    else:
        able = [
            site
            for site in sites.values()
            if (not workshops or site.location_id in workshops)
            and pool.admits(site.location_id, built=bool(workshops))
            and _can_ship_all(site, order, stock_too=not site.builds_only)
        ]
    if not able:
        raise _refuse(
            "ship_complete_unavailable", "ship_complete: no single location can ship the whole order", figures
        )
    site = min(able, key=lambda s: s.rank)
    instructions = _instructions(request.products, list(order.built)) if order.built else None
    shipment = PlannedShipment(
        site.location_id,
        order.lines(order.wanted),
        request.service_level,
        instructions,
        made_to_order=bool(order.built),
    )
    info = {
        "method": "exact",
        "proven_optimal": True,
        "nodes": 0,
        "sites_with_stock": len(able),
        "skus": len(order.wanted),
    }
    return Routed([shipment], "ship_complete", info)


def _can_ship_all(site: Site, order: Wanted, stock_too: bool) -> bool:
    for sku, qty in order.wanted.items():
        if sku in order.built:
            if sku in site.available and site.available[sku] < qty:
                return False
        elif not stock_too or site.available.get(sku, 0) < qty:
            return False
    return True


def _instructions(products: dict[str, Product], skus: list[str]) -> str | None:
    given = [(sku, text) for sku in skus if (text := products[sku].build_instructions)]
    if not given:
        return None
    if len(skus) == 1:
        return given[0][1]
    return "\n".join(f"{sku}: {text}" for sku, text in given)


def _made_to_order(
    request: SourcingRequest, order: Wanted, sites: dict[str, Site], figures: list[dict[str, Any]], pool: Pool
) -> list[PlannedShipment]:
    shipments = []
    for workshop in dict.fromkeys(order.built.values()):
        if workshop not in sites or not pool.admits(workshop, built=True):
            raise _refuse("insufficient_stock", f"workshop {workshop} cannot build this order now", figures)
        skus = [sku for sku, w in order.built.items() if w == workshop]
        shipments.append(
            PlannedShipment(
                workshop,
                order.lines({sku: order.wanted[sku] for sku in skus}),
                request.service_level,
                _instructions(request.products, skus),
                made_to_order=True,
            )
        )
    return shipments


def _from_stock(
    order: Wanted, sites: dict[str, Site], figures: list[dict[str, Any]], pool: Pool, cap: int | None
) -> tuple[list[tuple[str, dict[str, int]]], dict[str, Any]]:
    """The cheapest locations for the stocked lines, and each one's units (biggest shipment first)."""
    skus = list(order.stocked)
    if not skus:
        return [], {"method": "exact", "proven_optimal": True, "nodes": 0, "sites_with_stock": 0, "skus": 0}
    if cap is not None and cap < 1:
        raise _refuse(
            "max_shipments_exceeded",
            "the made-to-order lines already use every shipment this storefront allows",
            figures,
            max_shipments=cap,
        )
    index = {sku: j for j, sku in enumerate(skus)}
    relevant: list[Site] = []
    holds: list[dict[int, int]] = []
    for site in sorted(sites.values(), key=lambda s: s.rank):
        if site.builds_only:
            continue
        held = {index[sku]: min(n, order.stocked[sku]) for sku, n in site.available.items() if sku in index and n > 0}
        if held and pool.admits(site.location_id):
            relevant.append(site)
            holds.append(held)
    problem = Problem(
        need=tuple(order.stocked[sku] for sku in skus),
        holds=tuple(holds),
        weight=tuple(site.weight for site in relevant),
        max_sites=cap,
    )
    solution = solve(problem)
    if solution is None:
        if cap is not None and problem.covers(range(len(relevant))):  # all of them together could
            raise _refuse(
                "max_shipments_exceeded",
                f"the stock for this order is spread over more locations than the {cap} shipment(s) allowed",
                figures,
                max_shipments=cap,
            )
        raise _refuse("insufficient_stock", "not enough stock at the locations that can ship this order", figures)
    chosen = sorted((relevant[i] for i in solution.sites), key=lambda s: s.rank)
    allocation: dict[str, dict[str, int]] = {site.location_id: {} for site in chosen}
    for sku, qty in order.stocked.items():
        left = qty
        for site in chosen:
            take = min(left, site.available.get(sku, 0))
            if take > 0:
                allocation[site.location_id][sku] = take
                left -= take
            if not left:
                break
    rank = {site.location_id: site.rank for site in chosen}
    stocked = sorted(
        ((loc, units) for loc, units in allocation.items() if units),
        key=lambda item: (-sum(item[1].values()), rank[item[0]]),
    )
    info = {
        "method": solution.method,
        "proven_optimal": solution.proven,
        "nodes": solution.nodes,
        "sites_with_stock": len(relevant),
        "skus": len(skus),
        "switch_point": {"exact_max_sites": EXACT_MAX_SITES, "exact_max_skus": EXACT_MAX_SKUS},
    }
    return stocked, info


# -- promises ------------------------------------------------------------------------------------------


def _routable(
    request: SourcingRequest,
    policy: RoutingPolicy,
    order: Wanted,
    sites: dict[str, Site],
    figures: list[dict[str, Any]],
    level: str,
) -> bool:
    try:
        _route(request, policy, order, sites, figures, Pool(request, sites, level))
    except InsufficientStock:
        return False
    return True


def _promised(
    request: SourcingRequest, shipment: PlannedShipment, sites: dict[str, Site], order: Wanted, now: datetime
) -> PlannedShipment:
    location = sites[shipment.location_id].candidate.location
    built = any(line.sku in order.built for line in shipment.lines)
    at = promises.promise(location, shipment.service_level, request.destination, now, made_to_order=built)
    return PlannedShipment(
        shipment.location_id,
        shipment.lines,
        shipment.service_level,
        shipment.build_instructions,
        rfc3339(at) if at is not None else None,
        shipment.made_to_order,
    )
