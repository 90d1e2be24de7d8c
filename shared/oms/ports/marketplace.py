"""The marketplace port: what a channel's marketplace hears from the OMS (stock figures, orders it could
not take). Orders and cancellations come the other way, as partner events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StockPublication:
    """The latest sellable quantity per sku, for one channel, in one batch (zeros first)."""

    channel_id: str
    quantities: Mapping[str, int]
    idempotency_key: str


@dataclass(frozen=True)
class StockAck:
    acknowledged: frozenset[str]  # skus the marketplace took; the others are told again on the next change


@dataclass(frozen=True)
class OrderRefusal:
    """A marketplace order the OMS cannot serve (no stock, no carrier): the marketplace cancels it."""

    channel_id: str
    marketplace_order_id: str
    reason: str
    code: str
    idempotency_key: str


class MarketplaceGateway(Protocol):
    """Raises TransientPartnerError (retry) or PartnerRefused (final)."""

    def publish_stock(self, publication: StockPublication) -> StockAck: ...
    def refuse_order(self, refusal: OrderRefusal) -> None: ...
