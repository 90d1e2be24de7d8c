"""The one place AWS clients are made: created lazily, once per process, reused across invocations.

They are botocore's clients, which boto3's are: importing boto3 itself would add its resource layer and
s3transfer to every cold start, and the OMS uses neither.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

_lock = threading.Lock()
# Standard retry mode with a short connect timeout: a Lambda should fail fast and let its caller retry.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=10)


@cache
def _client(service: str) -> Any:
    with _lock:  # a botocore session is not thread-safe while it creates clients
        return botocore.session.get_session().create_client(service, config=_CONFIG)


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    return _client("sqs")  # type: ignore[no-any-return]


def stepfunctions() -> SFNClient:
    return _client("stepfunctions")  # type: ignore[no-any-return]


def events() -> EventBridgeClient:
    return _client("events")  # type: ignore[no-any-return]


def secrets() -> SecretsManagerClient:
    return _client("secretsmanager")  # type: ignore[no-any-return]


def lambda_() -> Any:
    """Lambda (asynchronous invocations of another function). Untyped: no boto3 stubs for it are installed."""
    return _client("lambda")


def apigateway() -> Any:
    """API Gateway (REST): storefronts' usage plan keys. Untyped: no boto3 stubs for it are installed."""
    return _client("apigateway")


def reset_clients() -> None:
    """Forget cached clients (tests that start a fresh moto mock)."""
    _client.cache_clear()
