"""Function tests run the real handlers on moto: the tables, the queues, fake credentials and context."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws

from oms import aws
from oms.store import config

REGION = "us-east-1"
ACCOUNT = "123456789012"
ORDERS_TABLE = "oms-test-orders"
INVENTORY_TABLE = "oms-test-inventory"
CONFIG_TABLE = "oms-test-config"
SECRETS_PREFIX = "oms/test/"
API_ID = "abc123def4"
STAGE = "test"


@dataclass
class AwsStack:
    """What the fixture created, for assertions."""

    orders_table: str
    inventory_table: str
    config_table: str
    partner_events_queue_url: str
    notifications_queue_url: str
    event_bus_name: str
    secrets_prefix: str

    def queued(self, queue_url: str, max_messages: int = 10) -> list[dict[str, Any]]:
        """Messages waiting on a queue (received, with attributes; visibility 0 so they stay)."""
        answer = aws.sqs().receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=max_messages,
            MessageAttributeNames=["All"],
            VisibilityTimeout=0,
        )
        return cast("list[dict[str, Any]]", answer.get("Messages", []))


@dataclass
class FakeLambdaContext:
    function_name: str = "oms-test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:oms-test-function"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _create_tables() -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=INVENTORY_TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "sku", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )
    client.create_table(
        TableName=ORDERS_TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "storefront_id", "AttributeType": "S"},
            {"AttributeName": "created_key", "AttributeType": "S"},
            {"AttributeName": "deadline_bucket", "AttributeType": "S"},
            {"AttributeName": "deadline_at", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_storefront",
                "KeySchema": [
                    {"AttributeName": "storefront_id", "KeyType": "HASH"},
                    {"AttributeName": "created_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]},
            },
            {
                "IndexName": "deadlines",
                "KeySchema": [
                    {"AttributeName": "deadline_bucket", "KeyType": "HASH"},
                    {"AttributeName": "deadline_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    )
    client.update_time_to_live(
        TableName=ORDERS_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at_epoch"},
    )
    client.create_table(
        TableName=CONFIG_TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )


@pytest.fixture
def aws_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsStack]:
    """A fresh moto account with the stack's tables, queues and bus, and the OMS_* environment naming them."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "oms",
        "POWERTOOLS_METRICS_NAMESPACE": "OMS",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("OMS_CLOCK_OFFSET_SECONDS", raising=False)
    aws.reset_clients()
    config.clear_cache()
    with mock_aws():
        _create_tables()
        sqs = boto3.client("sqs", region_name=REGION)
        partner_events = sqs.create_queue(QueueName="oms-test-partner-events")["QueueUrl"]
        notifications = sqs.create_queue(QueueName="oms-test-notifications")["QueueUrl"]
        boto3.client("events", region_name=REGION).create_event_bus(Name="oms-test-bus")
        stack = AwsStack(
            orders_table=ORDERS_TABLE,
            inventory_table=INVENTORY_TABLE,
            config_table=CONFIG_TABLE,
            partner_events_queue_url=partner_events,
            notifications_queue_url=notifications,
            event_bus_name="oms-test-bus",
            secrets_prefix=SECRETS_PREFIX,
        )
        for name, value in {
            "OMS_STAGE": STAGE,
            "OMS_ORDERS_TABLE": ORDERS_TABLE,
            "OMS_INVENTORY_TABLE": INVENTORY_TABLE,
            "OMS_CONFIG_TABLE": CONFIG_TABLE,
            "OMS_PARTNER_EVENTS_QUEUE_URL": partner_events,
            "OMS_NOTIFICATIONS_QUEUE_URL": notifications,
            "OMS_EVENT_BUS_NAME": "oms-test-bus",
            "OMS_SECRETS_PREFIX": SECRETS_PREFIX,
            "OMS_FULFIL_STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:oms-test-fulfil",
            "OMS_SHIP_STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:oms-test-ship",
        }.items():
            monkeypatch.setenv(name, value)
        try:
            yield stack
        finally:
            aws.reset_clients()
            config.clear_cache()


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


ProxyEventFactory = Callable[..., dict[str, Any]]


def build_proxy_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    body: str | bytes | dict[str, Any] | list[Any] | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str | list[str]] | None = None,
    base64_encoded: bool = False,
    authorizer: dict[str, Any] | None = None,
    request_id: str = "req-0001",
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event as Lambda receives it.

    `body` may be a dict/list (sent as JSON), str, or bytes (sent as-is; with base64_encoded=True it is
    base64-encoded as API Gateway does for binary media types). `authorizer` is the context the
    authorizer returned, e.g. {"role": "storefront", "storefront_id": "sf-1", "key_id": "k1"}.
    """
    raw: bytes | None
    if body is None:
        raw = None
    elif isinstance(body, bytes):
        raw = body
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body).encode()
    if raw is None:
        text = None
    elif base64_encoded:
        text = base64.b64encode(raw).decode()
    else:
        text = raw.decode()
    single_query = {k: (v[-1] if isinstance(v, list) else v) for k, v in (query or {}).items()}
    multi_query = {k: (v if isinstance(v, list) else [v]) for k, v in (query or {}).items()}
    all_headers = {"Host": f"{API_ID}.execute-api.{REGION}.amazonaws.com", **(headers or {})}
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "stage": STAGE,
        "requestId": request_id,
        "httpMethod": method,
        "path": f"/{STAGE}{path}",
        "resourcePath": resource or path,
        "protocol": "HTTP/1.1",
        "requestTimeEpoch": 1_767_225_600_000,
        "identity": {"sourceIp": "203.0.113.10", "userAgent": "pytest"},
    }
    if authorizer is not None:
        request_context["authorizer"] = {"principalId": authorizer.get("key_id", "test"), **authorizer}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text,
        "isBase64Encoded": base64_encoded,
    }


@pytest.fixture
def proxy_event() -> ProxyEventFactory:
    """build_proxy_event as a fixture: `proxy_event("POST", "/v1/orders", body={...})`."""
    return build_proxy_event
