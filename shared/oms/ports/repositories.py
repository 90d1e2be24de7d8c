"""The reads a step makes, one repository per kind of record: what services see of the store.

Each store (DynamoDB in `oms.store`, memory in `oms.store.memory`) implements every one; a unit of work
(oms.ports.unit_of_work) holds them beside the writes it gathers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from oms.domain.models import Location, Product, StockLevel
from oms.domain.orders import Order

if TYPE_CHECKING:  # annotations only: the api's cold start does not load what its checkout never uses
    from oms.domain.backorder import Lot, Promised
    from oms.domain.channels import Channel, Told
    from oms.domain.health import Record as HealthRecord
    from oms.domain.returns import Return
    from oms.domain.supply import Inbound, Transfer


@dataclass(frozen=True)
class StorefrontConfig:
    """What services read of a storefront: its configuration (adapters, routing, webhook, limits)."""

    storefront_id: str
    config: dict[str, Any] = field(default_factory=dict)


class OrderRepository(Protocol):
    def get(self, order_id: str, *, explained: bool = False) -> Order | None:
        """The order (with its routing explanation when `explained`), or None."""

    def due(self, now: datetime, limit: int = 100) -> list[str]:
        """Ids of orders with a deadline (a phase to start, a pack-by time) at or before `now`."""


class HoldRepository(Protocol):
    def get(self, hold_id: str) -> dict[str, Any] | None: ...

    def due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        """Active holds whose expiry has passed."""


class IdempotencyRepository(Protocol):
    def get(self, storefront_id: str, key: str, now: datetime) -> dict[str, Any] | None:
        """The unexpired claim of a key: {"body_hash", "order_id", ...}, or None."""


class StockRepository(Protocol):
    def levels(
        self, skus: Iterable[str], location_ids: Iterable[str], remembered: bool = False
    ) -> dict[tuple[str, str], StockLevel]:
        """The stock records of every (sku, location) pair that has one; `remembered`: a sku on sale's
        records may be this process's read of the last second (its buckets are read now)."""

    def level(self, sku: str, location_id: str) -> StockLevel | None:
        """One record, read consistently (to recompute it)."""

    def sales_ended(self, now: str) -> list[tuple[str, str]]:
        """The (sku, location) pairs spread over buckets for a sale whose end has come."""


class ConfigRepository(Protocol):
    def locations(self) -> list[Location]:
        """Every location, by id (copies: callers may change them)."""

    def location(self, location_id: str) -> Location | None: ...

    def products(self, skus: Iterable[str]) -> dict[str, Product]: ...

    def storefront(self, storefront_id: str) -> StorefrontConfig | None: ...


class AppliedEvents(Protocol):
    def seen(self, partner_id: str, event_id: str) -> bool: ...


class SupplyRepository(Protocol):
    def inbound(self, inbound_id: str) -> Inbound | None: ...

    def transfer(self, transfer_id: str) -> Transfer | None: ...

    def incoming(self, skus: Iterable[str]) -> list[Lot]:
        """What open inbounds still expect of these skus, at every location."""

    def lots(self, inbound: Inbound) -> dict[str, Lot]:
        """The inbound's lots per sku, read consistently (those closed with promises left too)."""

    def promises(self, lot: Lot) -> list[Promised]:
        """The promises against one lot, first come first."""


class HealthRepository(Protocol):
    def get(self, sku: str, location_id: str) -> HealthRecord | None: ...

    def many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HealthRecord]:
        """The records of these (sku, location) pairs that exist, in one batch."""

    def of_sku(self, sku: str) -> list[HealthRecord]:
        """Every location's record of one sku."""


class ReturnRepository(Protocol):
    def get(self, return_id: str) -> Return | None: ...

    def of_order(self, order_id: str) -> list[Return]:
        """The order's returns, oldest first."""

    def attention(self, limit: int = 100) -> list[Return]:
        """Returns an operator must act on (waiting for a decision, a refund refused), oldest first."""


class CreditAccounts(Protocol):
    def balance(self, storefront_id: str, customer_id: str) -> int:
        """A net-terms customer's open balance in minor units (0 when it has none)."""


class ChannelRepository(Protocol):
    def get(self, channel_id: str) -> Channel | None: ...

    def all(self) -> list[Channel]: ...

    def told(self, channel_id: str) -> dict[str, Told]:
        """What the channel was last told, per sku."""
