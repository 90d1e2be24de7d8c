"""API Gateway TOKEN authorizer: an API key in, an IAM policy plus the caller's role and storefront out."""

from __future__ import annotations

import hmac
import re
from typing import Any, NoReturn

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    HttpVerb,
    parse_api_gateway_arn,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.coldstart import loading

with loading():
    from oms import api_keys
    from oms.observability import logger
    from oms.settings import settings
    from oms.store import config

# arn:<partition>:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path...>
_METHOD_ARN = re.compile(r"^arn:[^:/]+:execute-api:[^:/]+:[^:/]+:[^:/]+/[^/]+/[^/]+/.*$")
ADMIN_PATHS = "/v1/admin/*"


# log_event=False explicitly: POWERTOOLS_LOGGER_LOG_EVENT=true must never put a key in the logs.
# clear_state: the key id appended below must not linger into the next invocation's logs.
@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    key = _bearer_key(event.get("authorizationToken"))
    if key is None:
        _unauthorized("no bearer key in the Authorization header")
    key_id = api_keys.key_id_of(key)
    if key_id is None:
        _unauthorized("not an API key")
    logger.append_keys(key_id=key_id)  # the id is not secret; it names the record, not the key
    record = config.get_api_key(key_id)
    if record is None:
        _unauthorized("unknown key")
    if not hmac.compare_digest(record.key_hash.encode(), api_keys.hash_key(key).encode()):
        _unauthorized("key does not match its record")
    if not record.active:
        _unauthorized("revoked key")
    if record.role not in ("storefront", "admin"):
        _unauthorized("key record with an unknown role")
    if record.role == "storefront" and not record.storefront_id:
        _unauthorized("storefront key without a storefront")

    method_arn = event.get("methodArn")
    if not isinstance(method_arn, str) or not _METHOD_ARN.match(method_arn):
        _unauthorized("methodArn is not an execute-api method ARN")
    policy = _policy(method_arn, record, _usage_key(record))
    logger.info("authorized", extra={"role": record.role, "storefront_id": record.storefront_id or ""})
    return policy


def _usage_key(record: config.ApiKeyRecord) -> str | None:
    """The API Gateway API key this caller is throttled by (the API's key source is this authorizer).

    A storefront's own key (the storefront record is cached, so this is rarely a read); one shared key
    for admin keys. None makes API Gateway refuse the caller with 403 on every route that needs a key.
    """
    if record.role == "admin":
        return settings().admin_usage_key or None
    storefront = config.get_storefront(record.storefront_id or "")
    if storefront is None or storefront.usage_key is None:
        # Not the caller's fault: an admin must create (or re-PUT) the storefront, which issues its key.
        logger.warning(
            "storefront has no usage key: API Gateway refuses it", extra={"storefront_id": record.storefront_id}
        )
        return None
    return storefront.usage_key.value


def _policy(method_arn: str, record: config.ApiKeyRecord, usage_key: str | None) -> dict[str, Any]:
    """A policy for every route of this API stage, not just the one asked for.

    API Gateway caches the answer per token and reuses it for the caller's next requests to any
    route, so the policy must say what the key may do everywhere: admin keys everything, storefront
    keys everything but /v1/admin/* (an explicit Deny wins over the Allow).
    """
    arn = parse_api_gateway_arn(method_arn)
    response = APIGatewayAuthorizerResponse(
        principal_id=record.key_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        partition=arn.partition,
        usage_identifier_key=usage_key,
        context={
            "principal_id": record.key_id,
            "role": record.role,
            "storefront_id": record.storefront_id if record.role == "storefront" else "",
            "key_id": record.key_id,
        },
    )
    response.allow_all_routes()
    if record.role != "admin":
        response.deny_route(HttpVerb.ALL.value, ADMIN_PATHS)
    return response.asdict()


def _bearer_key(token: object) -> str | None:
    if not isinstance(token, str):
        return None
    scheme, _, key = token.strip().partition(" ")
    if scheme.lower() != "bearer":  # the auth scheme is case-insensitive (RFC 9110)
        return None
    return key.strip() or None


def _unauthorized(reason: str) -> NoReturn:
    logger.info("unauthorized", extra={"reason": reason})
    # API Gateway turns exactly this message into 401; any other failure becomes a 500.
    raise Exception("Unauthorized")
