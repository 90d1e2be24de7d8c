"""Admin routes: locations, products and inventory."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StringConstraints

import oms.clock
from functions.api import admin_schemas as views
from functions.api.caller import admin
from functions.api.routes import new_router, route
from oms import bootstrap
from oms.domain.buckets import MAX_BUCKETS
from oms.domain.errors import NotFound, Unprocessable
from oms.domain.models import (
    ADMIN_ONLY,
    Adjustment,
    InventorySet,
    Location,
    LocationIn,
    Money,
    Product,
    ProductIn,
    ShortText,
    Sku,
    Strict,
)
from oms.domain.models import Id as IdType
from oms.domain.return_policy import ReturnPolicy
from oms.domain.routing import RoutingPolicy
from oms.services import stock, stock_buckets, stock_health
from oms.store import config as config_store
from oms.store import inventory as inventory_store
from oms.store import signing_secrets, usage_keys

router = new_router()


def _location_exists(location_id: str) -> None:
    if config_store.get_location(location_id) is None:
        raise NotFound(
            f"no location {location_id}; create it with PUT /v1/admin/locations/{location_id}",
            code="location_not_found",
        )


def _stock_view(level: Any) -> dict[str, Any]:
    return {
        "sku": level.sku,
        "location_id": level.location_id,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "safety_stock": level.safety_stock,
        "available": level.available,
        "quarantined": level.quarantined,
    } | ({"buckets": {str(k): units for k, units in sorted(level.buckets.items())}} if level.buckets else {})


class StockBuckets(Strict):
    model_config = ADMIN_ONLY

    buckets: Annotated[int, Field(ge=0, le=MAX_BUCKETS, strict=True)] = Field(
        description="counters to spread the available units over for a sale (0: merge them back)"
    )
    until: AwareDatetime | None = Field(
        default=None, description="when the sale ends: the buckets are merged back then (without it, by an operator)"
    )


@route(router, "put_location", summary="Create or replace a location", tags=["admin"], ok={200: views.Location})
def put_location(location_id: IdType, body: LocationIn) -> dict[str, Any]:
    admin(router)
    location = Location(location_id=location_id, **body.model_dump())
    config_store.put_location(location)
    return location.model_dump(mode="json")


@route(
    router,
    "put_product",
    summary="Product attributes that change routing",
    tags=["admin"],
    ok={200: views.Product},
    problems={404: ["location_not_found"], 422: ["not_a_workshop"]},
)
def put_product(sku: Sku, body: ProductIn) -> dict[str, Any]:
    admin(router)
    if body.made_to_order and body.workshop_location_id:
        _location_exists(body.workshop_location_id)
        workshop = config_store.get_location(body.workshop_location_id)
        if workshop is not None and workshop.type != "workshop" and not workshop.capabilities.made_to_order:
            raise Unprocessable(
                f"{body.workshop_location_id} is a {workshop.type} that does not build to order; name a workshop",
                code="not_a_workshop",
            )
    product = Product(sku=sku, **body.model_dump())
    config_store.put_product(product)
    return product.model_dump(mode="json")


@route(
    router,
    "put_inventory",
    summary="Set on-hand and safety stock",
    tags=["admin"],
    ok={200: views.StockLevel},
    problems={404: ["location_not_found"], 409: ["on_hand_below_reserved", "stock_busy"]},
)
def put_inventory(location_id: IdType, sku: Sku, body: InventorySet) -> dict[str, Any]:
    who = admin(router)
    _location_exists(location_id)
    deps = bootstrap.aws()
    level = stock.set_stock(deps, sku, location_id, body.on_hand, body.safety_stock, actor=who.key_id)
    given = body.model_fields_set & {"reorder_point", "max_days_of_cover"}
    if given:
        overrides = {name: getattr(body, name) for name in given}
        record = stock_health.set_overrides(deps, sku, location_id, overrides)
        return _stock_view(level) | record.overrides
    return _stock_view(level)


@route(
    router,
    "adjust_inventory",
    summary="Adjust on-hand by a delta",
    tags=["admin"],
    ok={200: views.Adjusted},
    problems={404: ["location_not_found"], 409: ["adjustment_below_reserved", "stock_busy"]},
)
def adjust_inventory(location_id: IdType, sku: Sku, body: Adjustment) -> dict[str, Any]:
    who = admin(router)
    _location_exists(location_id)
    level = stock.adjust_stock(bootstrap.aws(), sku, location_id, body.delta, body.reason, actor=who.key_id)
    return {**_stock_view(level), "adjustments": inventory_store.audit_trail(sku, location_id, limit=10)}


@route(
    router,
    "put_stock_buckets",
    summary="Spread a hot sku's stock over buckets for a sale, or merge it back",
    tags=["admin"],
    ok={200: views.StockLevel},
    problems={404: ["location_not_found", "stock_not_found"], 409: ["stock_busy"], 422: ["invalid_sale_end"]},
)
def put_stock_buckets(location_id: IdType, sku: Sku, body: StockBuckets) -> dict[str, Any]:
    """Each bucket is a counter on its own DynamoDB partition that checkout reserves from alone, so a sku
    sells N times faster than one record allows (see the README's hot skus); calling again spreads the
    units that came back to the record since. Readers always see the sum."""
    admin(router)
    _location_exists(location_id)
    until = oms.clock.rfc3339(body.until.replace(microsecond=0)) if body.until else None
    return _stock_view(stock_buckets.set_buckets(bootstrap.aws(), sku, location_id, body.buckets, until))


@route(router, "get_inventory", summary="Stock of one sku at every location", tags=["admin"], ok={200: views.SkuStock})
def get_inventory(sku: Sku) -> dict[str, Any]:
    admin(router)
    levels = inventory_store.levels_of(sku)
    return {
        "sku": sku,
        "on_hand": sum(lv.on_hand for lv in levels),
        "reserved": sum(lv.reserved for lv in levels),
        "available": sum(lv.available for lv in levels),
        "locations": [_stock_view(lv) for lv in levels],
    }


# https only; plain http to this machine for local development.
WebhookUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https://\S+$|^http://127\.0\.0\.1[:/]\S*$")]


class StorefrontIn(Strict):
    """A storefront's configuration: which adapter serves each port, B2B credit limits, its webhook."""

    model_config = ADMIN_ONLY

    name: ShortText
    adapters: dict[str, str] = Field(default_factory=dict)
    credit_limits: dict[IdType, Money] = Field(default_factory=dict)
    default_credit_limit: Money | None = None
    cod_limit: Money | None = None  # the most a cash-on-delivery order may total (default PHP 50,000.00)
    webhook_url: WebhookUrl | None = None
    # Routing rules (oms.domain.routing.RoutingPolicy): rules, allowed_location_types, ship_from_store,
    # max_shipments, prefer_locations, exclude_locations.
    routing: dict[str, Any] | None = None
    # Returns (oms.domain.return_policy.ReturnPolicy): window_days, non_returnable, auto_approve,
    # refund_shipping.
    returns: dict[str, Any] | None = None


@route(
    router,
    "put_storefront",
    summary="Create or replace a storefront's configuration (a first webhook_url answers its signing secret)",
    tags=["admin"],
    ok={200: views.Storefront},
    problems={
        422: [
            "unknown_adapter",
            "invalid_routing_policy",
            "unknown_routing_rule",
            "unknown_location_in_rules",
            "invalid_return_policy",
        ]
    },
)
def put_storefront(storefront_id: IdType, body: StorefrontIn) -> dict[str, Any]:
    admin(router)
    from oms.adapters.registry import validate_config  # the adapters load only when a storefront changes

    config = body.model_dump(exclude={"name"}, exclude_none=True)
    validate_config(config)
    # A rule naming a location that does not exist would silently do nothing: refuse it now.
    RoutingPolicy.from_config(body.routing).check_locations(loc.location_id for loc in config_store.list_locations())
    ReturnPolicy.from_config(body.returns)  # refused now (422 invalid_return_policy), not at a customer's return
    # Its own API key in the storefronts' usage plan is what API Gateway throttles it by.
    config_store.put_storefront(storefront_id, body.name, config, usage_keys.for_storefront(storefront_id))
    answer = {"storefront_id": storefront_id, "name": body.name, **config}
    if body.webhook_url and not signing_secrets.exists("storefronts", storefront_id):
        # The secret its webhooks are signed with, shown this once (rotate it with POST .../secret).
        answer["webhook_secret"] = signing_secrets.issue("storefronts", storefront_id, oms.clock.clock.now())
    return answer


@route(
    router,
    "get_storefront",
    summary="A storefront's configuration",
    tags=["admin"],
    ok={200: views.Storefront},
    problems={404: ["storefront_not_found"]},
)
def get_storefront(storefront_id: IdType) -> dict[str, Any]:
    admin(router)
    storefront = config_store.get_storefront(storefront_id)
    if storefront is None:
        raise NotFound(f"no storefront {storefront_id}", code="storefront_not_found")
    return {"storefront_id": storefront_id, "name": storefront.name, **storefront.config}
