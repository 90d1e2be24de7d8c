"""Why a plan is what it is: every candidate's verdict, the deciding rule, the plan's cost."""

from __future__ import annotations

from typing import Any

from oms.domain.geo import haversine_km
from oms.domain.routing.model import PlannedShipment, SourcingRequest
from oms.domain.routing.policy import RoutingPolicy
from oms.domain.routing.sites import Pool, Site, Wanted

EXPLAIN_MAX_CANDIDATES = 50


_BEATEN_BY = {
    "nearest": "farther than the chosen location",
    "lowest_quote": "a dearer carrier quote than the chosen location",
    "priority": "a lower priority than the chosen location",
    "prefer_locations": "not a preferred location",
    "fewest_shipments": "more shipments than the chosen plan",
}


def cost(policy: RoutingPolicy, shipments: tuple[PlannedShipment, ...], sites: dict[str, Site]) -> dict[str, Any]:
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


def explain(
    request: SourcingRequest,
    policy: RoutingPolicy,
    order: Wanted,
    sites: dict[str, Site],
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


def _deciding_rule(policy: RoutingPolicy, site: Site, winner: Site) -> str:
    for rule, mine, theirs in zip(policy.ranking, site.weight, winner.weight, strict=True):
        if mine != theirs:
            return rule
    return "location_id"
