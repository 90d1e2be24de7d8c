"""The served OpenAPI document is the contract: schemathesis drives every operation it describes against the
local stack, with a storefront key and with an admin key, with valid and with invalid requests. Every
answer must be one the document describes: never a 5xx, and a body that matches the schema of its status."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from functions.api.route_table import ROUTES, Route
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, Api

CHECKS = [not_a_server_error, response_schema_conformance]
# Bounded and repeatable: a few valid and invalid requests per operation, the same ones on every run.
EXAMPLES = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
KEYS = {"storefront": STOREFRONT_KEY, "admin": ADMIN_KEY}
# Every route the document describes (the route table lists them all, the partner webhook included).
DESCRIBED = [route for route in ROUTES if route.name not in {"openapi", "docs"}]


@pytest.fixture(scope="module")
def contract(api: Api) -> Any:
    return schemathesis.openapi.from_url(api.base + "/openapi.json")


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("route", DESCRIBED, ids=[route.name for route in DESCRIBED])
def test_every_answer_is_one_the_document_describes(contract: Any, api: Api, route: Route, key: str) -> None:
    operation = contract[route.path][route.method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @EXAMPLES
    @given(case=cases)
    def answers_as_documented(case: Any) -> None:
        response = case.call(base_url=api.base, headers={"Authorization": f"Bearer {KEYS[key]}"})
        case.validate_response(response, checks=CHECKS)

    answers_as_documented()
