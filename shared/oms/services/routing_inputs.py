"""The one place routing inputs are gathered: the storefront's policy, the products, the locations and
their stock, the clock. Checkout, holds, re-routing and availability all plan from what it builds."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from oms.domain import buckets
from oms.domain.errors import Unprocessable
from oms.domain.geo import Point
from oms.domain.models import Location, Product, StockLevel
from oms.domain.routing import Candidate, RoutingPolicy, SourcingLine, SourcingRequest
from oms.ports.unit_of_work import Reservation
from oms.services.deps import Deps


class UnknownSku(Unprocessable):
    code, title = "unknown_sku", "Unknown sku"


Held = Mapping[tuple[str, str], int]  # units per (sku, location) already reserved for this very order


@dataclass
class RoutingInputs:
    locations: list[Location]
    products: dict[str, Product]
    policy: RoutingPolicy
    levels: dict[tuple[str, str], StockLevel]

    def candidates(self, held: Held | None = None) -> tuple[Candidate, ...]:
        """What each location can promise now; units held for this very order count as available to it."""
        held = held or {}
        skus = {sku for sku, _ in self.levels} | {sku for sku, _ in held}
        return tuple(
            Candidate(
                location=location,
                available={
                    sku: self.levels[(sku, location.location_id)].available + held.get((sku, location.location_id), 0)
                    for sku in skus
                    if (sku, location.location_id) in self.levels
                },
            )
            for location in self.locations
        )

    def request(
        self,
        lines: Iterable[SourcingLine],
        destination: Point,
        service_level: str,
        *,
        ship_complete: bool = False,
        now: datetime | None = None,
        held: Held | None = None,
        full: Collection[str] = (),
    ) -> SourcingRequest:
        """A sourcing request over these inputs; `full` names locations out of capacity today."""
        return SourcingRequest(
            lines=tuple(lines),
            destination=destination,
            service_level=service_level,
            ship_complete=ship_complete,
            candidates=self.candidates(held),
            products=self.products,
            policy=self.policy,
            now=now,
            capacity_left=dict.fromkeys(full, 0),
        )

    def require_known(self, skus: Iterable[str]) -> None:
        """Refuse skus no location has ever stocked and no product record names: a typo, not a stock-out."""
        known = {sku for sku, _ in self.levels} | set(self.products)
        unknown = sorted(set(skus) - known)
        if unknown:
            raise UnknownSku(
                f"no location stocks {', '.join(unknown)} and no product has that sku",
                lines=[{"sku": sku} for sku in unknown],
            )

    @property
    def stocked(self) -> set[tuple[str, str]]:
        """The (sku, location) pairs with a stock record: units planned there are reserved."""
        return set(self.levels)


def storefront_policy(deps: Deps, storefront_id: str) -> RoutingPolicy:
    """The storefront's routing rules (its configuration's "routing"), or the OMS's default policy."""
    storefront = deps.uow.config.storefront(storefront_id)
    return RoutingPolicy.from_config((storefront.config if storefront else {}).get("routing"))


def gather(
    deps: Deps,
    storefront_id: str,
    skus: Iterable[str],
    *,
    exclude: Collection[str] = (),
    locations: list[Location] | None = None,
    remembered: bool = False,
) -> RoutingInputs:
    """Configuration from the per-process caches, stock in one read; `exclude` leaves locations out;
    `remembered`: a sku on sale's records as this process read them in the last second (a checkout's plan)."""
    wanted = set(skus)
    every = locations if locations is not None else deps.uow.config.locations()
    chosen = [loc for loc in every if loc.location_id not in exclude]
    return RoutingInputs(
        locations=chosen,
        products=deps.uow.config.products(wanted),
        policy=storefront_policy(deps, storefront_id),
        levels=read_levels(deps, wanted, chosen, remembered),
    )


def read_levels(
    deps: Deps, skus: Iterable[str], locations: list[Location], remembered: bool = False
) -> dict[tuple[str, str], StockLevel]:
    return deps.uow.stock.levels(skus, [loc.location_id for loc in locations], remembered)


def reservations(
    levels: Mapping[tuple[str, str], StockLevel], units: Mapping[tuple[str, str], int]
) -> list[Reservation]:
    """The writes that reserve `units` per (sku, location) (negative: release) from the levels as read: a hot
    sku's units from its buckets (oms.domain.buckets), anything else from its stock record."""
    writes: list[Reservation] = []
    for (sku, loc), qty in sorted(units.items()):
        level = levels.get((sku, loc))
        if qty > 0 and level is not None and level.buckets:
            writes += [Reservation(sku, loc, n, bucket=k) for k, n in buckets.draw(level, qty)]
        elif qty:
            writes.append(Reservation(sku, loc, qty))
    return writes
