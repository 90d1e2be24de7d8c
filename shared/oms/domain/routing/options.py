"""Delivery options: each service level the lines can be promised at, routed as the checkout would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from oms.domain.errors import OmsError
from oms.domain.geo import Point
from oms.domain.models import SERVICE_LEVELS, Product
from oms.domain.pricing import shipping_fee
from oms.domain.routing.engine import plan
from oms.domain.routing.model import Candidate, SourcingLine, SourcingRequest
from oms.domain.routing.policy import RoutingPolicy


def delivery_options(
    lines: Sequence[SourcingLine],
    candidates: Sequence[Candidate],
    destination: Point,
    now: datetime,
    currency: str,
    subtotal: int = 0,
    *,
    products: Mapping[str, Product] | None = None,
    policy: RoutingPolicy | None = None,
    capacity_left: Mapping[str, int] | None = None,
    ship_complete: bool = False,
    quotes: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """What a shopper can choose for these lines: each service level that can be promised, its price and date.

    Each level is routed as the checkout would route it (same policy, same stock), so an option shown
    here is one the checkout accepts while the stock lasts. `promised_by` is when the last shipment
    arrives; `price` is `oms.domain.pricing.shipping_fee` for the shipments that plan makes. A level that
    cannot be promised, or lines that cannot be sourced at all, give no option.
    """
    if not lines:
        return []
    options: list[dict[str, Any]] = []
    for level in SERVICE_LEVELS:
        request = SourcingRequest(
            lines=tuple(lines),
            destination=destination,
            service_level=level,
            ship_complete=ship_complete,
            candidates=tuple(candidates),
            products=dict(products or {}),
            policy=policy,
            capacity_left=dict(capacity_left or {}),
            now=now,
            quotes=quotes,
        )
        try:
            planned = plan(request)
        except OmsError as error:
            if error.code in {"unknown_location_in_rules", "destination_unlocatable"}:
                raise
            continue
        if not planned.shipments or planned.promised_by is None:
            continue
        options.append(
            {
                "service_level": level,
                "price": shipping_fee(currency, level, subtotal, len(planned.shipments)),
                "currency": currency,
                "promised_by": planned.promised_by,
                "shipments": len(planned.shipments),
            }
        )
    return options
