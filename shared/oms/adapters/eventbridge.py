"""Order and shipment events to the EventBridge bus, where rules fan them out (the notifier, ERP, analytics)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from oms import aws
from oms.observability import logger, metrics
from oms.settings import settings

if TYPE_CHECKING:
    from oms.domain.orders import Order

SOURCE = "oms"
_BATCH = 10  # PutEvents takes at most 10 entries
# Set on events of storefronts with a webhook: the notifier's rule takes only those, so the queue and
# the notifier do not run for every event of every storefront that never subscribed.
SUBSCRIBED = "storefront_subscribed"


class EventBridgePublisher:
    def publish(self, order: Order, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Best effort: a lost notification must not undo a step that already happened."""
        _publish(order, events)

    def announce(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """One entry per storefront with a webhook (the notifier delivers each to its own), or one
        unaddressed entry when none has: the bus's other consumers (ERP, analytics) see each event."""
        from oms.store import config as config_store

        subscribed = [s.storefront_id for s in config_store.list_storefronts() if s.config.get("webhook_url")]
        entries = [
            _entry(kind, {**detail, "storefront_id": storefront_id, SUBSCRIBED: bool(storefront_id)})
            for kind, detail in events
            for storefront_id in (subscribed or [""])
        ]
        _put(entries, "stock events")


def _publish(order: Order, events: list[tuple[str, dict[str, Any]]]) -> None:
    bus = settings().event_bus_name
    if not events or not bus:
        return
    from oms.store import config as config_store  # cached: a storefront's new webhook counts within 30 s

    storefront = config_store.get_storefront(order.storefront_id)
    subscribed = bool(storefront and storefront.config.get("webhook_url"))
    entries = [
        _entry(
            kind,
            {
                **detail,
                "order_id": order.order_id,
                "storefront_id": order.storefront_id,
                "status": order.status,
                SUBSCRIBED: subscribed,
            },
        )
        for kind, detail in events
    ]
    _put(entries, f"order {order.order_id} events")


def _entry(kind: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "Source": SOURCE,
        "DetailType": kind,
        "EventBusName": settings().event_bus_name,
        "Detail": json.dumps(detail),
    }


def _put(entries: list[dict[str, Any]], what: str) -> None:
    if not entries or not settings().event_bus_name:
        return
    for start in range(0, len(entries), _BATCH):
        try:
            answer = aws.events().put_events(Entries=entries[start : start + _BATCH])  # type: ignore[arg-type]
        except (BotoCoreError, ClientError):
            logger.exception("could not publish " + what)
            metrics.add_metric(name="EventsNotPublished", unit="Count", value=len(entries[start : start + _BATCH]))
            continue
        if answer.get("FailedEntryCount"):
            metrics.add_metric(name="EventsNotPublished", unit="Count", value=answer["FailedEntryCount"])
