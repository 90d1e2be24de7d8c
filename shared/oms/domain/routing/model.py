"""The sourcing vocabulary shared by the checkout and every routing engine: request in, plan out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oms.domain.geo import Point
from oms.domain.models import Location, Product
from oms.domain.routing.policy import RoutingPolicy


@dataclass(frozen=True)
class SourcingLine:
    sku: str
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError(f"a sourcing line needs a positive quantity, got {self.sku} x {self.quantity}")


@dataclass(frozen=True)
class Candidate:
    """A location and what it can still promise: sku -> available units.

    A sku is a key only when the location has a stock record for it; that is how a workshop says
    it keeps stock of a made-to-order product (see the engine).
    """

    location: Location
    available: dict[str, int]


@dataclass(frozen=True)
class SourcingRequest:
    """Everything the engine decides from; it reads nothing else (no clock, no tables).

    - `policy`: the storefront's routing policy (None: the default policy);
    - `capacity_left`: orders a location may still take today (absent: unlimited; 0 or less: none);
    - `now`: when the order is placed. With it, each shipment gets `promised_by` and the service level
      is enforced (only locations that can promise it ship; otherwise `service_level_unavailable`).
      Without it nothing is promised or checked (holds, which reserve before a service level exists);
    - `quotes`: a carrier's price for one shipment from a location to this destination, in minor
      units, for the `lowest_quote` rule (a location without one gets an estimate from distance).
    """

    lines: tuple[SourcingLine, ...]
    destination: Point
    service_level: str
    ship_complete: bool
    candidates: tuple[Candidate, ...]
    products: dict[str, Product] = field(default_factory=dict)
    policy: RoutingPolicy | None = None
    capacity_left: Mapping[str, int] = field(default_factory=dict)
    now: datetime | None = None
    quotes: Mapping[str, int] | None = None


@dataclass(frozen=True)
class PlannedShipment:
    location_id: str
    lines: tuple[SourcingLine, ...]
    service_level: str
    build_instructions: str | None = None
    promised_by: str | None = None  # RFC 3339 UTC; set when the request carries `now`
    made_to_order: bool = False  # built at its workshop: packed only once the build is completed


@dataclass(frozen=True)
class Plan:
    """The shipments, and why: candidates considered, their distance, why each was not used."""

    shipments: tuple[PlannedShipment, ...]
    explanation: dict[str, Any]

    @property
    def promised_by(self) -> str | None:
        """When the whole order is delivered: the latest promise of its shipments (None: not promised)."""
        promises = [s.promised_by for s in self.shipments]
        if not promises or None in promises:
            return None
        return max(p for p in promises if p is not None)

    def timeline_detail(self) -> dict[str, Any]:
        """A short account of the decision for the order's timeline (the full one is `explanation`)."""
        explanation = self.explanation
        omitted: dict[str, int] = explanation.get("candidates_omitted", {})
        rejected = dict(omitted)
        for candidate in explanation.get("candidates", []):
            if candidate.get("rejected"):
                rejected[candidate["rejected"]] = rejected.get(candidate["rejected"], 0) + 1
        return {
            "engine": explanation.get("engine", ""),
            "strategy": explanation.get("strategy", ""),
            "method": explanation.get("search", {}).get("method", ""),
            "shipments": [
                {
                    "location_id": s.location_id,
                    "units": sum(ln.quantity for ln in s.lines),
                    "promised_by": s.promised_by,
                }
                for s in self.shipments
            ],
            "cost": explanation.get("cost", {}),
            "candidates": len(explanation.get("candidates", [])) + sum(omitted.values()),
            "rejected": rejected,
        }
