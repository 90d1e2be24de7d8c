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


def _publish(order: Order, events: list[tuple[str, dict[str, Any]]]) -> None:
    bus = settings().event_bus_name
    if not events or not bus:
        return
    from oms.store import config as config_store  # cached: a storefront's new webhook counts within 30 s

    storefront = config_store.get_storefront(order.storefront_id)
    subscribed = bool(storefront and storefront.config.get("webhook_url"))
    entries = [
        {
            "Source": SOURCE,
            "DetailType": kind,
            "EventBusName": bus,
            "Detail": json.dumps(
                {
                    **detail,
                    "order_id": order.order_id,
                    "storefront_id": order.storefront_id,
                    "status": order.status,
                    SUBSCRIBED: subscribed,
                }
            ),
        }
        for kind, detail in events
    ]
    for start in range(0, len(entries), _BATCH):
        try:
            answer = aws.events().put_events(Entries=entries[start : start + _BATCH])  # type: ignore[arg-type]
        except (BotoCoreError, ClientError):
            logger.exception("could not publish order events", extra={"order_id": order.order_id})
            metrics.add_metric(name="EventsNotPublished", unit="Count", value=len(entries[start : start + _BATCH]))
            continue
        if answer.get("FailedEntryCount"):
            metrics.add_metric(name="EventsNotPublished", unit="Count", value=answer["FailedEntryCount"])
