"""The REST contract's routes, declared once: API Gateway's resources (infra), the api function's resolver
and the tests all read this table, so a path cannot differ between them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Route:
    name: str
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str  # API Gateway's form: /v1/orders/{order_id}
    target: Literal["api", "webhooks"]
    keyed: bool  # the TOKEN authorizer guards it (and it counts against the caller's usage plan)

    @property
    def resolver_path(self) -> str:
        """The path as Powertools' resolver declares it: /v1/orders/<order_id>."""
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)


def _routes(table: str) -> tuple[Route, ...]:
    rows = (line.split() for line in table.strip().splitlines())
    return tuple(Route(name, method, path, target, keyed == "key") for name, method, path, target, keyed in rows)  # type: ignore[arg-type]


# name, method, path, target function, and "key" where the TOKEN authorizer guards the route ("-" not).
ROUTES = _routes(
    """
health             GET     /health                                              api       -
openapi            GET     /openapi.json                                        api       -
docs               GET     /docs                                                api       -
create_order       POST    /v1/orders                                           api       key
list_orders        GET     /v1/orders                                           api       key
get_order          GET     /v1/orders/{order_id}                                api       key
cancel_order       POST    /v1/orders/{order_id}/cancel                         api       key
availability       GET     /v1/availability                                     api       key
create_hold        POST    /v1/holds                                            api       key
delete_hold        DELETE  /v1/holds/{hold_id}                                  api       key
put_location       PUT     /v1/admin/locations/{location_id}                    api       key
list_locations     GET     /v1/admin/locations                                  api       key
put_product        PUT     /v1/admin/products/{sku}                             api       key
put_inventory      PUT     /v1/admin/inventory/{location_id}/{sku}              api       key
adjust_inventory   POST    /v1/admin/inventory/{location_id}/{sku}/adjustments  api       key
get_inventory      GET     /v1/admin/inventory/{sku}                            api       key
review_order       POST    /v1/admin/orders/{order_id}/review                   api       key
put_storefront     PUT     /v1/admin/storefronts/{storefront_id}                api       key
get_storefront     GET     /v1/admin/storefronts/{storefront_id}                api       key
create_key         POST    /v1/admin/keys                                       api       key
revoke_key         DELETE  /v1/admin/keys/{key_id}                              api       key
partner_event      POST    /v1/webhooks/{partner_id}                            webhooks  -
"""
)
BY_NAME = {route.name: route for route in ROUTES}
