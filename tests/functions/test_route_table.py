"""The api function serves exactly the table's routes: a decorator cannot add or drop one unseen."""

from __future__ import annotations

from functions.api import handler
from functions.api.route_table import ROUTES


def test_the_resolver_registers_exactly_the_api_routes_of_the_table() -> None:
    handler.enable_docs()  # /docs is registered on its first request
    registered = {
        (method, route.path)
        for route in handler.app._static_routes + handler.app._dynamic_routes
        for method in (route.method if isinstance(route.method, list | tuple) else [route.method])
    }
    # Powertools adds HEAD/OPTIONS-free routes only; the Swagger UI also serves its assets under /docs.
    assert {(m.upper(), p) for m, p in registered if not p.startswith("/docs/")} == {
        (r.method, r.resolver_path) for r in ROUTES if r.target == "api"
    }
