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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oms.clock import rfc3339
from oms.domain import promise as promises
from oms.domain.errors import InsufficientStock, Unprocessable
from oms.domain.geo import haversine_km
from oms.domain.models import SERVICE_LEVELS, Location, Product
from oms.domain.routing import search
from oms.domain.routing.model import Candidate, Plan, PlannedShipment, SourcingLine, SourcingRequest
from oms.domain.routing.policy import DEFAULT_POLICY, STORE_TYPES, RoutingPolicy

ENGINE = "branch-and-bound"
EXPLAIN_MAX_CANDIDATES = 50

# The `lowest_quote` stand-in when a request has no quote for a location: a base plus a per-km rate,
# in minor units. Only the ranking it gives matters; the carrier's real price is booked later.
QUOTE_BASE = 8_000
QUOTE_PER_KM = 12


@dataclass
class _Site:
    """An eligible location: its stock (negative counts as none), distance and cost vector."""

    candidate: Candidate
    distance_km: float
    available: dict[str, int]
    builds_only: bool = False  # a workshop the storefront's filters exclude: it ships only what it builds
    weight: tuple[int, ...] = ()
    score: dict[str, Any] = field(default_factory=dict)

    @property
    def location_id(self) -> str:
        return self.candidate.location.location_id

    @property
    def rank(self) -> tuple[tuple[int, ...], str]:
        return self.weight, self.location_id


@dataclass
class _Order:
    wanted: dict[str, int]  # every sku, merged, in first-seen order
    stocked: dict[str, int] = field(default_factory=dict)
    built: dict[str, str] = field(default_factory=dict)  # made-to-order sku -> its workshop

    def lines(self, quantities: dict[str, int]) -> tuple[SourcingLine, ...]:
        return tuple(SourcingLine(sku, quantities[sku]) for sku in self.wanted if quantities.get(sku, 0) > 0)


@dataclass
class _Routed:
    shipments: list[PlannedShipment]
    strategy: str
    search: dict[str, Any]


class Pool:
    """Which locations may ship now: all of them, or those that can promise a service level.

    Promises are worked out only for the locations the search asks about, once each.
    """

    def __init__(self, request: SourcingRequest, sites: dict[str, _Site], level: str | None) -> None:
        self.request = request
        self.sites = sites
        self.level = level
        self._known: dict[tuple[str, bool], str | None] = {}

    def why_not(self, location_id: str, built: bool = False) -> str | None:
        """None when the location may ship (stock, or items it builds); otherwise why it may not."""
        if self.level is None or self.request.now is None or not promises.restricted(self.level):
            return None
        key = (location_id, built)
        if key not in self._known:
            location = self.sites[location_id].candidate.location
            verdict = promises.assess(
                location, self.level, self.request.destination, self.request.now, made_to_order=built
            )
            self._known[key] = None if verdict.at is not None else (verdict.reason or "cannot promise")
        return self._known[key]

    def admits(self, location_id: str, built: bool = False) -> bool:
        return self.why_not(location_id, built) is None


def merge_lines(lines: tuple[SourcingLine, ...]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    return merged


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

    order = _order(request)
    sites, ineligible = _eligible(request, policy, order)
    figures = _figures(order, sites)
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
    explained, omitted = _explain(request, policy, order, sites, ineligible, pool, shipments)
    result = Plan(shipments, {})
    result.explanation.update(
        {
            "engine": ENGINE,
            "strategy": routed.strategy,
            "policy": policy.describe(),
            "search": routed.search,
            "cost": _cost(policy, shipments, sites),
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


# -- inputs --------------------------------------------------------------------------------------------


def _order(request: SourcingRequest) -> _Order:
    order = _Order(merge_lines(request.lines))
    for sku, qty in order.wanted.items():
        product = request.products.get(sku)
        if product is not None and product.made_to_order and product.workshop_location_id:
            order.built[sku] = product.workshop_location_id
        else:
            order.stocked[sku] = qty
    return order


def _ineligible(request: SourcingRequest, policy: RoutingPolicy, candidate: Candidate) -> str | None:
    return why_ineligible(candidate.location, policy, request.capacity_left)


def why_ineligible(loc: Location, policy: RoutingPolicy, capacity_left: Mapping[str, int]) -> str | None:
    """Why a location may not ship this storefront's stock, or None (also what availability counts)."""
    if loc.paused:
        return "paused"
    left = capacity_left.get(loc.location_id)
    if left is not None and left <= 0:
        return "no capacity left today"
    if loc.location_id in policy.exclude_locations:
        return "excluded by the storefront's rules"
    if loc.type not in policy.allowed_location_types:
        return f"location type {loc.type} is not allowed for this storefront"
    if loc.type in STORE_TYPES:
        if not policy.ship_from_store:
            return "this storefront does not ship from stores"
        if not loc.capabilities.ship_from_store:
            return "does not ship from store"
    return None


def _eligible(
    request: SourcingRequest, policy: RoutingPolicy, order: _Order
) -> tuple[dict[str, _Site], dict[str, str]]:
    """Sites that may ship (a workshop of this order's made-to-order lines only for those), and why not."""
    dest = request.destination
    workshops = set(order.built.values())
    sites: dict[str, _Site] = {}
    ineligible: dict[str, str] = {}
    for cand in request.candidates:
        loc = cand.location
        reason = _ineligible(request, policy, cand)
        if reason is not None:
            ineligible[loc.location_id] = reason
            # The storefront's filters do not apply to what only this workshop can build.
            if loc.location_id not in workshops or reason in _HARD:
                continue
        distance = haversine_km(dest.lat, dest.lon, loc.lat, loc.lon)
        # Only the ordered skus matter; a location's whole assortment can be large.
        wanted = order.built if reason is not None else order.wanted
        held = cand.available
        available = {sku: max(0, held[sku]) for sku in wanted if sku in held}
        site = _Site(cand, distance, available, builds_only=reason is not None)
        site.weight, site.score = _weight(request, policy, site)
        sites[loc.location_id] = site
    return sites, ineligible


_HARD = frozenset({"paused", "no capacity left today"})


def _weight(request: SourcingRequest, policy: RoutingPolicy, site: _Site) -> tuple[tuple[int, ...], dict[str, Any]]:
    loc = site.candidate.location
    values: list[int] = []
    score: dict[str, Any] = {"distance_km": round(site.distance_km, 1), "priority": loc.priority}
    for rule in policy.ranking:
        if rule == "fewest_shipments":
            values.append(1)
        elif rule == "nearest":
            values.append(round(site.distance_km * 1000))  # metres: integer sums compare exactly
        elif rule == "lowest_quote":
            quote = (request.quotes or {}).get(loc.location_id)
            estimated = quote is None
            if quote is None:
                quote = QUOTE_BASE + round(QUOTE_PER_KM * site.distance_km)
            values.append(max(0, int(quote)))
            score["quote"] = quote
            score["quote_estimated"] = estimated
        elif rule == "priority":
            values.append(loc.priority)
        elif rule == "prefer_locations":
            preferred = loc.location_id in policy.prefer_locations
            values.append(0 if preferred else 1)
            score["preferred"] = preferred
    return tuple(values), score


def _figures(order: _Order, sites: dict[str, _Site]) -> list[dict[str, Any]]:
    """Requested and available per line; refuses the order when any line is short."""

    totals = dict.fromkeys(order.stocked, 0)
    for site in sites.values():
        if not site.builds_only:
            for sku, units in site.available.items():
                if sku in totals:
                    totals[sku] += units

    def available(sku: str) -> int:
        if sku in order.built:
            site = sites.get(order.built[sku])
            # No stock record at the workshop: built to order, so not limited.
            return 0 if site is None else site.available.get(sku, order.wanted[sku])
        return totals[sku]

    figures: list[dict[str, Any]] = [
        {"sku": sku, "requested": qty, "available": available(sku)} for sku, qty in order.wanted.items()
    ]
    short = [f for f in figures if f["available"] < f["requested"]]
    if short:
        detail = ", ".join(f"{f['sku']} (requested {f['requested']}, available {f['available']})" for f in short)
        raise InsufficientStock(f"not enough stock for {detail}", lines=figures)
    return figures


# -- routing -------------------------------------------------------------------------------------------


def _route(
    request: SourcingRequest,
    policy: RoutingPolicy,
    order: _Order,
    sites: dict[str, _Site],
    figures: list[dict[str, Any]],
    pool: Pool,
) -> _Routed:
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
    return _Routed(shipments, strategy, info)


def _refuse(code: str, detail: str, figures: list[dict[str, Any]], **extra: Any) -> InsufficientStock:
    return InsufficientStock(detail, code=code, lines=figures, **extra)


def _ship_complete(
    request: SourcingRequest, order: _Order, sites: dict[str, _Site], figures: list[dict[str, Any]], pool: Pool
) -> _Routed:
    # With made-to-order lines the one location can only be their workshop, if they share one.
    workshops = set(order.built.values())
    if len(workshops) > 1:
        able: list[_Site] = []
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
    shipment = PlannedShipment(site.location_id, order.lines(order.wanted), request.service_level, instructions)
    info = {
        "method": "exact",
        "proven_optimal": True,
        "nodes": 0,
        "sites_with_stock": len(able),
        "skus": len(order.wanted),
    }
    return _Routed([shipment], "ship_complete", info)


def _can_ship_all(site: _Site, order: _Order, stock_too: bool) -> bool:
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
    request: SourcingRequest, order: _Order, sites: dict[str, _Site], figures: list[dict[str, Any]], pool: Pool
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
            )
        )
    return shipments


def _from_stock(
    order: _Order, sites: dict[str, _Site], figures: list[dict[str, Any]], pool: Pool, cap: int | None
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
    relevant: list[_Site] = []
    holds: list[dict[int, int]] = []
    for site in sorted(sites.values(), key=lambda s: s.rank):
        if site.builds_only:
            continue
        held = {index[sku]: min(n, order.stocked[sku]) for sku, n in site.available.items() if sku in index and n > 0}
        if held and pool.admits(site.location_id):
            relevant.append(site)
            holds.append(held)
    problem = search.Problem(
        need=tuple(order.stocked[sku] for sku in skus),
        holds=tuple(holds),
        weight=tuple(site.weight for site in relevant),
        max_sites=cap,
    )
    solution = search.solve(problem)
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
        "switch_point": {"exact_max_sites": search.EXACT_MAX_SITES, "exact_max_skus": search.EXACT_MAX_SKUS},
    }
    return stocked, info


# -- promises ------------------------------------------------------------------------------------------


def _routable(
    request: SourcingRequest,
    policy: RoutingPolicy,
    order: _Order,
    sites: dict[str, _Site],
    figures: list[dict[str, Any]],
    level: str,
) -> bool:
    try:
        _route(request, policy, order, sites, figures, Pool(request, sites, level))
    except InsufficientStock:
        return False
    return True


def _promised(
    request: SourcingRequest, shipment: PlannedShipment, sites: dict[str, _Site], order: _Order, now: datetime
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
    )


# -- explanation ---------------------------------------------------------------------------------------

_BEATEN_BY = {
    "nearest": "farther than the chosen location",
    "lowest_quote": "a dearer carrier quote than the chosen location",
    "priority": "a lower priority than the chosen location",
    "prefer_locations": "not a preferred location",
    "fewest_shipments": "more shipments than the chosen plan",
}


def _cost(policy: RoutingPolicy, shipments: tuple[PlannedShipment, ...], sites: dict[str, _Site]) -> dict[str, Any]:
    used = [sites[s.location_id] for s in shipments]
    cost: dict[str, Any] = {
        "shipments": len(shipments),
        "distance_km": round(sum(s.distance_km for s in used), 1),
        "priority": sum(s.candidate.location.priority for s in used),
    }
    if "lowest_quote" in policy.ranking:
        cost["quote"] = sum(int(s.score["quote"]) for s in used)
    if "prefer_locations" in policy.ranking:
        cost["not_preferred"] = sum(1 for s in used if not s.score.get("preferred"))
    return cost


def _explain(
    request: SourcingRequest,
    policy: RoutingPolicy,
    order: _Order,
    sites: dict[str, _Site],
    ineligible: dict[str, str],
    pool: Pool,
    shipments: tuple[PlannedShipment, ...],
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Each candidate, nearest first: distance, score and, when not used, why (and by which rule).

    Beyond EXPLAIN_MAX_CANDIDATES, the farthest unused ones are only counted, per reason (second value).
    """
    dest = request.destination
    chosen = {s.location_id for s in shipments}
    stocked = order.stocked
    single = next(iter(chosen)) if len(chosen) == 1 else None
    out: list[tuple[float, str, dict[str, Any]]] = []
    for cand in request.candidates:
        loc = cand.location
        loc_id = loc.location_id
        site = sites.get(loc_id)
        distance = site.distance_km if site else haversine_km(dest.lat, dest.lon, loc.lat, loc.lon)
        held = cand.available
        covers_all = bool(stocked) and all(held.get(sku, 0) >= qty for sku, qty in stocked.items())
        rejected: str | None = None
        rule: str | None = None
        if loc_id not in chosen:
            if loc_id in ineligible:
                rejected, rule = ineligible[loc_id], "eligibility"
            elif not stocked:
                rejected, rule = "nothing to ship from stock", "stock"
            elif not any(held.get(sku, 0) > 0 for sku in stocked):
                rejected, rule = "holds none of the ordered skus", "stock"
            elif site is not None and (why := pool.why_not(loc_id)) is not None:
                rejected, rule = why, "service_level"
            elif not covers_all:
                rejected, rule = "holds only part of the order", "fewest_shipments"
            elif single is not None and site is not None:
                rule = _deciding_rule(policy, site, sites[single])
                rejected = _BEATEN_BY.get(rule, "tie broken by location id")
            else:
                rejected, rule = "ranked below the chosen plan", policy.ranking[0]
        entry: dict[str, Any] = {
            "location_id": loc_id,
            "type": loc.type,
            "distance_km": round(distance, 1),
            "covers_all": covers_all,
            "chosen": loc_id in chosen,
            "rejected": rejected,
            "rule": rule,
        }
        if site is not None:
            entry["score"] = site.score
        out.append((distance, loc_id, entry))
    ordered = [entry for _, _, entry in sorted(out, key=lambda item: (item[0], item[1]))]
    if len(ordered) <= EXPLAIN_MAX_CANDIDATES:
        return ordered, {}
    # The explanation is stored on the order (one DynamoDB item, 400 KB at most): keep every chosen
    # location and the nearest others, and count the rest by reason.
    kept = {e["location_id"] for e in ordered if e["chosen"]}
    for entry in ordered:
        if len(kept) >= EXPLAIN_MAX_CANDIDATES:
            break
        kept.add(entry["location_id"])
    omitted: dict[str, int] = {}
    for entry in ordered:
        if entry["location_id"] not in kept:
            omitted[entry["rejected"]] = omitted.get(entry["rejected"], 0) + 1
    return [e for e in ordered if e["location_id"] in kept], omitted


def _deciding_rule(policy: RoutingPolicy, site: _Site, winner: _Site) -> str:
    for rule, mine, theirs in zip(policy.ranking, site.weight, winner.weight, strict=True):
        if mine != theirs:
            return rule
    return "location_id"
