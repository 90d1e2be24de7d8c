"""Per-storefront throttling over HTTP: each storefront's API Gateway key, its usage plan's burst, 429 and 403.

This module runs its own local stack, synthesized with a tiny storefront plan (a burst of 3, one token back
every 100 s) so a few requests exhaust a storefront's bucket and none comes back during the test. The stack
runs in this process, so a test can disable a storefront's API Gateway key as an operator would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.app import build_app
from local import environ
from local.runtime import LocalStack, Options
from local.seed import Credentials, seed
from tests.e2e.conftest import Api

BURST = 3
ADMIN_KEY = "sk_e2e_throttle_admin"


@pytest.fixture(scope="module")
def small_plan_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cdk-small-plan")
    build_app({"storefront_rate_limit": "0.01", "storefront_burst_limit": str(BURST)}, outdir=str(out)).synth()
    return out


@pytest.fixture(scope="module")
def served(small_plan_out: Path) -> Iterator[tuple[LocalStack, Api]]:
    running = LocalStack.from_cdk_out(small_plan_out, Options(sqs_retry_after=1, schedule_every=3600)).start()
    try:
        seed(
            running,
            Credentials(
                storefront_keys={"sf-local": "sk_e2e_throttle_sf", "sf-local-2": "sk_e2e_throttle_sf_2"},
                admin_key=ADMIN_KEY,
                partner_secret="whsec_e2e_throttle",
            ),
        )
        port = running.serve("127.0.0.1", 0)
        yield running, Api(f"http://127.0.0.1:{port}")
    finally:
        running.stop()


@pytest.fixture
def stack(served: tuple[LocalStack, Api]) -> LocalStack:
    return served[0]


@pytest.fixture
def api(served: tuple[LocalStack, Api]) -> Api:
    return served[1]


def new_storefront(api: Api) -> tuple[str, str]:
    """A storefront created through the admin API (which gives it its API Gateway key) and a key for it."""
    storefront_id = f"sf-{uuid.uuid4().hex[:8]}"
    created = api.request("PUT", f"/v1/admin/storefronts/{storefront_id}", key=ADMIN_KEY, json={"name": "Shop"})
    assert created.status_code == 200, created.text
    issued = api.request(
        "POST", "/v1/admin/keys", key=ADMIN_KEY, json={"role": "storefront", "storefront_id": storefront_id}
    )
    assert issued.status_code == 201, issued.text
    return storefront_id, str(issued.json()["key"])


def orders(api: Api, key: str) -> Any:
    return api.request("GET", "/v1/orders?limit=1", key=key)


def usage_key_id(stack: LocalStack, storefront_id: str) -> str:
    from oms.store import config

    with environ.scoped(stack.function_env("api")):
        record = config.load_storefront(storefront_id)
    assert record is not None and record.usage_key is not None
    return record.usage_key.key_id


def test_a_storefront_past_its_plans_burst_gets_429_while_another_storefront_is_served(api: Api) -> None:
    _, busy = new_storefront(api)
    _, calm = new_storefront(api)

    assert [orders(api, busy).status_code for _ in range(BURST)] == [200] * BURST
    throttled = orders(api, busy)

    assert throttled.status_code == 429
    assert throttled.headers["Content-Type"] == "application/problem+json"
    assert throttled.json()["code"] == "throttled"
    assert orders(api, calm).status_code == 200


def test_the_seeded_storefronts_and_the_admin_are_served(api: Api) -> None:
    assert orders(api, "sk_e2e_throttle_sf").status_code == 200
    assert orders(api, "sk_e2e_throttle_sf_2").status_code == 200
    assert api.request("GET", "/v1/admin/locations", key=ADMIN_KEY).status_code == 200


def test_a_storefront_whose_api_key_is_disabled_gets_403_until_it_is_enabled_again(api: Api, stack: LocalStack) -> None:
    storefront_id, key = new_storefront(api)
    apigateway = boto3.client("apigateway", region_name=stack.assembly.region)
    key_id = usage_key_id(stack, storefront_id)

    def enabled(value: bool) -> None:
        operation = {"op": "replace", "path": "/enabled", "value": str(value).lower()}
        apigateway.update_api_key(apiKey=key_id, patchOperations=[operation])

    enabled(False)
    refused = orders(api, key)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "api_access_disabled"

    enabled(True)
    assert orders(api, key).status_code == 200


def test_a_storefront_whose_api_key_was_deleted_gets_403(api: Api, stack: LocalStack) -> None:
    storefront_id, key = new_storefront(api)
    boto3.client("apigateway", region_name=stack.assembly.region).delete_api_key(
        apiKey=usage_key_id(stack, storefront_id)
    )

    refused = orders(api, key)
    assert (refused.status_code, refused.json()["code"]) == (403, "api_access_disabled")


def test_a_storefront_stored_without_an_api_key_gets_403_until_an_admin_puts_it_again(
    api: Api, stack: LocalStack
) -> None:
    from oms import api_keys
    from oms.store import config

    # As a storefront made before usage plans: its record (and a key for it) written straight to the table.
    storefront_id = f"sf-{uuid.uuid4().hex[:8]}"
    with environ.scoped(stack.function_env("api")):
        config.put_storefront(storefront_id, "Old shop", {})
        old = api_keys.new_key("storefront")
        config.put_api_key(old.key_id, old.key_hash, "storefront", storefront_id)
    assert (orders(api, old.secret_key).status_code, orders(api, old.secret_key).json()["code"]) == (
        403,
        "api_access_disabled",
    )

    again = api.request("PUT", f"/v1/admin/storefronts/{storefront_id}", key=ADMIN_KEY, json={"name": "Old shop"})
    assert again.status_code == 200, again.text
    issued = api.request(
        "POST", "/v1/admin/keys", key=ADMIN_KEY, json={"role": "storefront", "storefront_id": storefront_id}
    )
    # A new key: API Gateway keeps the old key's authorizer answer (no usage key) for the authorizer's TTL.
    assert orders(api, issued.json()["key"]).status_code == 200
