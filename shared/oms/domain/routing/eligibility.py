"""Which locations may ship an order and what they hold of it; refusals when the stock is short."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oms.domain.errors import InsufficientStock
from oms.domain.geo import haversine_km
from oms.domain.models import Location
from oms.domain.routing.model import Candidate, SourcingRequest
from oms.domain.routing.policy import STORE_TYPES, RoutingPolicy
from oms.domain.routing.sites import Site, Wanted, merge_lines

# The `lowest_quote` stand-in when a request has no quote for a location: a base plus a per-km rate,
# in minor units. Only the ranking it gives matters; the carrier's real price is booked later.
QUOTE_BASE = 8_000
QUOTE_PER_KM = 12


def wanted_of(request: SourcingRequest) -> Wanted:
    order = Wanted(merge_lines(request.lines))
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


def eligible_sites(
    request: SourcingRequest, policy: RoutingPolicy, order: Wanted
) -> tuple[dict[str, Site], dict[str, str]]:
    """Sites that may ship (a workshop of this order's made-to-order lines only for those), and why not."""
    dest = request.destination
    workshops = set(order.built.values())
    sites: dict[str, Site] = {}
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
        site = Site(cand, distance, available, builds_only=reason is not None)
        site.weight, site.score = _weight(request, policy, site)
        sites[loc.location_id] = site
    return sites, ineligible


_HARD = frozenset({"paused", "no capacity left today"})


def _weight(request: SourcingRequest, policy: RoutingPolicy, site: Site) -> tuple[tuple[int, ...], dict[str, Any]]:
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


def line_figures(order: Wanted, sites: dict[str, Site]) -> list[dict[str, Any]]:
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
