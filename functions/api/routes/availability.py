"""Live availability per sku for storefronts, with the delivery options a destination can be promised."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.caller import storefront
from functions.api.routes import new_router, route
from functions.api.schemas import Availability
from oms import bootstrap
from oms.domain.models import Country, Sku
from oms.services import availability as services

router = new_router()


@route(
    router,
    "availability",
    summary="Units available per sku (in total and per location) and, for a destination, delivery options",
    tags=["stock"],
    ok={200: ("Availability per sku; delivery options for a destination", Availability)},
    problems={403: ["storefront_key_required"], 422: ["destination_unlocatable", "unknown_location_in_rules"]},
)
def availability(
    sku: Annotated[list[Sku], Query(min_length=1, max_length=50)],
    country: Annotated[Country | None, Query()] = None,
    postal_code: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    # Not oms.domain.models.Quantity: it is strict (a JSON body's integer), and a query string is text.
    quantity: Annotated[int, Query(ge=1, le=10_000, description="units of each sku the options are for")] = 1,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "PHP",
) -> dict[str, Any]:
    return services.availability(
        bootstrap.aws(),
        storefront(router),
        list(sku),
        country=country,
        postal_code=postal_code,
        quantity=quantity,
        currency=currency,
    )
