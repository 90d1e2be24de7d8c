"""Partner events as the webhooks deliver them, for service tests."""

from __future__ import annotations

import itertools
from typing import Any

from oms.domain.messages import PartnerEvent
from oms.domain.partners import Partner
from tests.network import NETWORK

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


# The partners who send them, scoped as the local seed scopes its own (API.md "Partner scope").
WAREHOUSE = Partner("wh", "Warehouses", roles=frozenset({"location"}), location_ids=frozenset(NETWORK))
CARRIER = Partner("carrier", "Carrier", roles=frozenset({"carrier"}))
ERP = Partner("erp", "ERP", roles=frozenset({"erp"}))
PAYMENTS = Partner("payments", "Payments", roles=frozenset({"payments"}))
BY_ID = {p.partner_id: p for p in (WAREHOUSE, CARRIER, ERP, PAYMENTS)}
