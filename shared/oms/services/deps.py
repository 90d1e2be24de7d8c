"""What every service works with: a unit of work, the partners, the phase starter, the publisher, a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from oms.clock import Clock, rfc3339
from oms.ports.events import EventPublisher
from oms.ports.phases import PhaseStarter
from oms.ports.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    # Types only: the partners' ports load where a step calls a partner, not on the api's cold start.
    from oms.ports.marketplace import MarketplaceGateway
    from oms.ports.partners import Gateways
    from oms.ports.tax import TaxCalculator


@dataclass
class Deps:
    uow: UnitOfWork
    partners: Callable[[str], Gateways]  # the adapters of one storefront, by its id
    phases: PhaseStarter
    publisher: EventPublisher
    clock: Clock
    tax: TaxCalculator  # checkout prices with it at once (no partner answers by webhook there)
    # A channel's marketplace, by its partner id (oms.domain.channels): sandbox unless the partner has a url.
    marketplace: Callable[[str], MarketplaceGateway]

    def now(self) -> str:
        return rfc3339(self.clock.now())
