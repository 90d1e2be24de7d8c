"""Live availability per sku for storefronts, with the delivery options a destination can be promised."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.caller import storefront
from functions.api.routes import new_router
from oms.clock import clock
from oms.domain import inventory, promise, routing
from oms.domain.geo import locate_parts
from oms.domain.models import Country, Quantity, Sku
from oms.domain.routing import SourcingLine
from oms.services.checkout import candidates, storefront_policy
from oms.store import config as config_store
from oms.store import inventory as inventory_store

router = new_router()


@router.get(
    "/v1/availability",
    summary="Units available per sku (in total and per location) and, for a destination, delivery options",
    tags=["stock"],
)
def availability(
    sku: Annotated[list[Sku], Query(min_length=1, max_length=50)],
    country: Annotated[Country | None, Query()] = None,
    postal_code: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    quantity: Annotated[Quantity, Query(description="units of each sku the options are for")] = 1,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "PHP",
) -> dict[str, Any]:
    storefront_id = storefront(router)
    policy = storefront_policy(storefront_id)
    # What this storefront can sell: the locations its routing rules let ship, and nothing paused.
    locations = routing.eligible(config_store.list_locations(), policy)
    wanted = list(dict.fromkeys(sku))
    levels = inventory_store.get_levels(wanted, [loc.location_id for loc in locations])
    result: dict[str, Any] = {
        "skus": [
            {"sku": s, **inventory.availability(lv for (each, _), lv in levels.items() if each == s)} for s in wanted
        ]
    }
    if country or postal_code:
        destination = locate_parts(country or "PH", postal_code)
        products = config_store.get_products(wanted)
        result["destination"] = {"lat": destination.lat, "lon": destination.lon, "precision": destination.precision}
        result["delivery_options"] = promise.delivery_options(
            [SourcingLine(s, quantity) for s in wanted],
            candidates(set(wanted), config_store.list_locations(), levels=levels),
            destination,
            clock.now(),
            currency,
            products=products,
            policy=policy,
        )
    return result
