"""Function tests run the real handlers on moto: the synthesized stack's tables, queues and bus, and its environment."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from local import cloud
from local.assembly import ACCOUNT_ID as ACCOUNT
from local.assembly import REGION, Assembly, load
from local.lambdas import LambdaRegistry
from local.pollers import mappings
from local.synth import ensure_synth
from oms import aws, bootstrap
from oms.services import stock
from oms.store import config
from tests.network import MORNING, SOFA, body, network_locations, network_stock

# The stage these tests synthesize, as `cdk synth -c stage=test` would: the names they spell out (oms/test/...).
STAGE = "test"
API_ID = "abc123def4"
# What a function needs to run on its own. Not the state machines, rules (Lambda targets) or usage plans: the
# phases' ARNs stay names that nothing answers, as before, and the usage-plan tests make their own plans.
STORAGE_TYPES = frozenset(
    {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Events::EventBus", "AWS::SecretsManager::Secret"}
)


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


@dataclass(frozen=True)
class StackTemplate:
    """The synthesized stack, read once per session; each test creates its `storage` in a fresh moto account."""

    storage: Assembly
    environment: dict[str, str]
    stack: AwsStack


def _synth(out: Path) -> Assembly:
    with pytest.MonkeyPatch.context() as patch:
        # How the CDK CLI passes `-c stage=test` to the app; cached in `out` until the sources change.
        patch.setenv("CDK_CONTEXT_JSON", json.dumps({"stage": STAGE}))
        return load(ensure_synth(out))


def _environment(registry: LambdaRegistry) -> dict[str, str]:
    """The OMS_* and POWERTOOLS_* variables of every function, as the local runtime gives them (one process
    runs them all here, so one environment holds each function's: a name means the same in each)."""
    merged: dict[str, str] = {}
    for fn in registry.functions:
        for name, value in registry.environment(fn).items():
            if name.startswith(("OMS_", "POWERTOOLS_")) and merged.setdefault(name, value) != value:
                raise AssertionError(f"{name} differs between functions: {merged[name]!r} and {value!r}")
    return merged


@pytest.fixture(scope="session")
def stack_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> StackTemplate:
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    name = f"cdk-out-{STAGE}"
    assembly = _synth(cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name))
    registry = LambdaRegistry.from_assembly(assembly)
    env = _environment(registry)
    assert env["OMS_STAGE"] == STAGE, env["OMS_STAGE"]
    notifier = registry.find("notifier").name
    # create_resources makes what the template holds, so it is given a template of the storage alone.
    storage = {k: r for k, r in assembly.resources.items() if r["Type"] in STORAGE_TYPES}
    return StackTemplate(
        storage=Assembly(stack_name=assembly.stack_name, template={"Resources": storage}),
        environment=env,
        stack=AwsStack(
            orders_table=env["OMS_ORDERS_TABLE"],
            inventory_table=env["OMS_INVENTORY_TABLE"],
            config_table=env["OMS_CONFIG_TABLE"],
            partner_events_queue_url=env["OMS_PARTNER_EVENTS_QUEUE_URL"],
            # No function is told its URL: the notifier's event source is the notifications queue.
            notifications_queue_url=next(m.queue_url for m in mappings(assembly) if m.function == notifier),
            event_bus_name=env["OMS_EVENT_BUS_NAME"],
            secrets_prefix=env["OMS_SECRETS_PREFIX"],
        ),
    )


# Parsed once: every botocore session (each test's boto3 one, each `oms.aws` client's) reads its service
# models from here instead of parsing botocore's JSON again, most of a fresh client's cost.
_MODELS = botocore.loaders.create_loader()


@pytest.fixture
def aws_stack(stack_template: StackTemplate, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsStack]:
    """A fresh moto account with the template's tables, queues and bus, and the functions' environment naming them."""
    for name in [name for name in os.environ if name.startswith("OMS_")]:
        monkeypatch.delenv(name)  # only what the template sets (OMS_CLOCK_OFFSET_SECONDS and the like stay out)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        **stack_template.environment,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(botocore.session, "create_loader", lambda *_: _MODELS)
    aws.reset_clients()
    config.clear_cache()
    with mock_aws():
        cloud.create_resources(stack_template.storage)
        try:
            yield replace(stack_template.stack)
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


@pytest.fixture
def network(request: pytest.FixtureRequest) -> None:
    """A network of locations around Manila (tests.network) in the stack's tables."""
    request.getfixturevalue("aws_stack")  # the tables first
    deps = bootstrap.aws()
    for location in network_locations():
        config.put_location(location)
    for (sku, location_id), units in network_stock().items():
        stock.set_stock(deps, sku, location_id, units, 0, actor="test")
    config.put_product(SOFA)


__all__ = ["MORNING", "body"]  # the shared checkout fixtures, as the functions tests import them from here
