"""The first routing engine: the nearest location that can ship everything, a greedy split otherwise.

Rules, in order:
- duplicate skus are merged into one line (first-seen order is kept);
- paused locations are not considered;
- a made-to-order product goes to its workshop as its own shipment, with build instructions. It is
  not stock-limited (it is built to order) unless the workshop keeps a stock record for that sku
  (the sku is a key of the workshop's `Candidate.available`), in which case that stock is the
  limit. A workshop that is paused or not among the candidates can build nothing;
- the other lines go to the nearest location that can ship all of them; only when none can, the
  order is split: repeatedly take the location that covers the most remaining units (ties: nearer,
  then location id) and take from it all it can;
- `ship_complete` forbids a split: one location must ship the whole order (with made-to-order lines,
  that is their one workshop), or the request is refused with `ship_complete_unavailable`.
Not enough stock in total is refused first, with `insufficient_stock` and every line's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms.errors import InsufficientStock
from oms.geo import haversine_km
from oms.models import Product
from oms.routing.model import Candidate, Plan, PlannedShipment, SourcingLine, SourcingRequest

ENGINE = "nearest-greedy"


@dataclass
class _Site:
    """An eligible location and the units it has left while the plan is being built."""

    candidate: Candidate
    distance_km: float
    left: dict[str, int]

    @property
    def location_id(self) -> str:
        return self.candidate.location.location_id

    def can_ship(self, lines: dict[str, int]) -> bool:
        return all(self.left.get(sku, 0) >= qty for sku, qty in lines.items())

    def covers(self, lines: dict[str, int]) -> int:
        return sum(min(qty, self.left.get(sku, 0)) for sku, qty in lines.items())

    def take(self, lines: dict[str, int]) -> dict[str, int]:
        taken = {sku: min(qty, self.left.get(sku, 0)) for sku, qty in lines.items()}
        for sku, qty in taken.items():
            if sku in self.left:
                self.left[sku] -= qty
        return {sku: qty for sku, qty in taken.items() if qty > 0}


@dataclass
class _Order:
    wanted: dict[str, int]  # every sku, merged, in first-seen order
    stocked: dict[str, int] = field(default_factory=dict)
    built: dict[str, str] = field(default_factory=dict)  # made-to-order sku -> its workshop

    def lines(self, quantities: dict[str, int]) -> tuple[SourcingLine, ...]:
        return tuple(SourcingLine(sku, quantities[sku]) for sku in self.wanted if quantities.get(sku, 0) > 0)


def merge_lines(lines: tuple[SourcingLine, ...]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    return merged


def _order(request: SourcingRequest) -> _Order:
    order = _Order(merge_lines(request.lines))
    for sku, qty in order.wanted.items():
        product = request.products.get(sku)
        if product is not None and product.made_to_order and product.workshop_location_id:
            order.built[sku] = product.workshop_location_id
        else:
            order.stocked[sku] = qty
    return order


def _sites(request: SourcingRequest) -> tuple[dict[str, _Site], list[Candidate]]:
    dest = request.destination
    sites: dict[str, _Site] = {}
    paused: list[Candidate] = []
    seen: set[str] = set()
    for cand in request.candidates:
        loc = cand.location
        if loc.location_id in seen:
            raise ValueError(f"location {loc.location_id} is a candidate twice")
        seen.add(loc.location_id)
        if loc.paused:
            paused.append(cand)
            continue
        distance = haversine_km(dest.lat, dest.lon, loc.lat, loc.lon)
        sites[loc.location_id] = _Site(cand, distance, {s: max(0, n) for s, n in cand.available.items()})
    return sites, paused


def _figures(order: _Order, sites: dict[str, _Site]) -> list[dict[str, Any]]:
    """Requested and available per line; refuses the order when any line is short."""

    def available(sku: str) -> int:
        if sku in order.built:
            site = sites.get(order.built[sku])
            # No stock record at the workshop: built to order, so not limited.
            return 0 if site is None else site.left.get(sku, order.wanted[sku])
        return sum(site.left.get(sku, 0) for site in sites.values())

    figures: list[dict[str, Any]] = [
        {"sku": sku, "requested": qty, "available": available(sku)} for sku, qty in order.wanted.items()
    ]
    short = [f for f in figures if f["available"] < f["requested"]]
    if short:
        detail = ", ".join(f"{f['sku']} (requested {f['requested']}, available {f['available']})" for f in short)
        raise InsufficientStock(f"not enough stock for {detail}", lines=figures)
    return figures


def _instructions(products: dict[str, Product], skus: list[str]) -> str | None:
    given = [(sku, text) for sku in skus if (text := products[sku].build_instructions)]
    if not given:
        return None
    if len(skus) == 1:
        return given[0][1]
    return "\n".join(f"{sku}: {text}" for sku, text in given)


def _ship_complete(
    request: SourcingRequest, order: _Order, sites: dict[str, _Site], figures: list[dict[str, Any]]
) -> PlannedShipment:
    # With made-to-order lines the one location can only be their workshop, if they share one.
    workshops = set(order.built.values())
    if not workshops:
        pool = list(sites.values())
    elif len(workshops) == 1:
        pool = [sites[w] for w in workshops if w in sites]
    else:
        pool = []
    recorded = {sku: order.wanted[sku] for sku in order.built}
    able = [
        s for s in pool if s.can_ship(order.stocked) and s.can_ship({k: q for k, q in recorded.items() if k in s.left})
    ]
    if not able:
        raise InsufficientStock(
            "ship_complete: no single location can ship the whole order",
            code="ship_complete_unavailable",
            lines=figures,
        )
    site = min(able, key=lambda s: (s.distance_km, s.location_id))
    site.take(order.wanted)
    instructions = _instructions(request.products, list(order.built)) if order.built else None
    return PlannedShipment(site.location_id, order.lines(order.wanted), request.service_level, instructions)


def _made_to_order(request: SourcingRequest, order: _Order, sites: dict[str, _Site]) -> list[PlannedShipment]:
    shipments = []
    for workshop in dict.fromkeys(order.built.values()):
        skus = [sku for sku, w in order.built.items() if w == workshop]
        sites[workshop].take({sku: order.wanted[sku] for sku in skus})
        shipments.append(
            PlannedShipment(
                workshop,
                order.lines({sku: order.wanted[sku] for sku in skus}),
                request.service_level,
                _instructions(request.products, skus),
            )
        )
    return shipments


def _from_stock(request: SourcingRequest, order: _Order, sites: dict[str, _Site]) -> list[PlannedShipment]:
    """Greedy cover: the location covering most remaining units, nearest first on a tie, until done.

    The first pick is therefore the nearest location that holds everything, when there is one.
    """
    shipments = []
    remaining = dict(order.stocked)
    while remaining:
        site = min(sites.values(), key=lambda s: (-s.covers(remaining), s.distance_km, s.location_id))
        taken = site.take(remaining)
        if not taken:  # cannot happen after the totals check; never loop forever
            raise AssertionError("routing: stock ran out after the totals check")
        remaining = {sku: qty - taken.get(sku, 0) for sku, qty in remaining.items()}
        remaining = {sku: qty for sku, qty in remaining.items() if qty > 0}
        shipments.append(PlannedShipment(site.location_id, order.lines(taken), request.service_level))
    return shipments


def plan(request: SourcingRequest) -> Plan:
    order = _order(request)
    sites, paused = _sites(request)
    figures = _figures(order, sites)
    if request.ship_complete and order.wanted:
        shipments = [_ship_complete(request, order, sites, figures)]
        strategy = "ship_complete"
    else:
        built = _made_to_order(request, order, sites)
        stocked = _from_stock(request, order, sites)
        shipments = built + stocked
        strategy = "split" if len(stocked) > 1 else "single_location" if stocked else "made_to_order"
        if not shipments:
            strategy = "empty"
    dest = request.destination
    explanation = {
        "engine": ENGINE,
        "strategy": strategy,
        "destination": {"lat": dest.lat, "lon": dest.lon, "precision": dest.precision},
        "ship_complete": request.ship_complete,
        "made_to_order": [{"sku": sku, "workshop_location_id": w} for sku, w in order.built.items()],
        "candidates": _explain(sites, paused, order.stocked, {s.location_id for s in shipments}),
    }
    return Plan(tuple(shipments), explanation)


def _explain(
    sites: dict[str, _Site], paused: list[Candidate], stocked: dict[str, int], chosen: set[str]
) -> list[dict[str, Any]]:
    """Every candidate, nearest first, with its distance and, when not used, why."""
    out: list[dict[str, Any]] = []
    for site in sorted(sites.values(), key=lambda s: (s.distance_km, s.location_id)):
        held = site.candidate.available
        covers_all = all(held.get(sku, 0) >= qty for sku, qty in stocked.items())
        rejected = None
        if site.location_id not in chosen:
            if not stocked:
                rejected = "nothing to ship from stock"
            elif covers_all:
                rejected = "farther than the chosen location"
            elif any(held.get(sku, 0) > 0 for sku in stocked):
                rejected = "holds only part of the order"
            else:
                rejected = "holds none of the ordered skus"
        out.append(
            {
                "location_id": site.location_id,
                "distance_km": round(site.distance_km, 1),
                "covers_all": covers_all,
                "chosen": rejected is None,
                "rejected": rejected,
            }
        )
    for cand in paused:
        out.append(
            {
                "location_id": cand.location.location_id,
                "distance_km": None,
                "covers_all": False,
                "chosen": False,
                "rejected": "paused",
            }
        )
    return out
