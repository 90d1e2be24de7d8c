"""The sourcing vocabulary shared by the checkout and every routing engine: request in, plan out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms.geo import Point
from oms.models import Location, Product


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
    lines: tuple[SourcingLine, ...]
    destination: Point
    service_level: str
    ship_complete: bool
    candidates: tuple[Candidate, ...]
    products: dict[str, Product] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedShipment:
    location_id: str
    lines: tuple[SourcingLine, ...]
    service_level: str
    build_instructions: str | None = None


@dataclass(frozen=True)
class Plan:
    """The shipments, and why: candidates considered, their distance, why each was not used."""

    shipments: tuple[PlannedShipment, ...]
    explanation: dict[str, Any]
