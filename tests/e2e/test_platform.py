"""The thin slice through the stack over HTTP: meta routes, the authorizer, gateway behaviour."""

from __future__ import annotations

import requests

from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, Api


def test_health_answers_without_a_key(api: Api) -> None:
    reply = requests.get(api.base + "/health", timeout=10)
    assert (reply.status_code, reply.json()) == (200, {"status": "ok"})


def test_openapi_document_is_generated_from_the_routes(api: Api) -> None:
    spec = requests.get(api.base + "/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    assert {
        "/v1/orders",
        "/v1/orders/{order_id}",
        "/v1/availability",
        "/v1/holds",
        "/v1/admin/inventory/{location_id}/{sku}",
    } <= set(spec["paths"])
    assert "CheckoutRequest" in str(spec["components"]["schemas"])


def test_swagger_ui_is_served_at_docs(api: Api) -> None:
    reply = requests.get(api.base + "/docs", timeout=10)
    assert reply.status_code == 200 and "swagger" in reply.text.lower()
    assert reply.headers["Content-Type"].startswith("text/html")


def test_an_unknown_route_is_a_404_problem_as_the_gateway_answers_it(api: Api) -> None:
    reply = api.request("GET", "/v1/nothing-here")
    assert reply.status_code == 404
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.json()["code"] == "not_found"


def test_a_method_the_route_does_not_have_is_refused_without_reaching_a_function(api: Api) -> None:
    reply = api.request("DELETE", "/v1/orders")
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"


def test_a_missing_key_is_401(api: Api) -> None:
    reply = api.request("GET", "/v1/orders", key=None)
    assert reply.status_code == 401 and reply.json()["code"] == "unauthorized"


def test_a_wrong_key_is_401(api: Api) -> None:
    reply = api.request("GET", "/v1/orders", key="sk_live_0123456789abcdef_not-a-real-key-at-all-000000000")
    assert reply.status_code == 401


def test_a_storefront_key_on_an_admin_route_is_403(api: Api) -> None:
    reply = api.request("GET", "/v1/admin/inventory/MUG-CLASSIC", key=STOREFRONT_KEY)
    assert reply.status_code == 403 and reply.json()["code"] == "forbidden"


def test_an_admin_key_reads_admin_routes(api: Api) -> None:
    reply = api.request("GET", "/v1/admin/locations", key=ADMIN_KEY)
    assert reply.status_code == 200
    assert {"mnl-wh-1", "ceb-workshop"} <= {loc["location_id"] for loc in reply.json()["locations"]}


def test_a_storefront_route_needs_a_storefront_key(api: Api) -> None:
    reply = api.request("GET", "/v1/orders", key=ADMIN_KEY)
    assert reply.status_code == 403 and reply.json()["code"] == "storefront_key_required"


def test_cancelling_an_order_that_does_not_exist_is_404(api: Api) -> None:
    reply = api.request("POST", "/v1/orders/ord_nope/cancel")
    assert reply.status_code == 404
    assert reply.json()["code"] == "order_not_found"


def test_an_admin_configures_a_storefronts_adapters_credit_and_webhook(api: Api) -> None:
    body = {
        "name": "Trade portal",
        "adapters": {"payment": "sandbox", "carrier": "https:carrier"},
        "credit_limits": {"acme": 10_000_000},
        "webhook_url": "https://shop.example/oms-events",
    }
    reply = api.request("PUT", "/v1/admin/storefronts/sf-config-test", key=ADMIN_KEY, json=body)
    assert reply.status_code == 200, reply.text
    stored = api.request("GET", "/v1/admin/storefronts/sf-config-test", key=ADMIN_KEY).json()
    assert stored["adapters"] == body["adapters"]
    assert stored["credit_limits"] == {"acme": 10_000_000}


def test_a_storefront_configuration_naming_an_unknown_adapter_is_422(api: Api) -> None:
    body = {"name": "X", "adapters": {"payment": "paypal-direct"}}
    reply = api.request("PUT", "/v1/admin/storefronts/sf-bad", key=ADMIN_KEY, json=body)
    assert (reply.status_code, reply.json()["code"]) == (422, "unknown_adapter")
    assert api.request("GET", "/v1/admin/storefronts/sf-bad", key=ADMIN_KEY).status_code == 404


def test_a_storefront_webhook_must_be_https(api: Api) -> None:
    body = {"name": "X", "webhook_url": "http://shop.example/hook"}
    reply = api.request("PUT", "/v1/admin/storefronts/sf-bad", key=ADMIN_KEY, json=body)
    assert (reply.status_code, reply.json()["code"]) == (422, "validation_error")


def test_an_admin_issues_a_storefront_key_shown_once_and_revokes_it(api: Api) -> None:
    issued = api.request(
        "POST", "/v1/admin/keys", key=ADMIN_KEY, json={"role": "storefront", "storefront_id": "sf-local"}
    )
    assert issued.status_code == 201, issued.text
    key, key_id = issued.json()["key"], issued.json()["key_id"]
    assert key.startswith("sk_live_") and issued.headers["Cache-Control"] == "no-store"
    second = api.request(
        "POST", "/v1/admin/keys", key=ADMIN_KEY, json={"role": "storefront", "storefront_id": "sf-local"}
    )
    # Rotation: both keys work until the old one is revoked.
    assert api.request("GET", "/v1/orders?limit=1", key=key).status_code == 200
    assert api.request("GET", "/v1/orders?limit=1", key=second.json()["key"]).status_code == 200
    revoked = api.request("DELETE", f"/v1/admin/keys/{second.json()['key_id']}", key=ADMIN_KEY)
    assert revoked.json() == {"key_id": second.json()["key_id"], "status": "revoked"}
    assert api.request("DELETE", f"/v1/admin/keys/{key_id}", key=ADMIN_KEY).status_code == 200
    never_used = api.request("POST", "/v1/admin/keys", key=ADMIN_KEY, json={"role": "admin"}).json()
    api.request("DELETE", f"/v1/admin/keys/{never_used['key_id']}", key=ADMIN_KEY)
    refused = api.request("GET", "/v1/admin/locations", key=never_used["key"])
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized")


def test_a_storefront_key_for_a_storefront_that_does_not_exist_is_refused(api: Api) -> None:
    reply = api.request("POST", "/v1/admin/keys", key=ADMIN_KEY, json={"role": "storefront", "storefront_id": "nope"})
    assert (reply.status_code, reply.json()["code"]) == (404, "storefront_not_found")
