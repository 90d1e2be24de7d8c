"""The TOKEN authorizer on moto: which keys get which policy, and that every bad key is a plain 401."""

from __future__ import annotations

import io
from typing import Any

import pytest

from functions.authorizer.handler import handler
from oms.api_keys import hash_key, key_id_of, new_key
from oms.observability import logger
from oms.store import config

ARN_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abc123def4/test"
METHOD_ARN = f"{ARN_PREFIX}/GET/v1/orders/ord_1"

pytestmark = pytest.mark.usefixtures("aws_stack")


def token_event(token: str | None, method_arn: str = METHOD_ARN) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "TOKEN", "methodArn": method_arn}
    if token is not None:
        event["authorizationToken"] = token
    return event


def store_key(secret_key: str, role: config.Role, storefront_id: str | None = None) -> str:
    key_id = key_id_of(secret_key)
    assert key_id is not None
    config.put_api_key(key_id, hash_key(secret_key), role, storefront_id)
    return key_id


def statements(policy: dict[str, Any]) -> dict[str, list[str]]:
    by_effect: dict[str, list[str]] = {}
    for statement in policy["policyDocument"]["Statement"]:
        assert statement["Action"] == "execute-api:Invoke"
        by_effect.setdefault(statement["Effect"], []).extend(statement["Resource"])
    return by_effect


def deny(token: str | None, context: Any, method_arn: str = METHOD_ARN) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(token_event(token, method_arn), context)


def test_a_storefront_key_may_call_everything_but_admin_routes(lambda_context: Any) -> None:
    issued = new_key("storefront")
    store_key(issued.secret_key, "storefront", "sf-manila")

    policy = handler(token_event(f"Bearer {issued.secret_key}"), lambda_context)

    assert policy["principalId"] == issued.key_id
    assert statements(policy) == {
        "Allow": [f"{ARN_PREFIX}/*/*"],
        "Deny": [f"{ARN_PREFIX}/*/v1/admin/*"],
    }
    assert policy["context"] == {
        "principal_id": issued.key_id,
        "role": "storefront",
        "storefront_id": "sf-manila",
        "key_id": issued.key_id,
    }


def test_an_admin_key_may_call_everything(lambda_context: Any) -> None:
    issued = new_key("admin")
    store_key(issued.secret_key, "admin")

    policy = handler(token_event(f"Bearer {issued.secret_key}"), lambda_context)

    assert statements(policy) == {"Allow": [f"{ARN_PREFIX}/*/*"]}
    assert policy["context"]["role"] == "admin"
    assert policy["context"]["storefront_id"] == ""
    assert policy["context"]["key_id"] == issued.key_id


def test_the_policy_covers_the_stage_whatever_route_was_asked_for(lambda_context: Any) -> None:
    issued = new_key("storefront")
    store_key(issued.secret_key, "storefront", "sf-1")
    arn = f"{ARN_PREFIX}/POST/v1/admin/locations/mnl-wh-1"

    policy = handler(token_event(f"Bearer {issued.secret_key}", arn), lambda_context)

    assert statements(policy)["Deny"] == [f"{ARN_PREFIX}/*/v1/admin/*"]


def test_a_revoked_key_is_unauthorized(lambda_context: Any) -> None:
    issued = new_key("storefront")
    key_id = store_key(issued.secret_key, "storefront", "sf-1")
    handler(token_event(f"Bearer {issued.secret_key}"), lambda_context)  # works, and is now cached

    config.revoke_api_key(key_id)

    deny(f"Bearer {issued.secret_key}", lambda_context)


def test_an_unknown_key_is_unauthorized(lambda_context: Any) -> None:
    deny(f"Bearer {new_key('storefront').secret_key}", lambda_context)


def test_a_guess_at_a_known_key_id_is_unauthorized(lambda_context: Any) -> None:
    issued = new_key("admin")
    store_key(issued.secret_key, "admin")
    forged = f"sk_live_{issued.key_id}_" + "A" * 43

    deny(f"Bearer {forged}", lambda_context)


@pytest.mark.parametrize(
    "token",
    [None, "", "Bearer", "Bearer ", "sk_local_storefront", "Basic c2tfbG9jYWxfc3RvcmVmcm9udA==", "Token x"],
)
def test_a_missing_or_malformed_bearer_token_is_unauthorized(token: str | None, lambda_context: Any) -> None:
    store_key("sk_local_storefront", "storefront", "sf-local")
    deny(token, lambda_context)


def test_a_malformed_key_is_unauthorized_without_a_lookup(lambda_context: Any) -> None:
    deny("Bearer not a key at all", lambda_context)
    deny("Bearer " + "x" * 300, lambda_context)


def test_a_local_default_key_works(lambda_context: Any) -> None:
    key_id = store_key("sk_local_storefront", "storefront", "sf-local")

    policy = handler(token_event("Bearer sk_local_storefront"), lambda_context)

    assert policy["principalId"] == key_id
    assert policy["context"]["storefront_id"] == "sf-local"
    assert "Deny" in statements(policy)


def test_the_bearer_scheme_is_case_insensitive(lambda_context: Any) -> None:
    store_key("sk_local_admin", "admin")
    assert handler(token_event("bearer sk_local_admin"), lambda_context)["context"]["role"] == "admin"


def test_a_method_arn_that_is_not_execute_api_is_unauthorized(lambda_context: Any) -> None:
    store_key("sk_local_admin", "admin")
    deny("Bearer sk_local_admin", lambda_context, method_arn="arn:aws:lambda:us-east-1:1:function:x")


def test_the_key_is_never_logged(lambda_context: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = new_key("storefront")
    store_key(issued.secret_key, "storefront", "sf-1")
    output = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", output)  # what Lambda would ship to CloudWatch
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")

    handler(token_event(f"Bearer {issued.secret_key}"), lambda_context)
    deny(f"Bearer {issued.secret_key}x", lambda_context)

    logged = output.getvalue()
    assert '"message":"authorized"' in logged
    assert '"message":"unauthorized"' in logged
    assert issued.secret_key not in logged
    assert issued.key_id in logged  # the id is logged, so an operator can tell keys apart
