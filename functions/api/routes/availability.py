"""Live availability per sku, in total and per location, for storefronts."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.caller import storefront
from functions.api.routes import new_router
from oms import inventory
from oms.models import Sku
from oms.store import config as config_store
from oms.store import inventory as inventory_store

router = new_router()


@router.get("/v1/availability", summary="Units available per sku, in total and per location", tags=["stock"])
def availability(sku: Annotated[list[Sku], Query(min_length=1, max_length=50)]) -> dict[str, Any]:
    storefront(router)
    locations = {loc.location_id: loc for loc in config_store.list_locations()}
    # Paused locations promise nothing: they are left out of the totals a shopper sees.
    active = [loc_id for loc_id, loc in locations.items() if not loc.paused]
    levels = inventory_store.get_levels(sku, active)
    result = []
    for wanted in dict.fromkeys(sku):
        summary = inventory.availability(lv for (s, _), lv in levels.items() if s == wanted)
        result.append({"sku": wanted, **summary})
    return {"skus": result}
