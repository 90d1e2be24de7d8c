"""The REST contract's routes, declared once: API Gateway's resources (infra), the api function's resolver
and the tests all read this table, so a path cannot differ between them. Imported on the api function's
cold start: plain data, nothing from AWS or pydantic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_PARAM = re.compile(r"\{(\w+)\}")


def resolver_path(path: str) -> str:
    """An API Gateway path as Powertools' resolver declares it: /v1/orders/{order_id} -> /v1/orders/<order_id>."""
    return _PARAM.sub(r"<\1>", path)


@dataclass(frozen=True)
class Route:
    name: str  # the operation, how the route modules and infra name it
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str  # API Gateway's form: /v1/orders/{order_id}
    target: Literal["api", "webhooks"]  # the function behind it
    keyed: bool  # the TOKEN authorizer guards it (and it counts against the caller's usage plan)

    @property
    def resolver_path(self) -> str:
        """The path as Powertools' resolver declares it: /v1/orders/<order_id>."""
        return resolver_path(self.path)


KEY, PUBLIC = True, False  # Route.keyed

ROUTES: tuple[Route, ...] = (
    Route("health", "GET", "/health", "api", PUBLIC),
    Route("openapi", "GET", "/openapi.json", "api", PUBLIC),
    Route("docs", "GET", "/docs", "api", PUBLIC),
    Route("console", "GET", "/console", "api", PUBLIC),
    Route("console_asset", "GET", "/console/{asset}", "api", PUBLIC),
    Route("create_order", "POST", "/v1/orders", "api", KEY),
    Route("list_orders", "GET", "/v1/orders", "api", KEY),
    Route("get_order", "GET", "/v1/orders/{order_id}", "api", KEY),
    Route("cancel_order", "POST", "/v1/orders/{order_id}/cancel", "api", KEY),
    Route("cancel_lines", "POST", "/v1/orders/{order_id}/lines/cancel", "api", KEY),
    Route("create_return", "POST", "/v1/orders/{order_id}/returns", "api", KEY),
    Route("list_order_returns", "GET", "/v1/orders/{order_id}/returns", "api", KEY),
    Route("get_return", "GET", "/v1/returns/{return_id}", "api", KEY),
    Route("availability", "GET", "/v1/availability", "api", KEY),
    Route("create_hold", "POST", "/v1/holds", "api", KEY),
    Route("delete_hold", "DELETE", "/v1/holds/{hold_id}", "api", KEY),
    Route("put_location", "PUT", "/v1/admin/locations/{location_id}", "api", KEY),
    Route("list_locations", "GET", "/v1/admin/locations", "api", KEY),
    Route("list_products", "GET", "/v1/admin/products", "api", KEY),
    Route("list_inventory", "GET", "/v1/admin/inventory", "api", KEY),
    Route("admin_list_orders", "GET", "/v1/admin/orders", "api", KEY),
    Route("admin_get_order", "GET", "/v1/admin/orders/{order_id}", "api", KEY),
    Route("put_inbound", "PUT", "/v1/admin/inbound/{inbound_id}", "api", KEY),
    Route("get_inbound", "GET", "/v1/admin/inbound/{inbound_id}", "api", KEY),
    Route("create_transfer", "POST", "/v1/admin/transfers", "api", KEY),
    Route("get_transfer", "GET", "/v1/admin/transfers/{transfer_id}", "api", KEY),
    Route("stock_health", "GET", "/v1/admin/stock-health", "api", KEY),
    Route("list_dead_letters", "GET", "/v1/admin/dead-letters", "api", KEY),
    Route("redrive_dead_letters", "POST", "/v1/admin/dead-letters/{queue}/redrive", "api", KEY),
    Route("put_product", "PUT", "/v1/admin/products/{sku}", "api", KEY),
    Route("put_inventory", "PUT", "/v1/admin/inventory/{location_id}/{sku}", "api", KEY),
    Route("adjust_inventory", "POST", "/v1/admin/inventory/{location_id}/{sku}/adjustments", "api", KEY),
    Route("put_stock_buckets", "PUT", "/v1/admin/inventory/{location_id}/{sku}/buckets", "api", KEY),
    Route("get_inventory", "GET", "/v1/admin/inventory/{sku}", "api", KEY),
    Route("review_order", "POST", "/v1/admin/orders/{order_id}/review", "api", KEY),
    Route("admin_cancel_order", "POST", "/v1/admin/orders/{order_id}/cancel", "api", KEY),
    Route("list_returns_to_act_on", "GET", "/v1/admin/returns", "api", KEY),
    Route("admin_get_return", "GET", "/v1/admin/returns/{return_id}", "api", KEY),
    Route("decide_return", "POST", "/v1/admin/returns/{return_id}/decision", "api", KEY),
    Route("refund_return", "POST", "/v1/admin/returns/{return_id}/refund", "api", KEY),
    Route("put_storefront", "PUT", "/v1/admin/storefronts/{storefront_id}", "api", KEY),
    Route("get_storefront", "GET", "/v1/admin/storefronts/{storefront_id}", "api", KEY),
    Route("rotate_storefront_secret", "POST", "/v1/admin/storefronts/{storefront_id}/secret", "api", KEY),
    Route("list_channels", "GET", "/v1/admin/channels", "api", KEY),
    Route("put_channel", "PUT", "/v1/admin/channels/{channel_id}", "api", KEY),
    Route("get_channel", "GET", "/v1/admin/channels/{channel_id}", "api", KEY),
    Route("channel_stock", "GET", "/v1/admin/channels/{channel_id}/stock", "api", KEY),
    Route("resync_channel", "POST", "/v1/admin/channels/{channel_id}/resync", "api", KEY),
    Route("put_partner", "PUT", "/v1/admin/partners/{partner_id}", "api", KEY),
    Route("get_partner", "GET", "/v1/admin/partners/{partner_id}", "api", KEY),
    Route("list_partners", "GET", "/v1/admin/partners", "api", KEY),
    Route("rotate_partner_secret", "POST", "/v1/admin/partners/{partner_id}/secret", "api", KEY),
    Route("create_key", "POST", "/v1/admin/keys", "api", KEY),
    Route("revoke_key", "DELETE", "/v1/admin/keys/{key_id}", "api", KEY),
    Route("partner_event", "POST", "/v1/webhooks/{partner_id}", "webhooks", PUBLIC),
)
BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}  # a route by its name: BY_NAME["get_order"]
