"""The engine's working vocabulary: eligible sites, the order's wanted units, which sites may ship now."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms.domain import promise as promises
from oms.domain.routing.model import Candidate, PlannedShipment, SourcingLine, SourcingRequest


@dataclass
class Site:
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
class Wanted:
    wanted: dict[str, int]  # every sku, merged, in first-seen order
    stocked: dict[str, int] = field(default_factory=dict)
    built: dict[str, str] = field(default_factory=dict)  # made-to-order sku -> its workshop

    def lines(self, quantities: dict[str, int]) -> tuple[SourcingLine, ...]:
        return tuple(SourcingLine(sku, quantities[sku]) for sku in self.wanted if quantities.get(sku, 0) > 0)


@dataclass
class Routed:
    shipments: list[PlannedShipment]
    strategy: str
    search: dict[str, Any]


class Pool:
    """Which locations may ship now: all of them, or those that can promise a service level.

    Promises are worked out only for the locations the search asks about, once each.
    """

    def __init__(self, request: SourcingRequest, sites: dict[str, Site], level: str | None) -> None:
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
