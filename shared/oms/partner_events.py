"""Partner events (webhooks from locations, carriers, payment providers and ERP), applied exactly once."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from oms.clock import clock, parse_rfc3339, rfc3339
from oms.store import inventory as inventory_store
from oms.store import partner_events as processed

PartnerEventType = Literal[
    "shipment.packed",
    "shipment.rejected",
    "shipment.shipped",
    "shipment.delivered",
    "shipment.exception",
    "build.completed",
    "inventory.snapshot",
    "inventory.adjusted",
    "payment.authorization_expired",
    "payment.chargeback",
]
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


class PartnerEvent(BaseModel):
    """The envelope every partner event shares; `data` is read per type when the event is applied."""

    model_config = ConfigDict(extra="allow", strict=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    type: PartnerEventType
    occurred_at: str
    data: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        if not _RFC3339.match(value):
            raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-01-31T09:30:00Z")
        parse_rfc3339(value)  # and a real date: month 13 or hour 25 raise ValueError
        return value


class StockFigure(BaseModel):
    location_id: str
    sku: str
    on_hand: int = Field(ge=0)
    safety_stock: int = Field(default=0, ge=0)


def _snapshot(partner_id: str, event: PartnerEvent) -> str:
    """ERP stock counts replace on_hand: absolute figures, so applying one twice changes nothing."""
    figures = [StockFigure.model_validate(f) for f in event.data.get("items", [event.data])]
    for figure in figures:
        inventory_store.set_stock(
            figure.sku, figure.location_id, figure.on_hand, figure.safety_stock, actor=f"partner:{partner_id}"
        )
    return f"{len(figures)} stock figure(s) applied"


_APPLY = {"inventory.snapshot": _snapshot}


def apply(partner_id: str, event: PartnerEvent) -> str:
    """Apply the event unless this partner's event id was applied before; returns what happened."""
    if processed.seen(partner_id, event.id):
        return "duplicate"
    handler = _APPLY.get(event.type)
    # Shipment, build and payment events take effect with the order lifecycle; until then they are
    # recorded as received so a replay after that lands is still recognised as a duplicate.
    outcome = handler(partner_id, event) if handler else "recorded"
    processed.remember(partner_id, event.id, event.type, rfc3339(clock.now()))
    return outcome
