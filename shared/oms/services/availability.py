"""Live availability per sku for a storefront, with the delivery options a destination can be promised."""

from __future__ import annotations

from typing import Any

from oms.domain import inventory, routing
from oms.domain.geo import locate_parts
from oms.domain.routing import SourcingLine
from oms.services.deps import Deps
from oms.services.routing_inputs import gather


def availability(
    deps: Deps,
    storefront_id: str,
    skus: list[str],
    *,
    country: str | None = None,
    postal_code: str | None = None,
    quantity: int = 1,
    currency: str = "PHP",
) -> dict[str, Any]:
    wanted = list(dict.fromkeys(skus))
    inputs = gather(deps, storefront_id, wanted)
    # What this storefront can sell: the locations its routing rules let ship, and nothing paused.
    selling = {loc.location_id for loc in routing.eligible(inputs.locations, inputs.policy)}
    coming = [lot for lot in deps.uow.supply.incoming(wanted) if lot.location_id in selling]
    result: dict[str, Any] = {
        "skus": [
            {
                "sku": sku,
                **inventory.availability(
                    lv for (each, loc), lv in inputs.levels.items() if each == sku and loc in selling
                ),
                # What open purchase orders still expect, soonest first: for sale only to backorders.
                "incoming": [
                    {
                        "location_id": lot.location_id,
                        "quantity": lot.quantity,
                        "promised": lot.promised,
                        "expected_at": lot.expected_at,
                    }
                    for lot in sorted(coming, key=lambda lot: lot.expected_at)
                    if lot.sku == sku
                ],
                "backorder": sku in inputs.products and inputs.products[sku].backorder,
            }
            for sku in wanted
        ]
    }
    if country or postal_code:
        destination = locate_parts(country or "PH", postal_code)
        result["destination"] = {"lat": destination.lat, "lon": destination.lon, "precision": destination.precision}
        result["delivery_options"] = routing.delivery_options(
            [SourcingLine(sku, quantity) for sku in wanted],
            inputs.candidates(),
            destination,
            deps.clock.now(),
            currency,
            products=inputs.products,
            policy=inputs.policy,
        )
    return result
