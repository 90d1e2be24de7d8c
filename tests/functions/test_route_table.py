"""The api function serves exactly the table's routes: a decorator cannot add or drop one unseen."""

from __future__ import annotations

from collections import Counter

from functions.api import handler
from functions.api.route_table import BY_NAME, ROUTES, resolver_path


def test_the_resolver_registers_exactly_the_api_routes_of_the_table() -> None:
    handler.enable_docs()  # /docs is registered on its first request (idempotent)
    handler.enable_operator_routes()  # so are the operators' routes
    # Powertools keeps one Route (method upper-cased, rule as declared) per method and path, static and dynamic
    # apart; counted, so a route declared twice fails too.
    registered = Counter(
        (route.method, route.path) for route in handler.app._static_routes + handler.app._dynamic_routes
    )
    assert registered == Counter((r.method, r.resolver_path) for r in ROUTES if r.target == "api")


def test_each_route_is_declared_once() -> None:
    assert len(BY_NAME) == len(ROUTES)
    assert len({(r.method, r.path) for r in ROUTES}) == len(ROUTES)


def test_only_health_the_docs_the_console_page_and_partner_webhooks_are_public() -> None:
    # The console's page and assets carry no data: its calls to the API send an admin key.
    public = {"health", "openapi", "docs", "console", "console_asset", "partner_event"}
    assert {r.name for r in ROUTES if not r.keyed} == public
    assert {r.name for r in ROUTES if r.target == "webhooks"} == {"partner_event"}


def test_the_resolver_path_names_the_parameters_as_powertools_does() -> None:
    assert resolver_path("/v1/orders/{order_id}") == "/v1/orders/<order_id>"
    assert resolver_path("/v1/admin/inventory/{location_id}/{sku}") == "/v1/admin/inventory/<location_id>/<sku>"
    assert resolver_path("/health") == "/health"
    assert BY_NAME["get_order"].resolver_path == "/v1/orders/<order_id>"


def test_a_storefronts_cold_start_imports_no_operator_route() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, functions.api.handler as h; "
        "print(sorted(n for n in h.OPERATOR_ROUTES if f'functions.api.routes.{n}' in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
