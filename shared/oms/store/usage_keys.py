"""API Gateway usage keys: one API key per storefront in the storefronts' usage plan, throttled per key."""

from __future__ import annotations

import secrets

from oms import aws
from oms.observability import logger
from oms.settings import settings
from oms.store import config
from oms.store.config import UsageKey

_VALUE_BYTES = 30  # 40 url-safe characters; API Gateway wants at least 20


class UsagePlanMissing(RuntimeError):
    """The stack's storefront usage plan cannot be found: a deployment problem, not a caller's."""


def for_storefront(storefront_id: str) -> UsageKey:
    """The storefront's usage key: the one it has (a re-PUT keeps it), else a new one."""
    current = config.load_storefront(storefront_id)
    if current is not None and current.usage_key is not None:
        return current.usage_key
    return issue(storefront_id)


def issue(storefront_id: str) -> UsageKey:
    """Create the storefront's API key (enabled, random value) and add it to the storefronts' plan.

    Its name, oms-<stage>-storefront-<id>, is how an operator finds it in the console to disable it.
    A failure after the key exists leaves a key in no plan (or an unrecorded one): it throttles nothing
    and is presented by nobody, and the storefront's next PUT issues a fresh one.
    """
    plan_id = _plan_id()
    client = aws.apigateway()
    key = client.create_api_key(
        name=f"oms-{settings().stage}-storefront-{storefront_id}",
        description=f"Usage plan key of storefront {storefront_id}: its per-storefront throttle",
        enabled=True,
        value=secrets.token_urlsafe(_VALUE_BYTES),
        customerId=storefront_id,
    )
    client.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    logger.info("usage key issued", extra={"storefront_id": storefront_id, "usage_key_id": key["id"]})
    return UsageKey(key_id=str(key["id"]), value=str(key["value"]))


def _plan_id() -> str:
    # By name: the api function cannot be given the plan's id (the plan depends on the stage, the stage on
    # the methods, the methods on this function). One extra read per new storefront, so no cache.
    name = settings().storefront_usage_plan
    if not name:
        raise UsagePlanMissing("OMS_STOREFRONT_USAGE_PLAN is not set")
    for page in aws.apigateway().get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            if plan.get("name") == name:
                return str(plan["id"])
    raise UsagePlanMissing(f"no usage plan named {name}")
