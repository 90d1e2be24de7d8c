"""Where order events go once a step is saved (the bus, which fans them out to webhooks and the ERP)."""

from __future__ import annotations

from typing import Any, Protocol

from oms.domain.orders import Order

OrderEvent = tuple[str, dict[str, Any]]


class EventPublisher(Protocol):
    def publish(self, order: Order, events: list[OrderEvent]) -> None:
        """Best effort, after the order is saved: the order's own timeline is the record."""

    def announce(self, events: list[OrderEvent]) -> None:
        """Events about no one order (stock health), for the bus and every storefront with a webhook."""
