"""Partner events as the webhooks deliver them, for service tests."""

from __future__ import annotations

import itertools
from typing import Any

from oms.domain.messages import PartnerEvent

_ids = itertools.count(1)


def event(kind: str, **data: Any) -> PartnerEvent:
    return PartnerEvent.model_validate(
        {"id": f"evt_{next(_ids)}", "type": kind, "occurred_at": "2026-03-02T01:00:00Z", "data": data}
    )


def packed(order_id: str, shipment_id: str) -> PartnerEvent:
    return event("shipment.packed", order_id=order_id, shipment_id=shipment_id)


def rejected(order_id: str, shipment_id: str, reason: str = "out of stock") -> PartnerEvent:
    return event("shipment.rejected", order_id=order_id, shipment_id=shipment_id, reason=reason)


def delivered(order_id: str, shipment_id: str) -> PartnerEvent:
    return event("shipment.delivered", order_id=order_id, shipment_id=shipment_id)
