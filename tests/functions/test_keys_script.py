"""scripts/keys.py on moto: an issued key authorizes, rotation keeps two keys alive, a revoked key is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from functions.authorizer.handler import handler as authorize
from oms.api_keys import hash_key
from oms.store import config
from scripts import keys as keys_script
from tests.functions.conftest import AwsStack

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123def4/test/POST/v1/orders"


def context_of(secret_key: str, lambda_context: Any) -> dict[str, Any]:
    policy = authorize(
        {"type": "TOKEN", "authorizationToken": f"Bearer {secret_key}", "methodArn": METHOD_ARN}, lambda_context
    )
    return dict(policy["context"])


def refused(secret_key: str, lambda_context: Any) -> bool:
    try:
        context_of(secret_key, lambda_context)
    except Exception as error:
        return str(error) == "Unauthorized"
    return False


class FakeCloudFormation:
    """Just what config_table_name asks of the CloudFormation client: list_stack_resources pages."""

    def __init__(self, pages: list[list[dict[str, str]]]) -> None:
        self.pages = pages
        self.asked: list[str] = []

    def get_paginator(self, operation: str) -> FakeCloudFormation:
        assert operation == "list_stack_resources"
        return self

    def paginate(self, StackName: str) -> Iterator[dict[str, Any]]:
        self.asked.append(StackName)
        for page in self.pages:
            yield {"StackResourceSummaries": page}


def resource(logical_id: str, physical_id: str, kind: str = "AWS::DynamoDB::Table") -> dict[str, str]:
    return {"LogicalResourceId": logical_id, "PhysicalResourceId": physical_id, "ResourceType": kind}


def test_an_issued_storefront_key_is_stored_as_a_hash_and_authorizes_for_its_storefront(
    aws_stack: AwsStack, lambda_context: Any
) -> None:
    issued = keys_script.issue_key(aws_stack.config_table, "storefront", "sf-acme")

    record = config.get_api_key(issued.key_id)
    assert record is not None
    assert (record.key_hash, record.role, record.storefront_id, record.active) == (
        hash_key(issued.secret_key),
        "storefront",
        "sf-acme",
        True,
    )
    assert issued.secret_key not in str(record)
    assert context_of(issued.secret_key, lambda_context)["storefront_id"] == "sf-acme"


def test_an_issued_admin_key_authorizes_as_admin(aws_stack: AwsStack, lambda_context: Any) -> None:
    issued = keys_script.issue_key(aws_stack.config_table, "admin")

    assert context_of(issued.secret_key, lambda_context)["role"] == "admin"


def test_rotation_keeps_both_keys_working_until_the_old_one_is_revoked(
    aws_stack: AwsStack, lambda_context: Any
) -> None:
    old = keys_script.issue_key(aws_stack.config_table, "storefront", "sf-acme")
    new = keys_script.issue_key(aws_stack.config_table, "storefront", "sf-acme")
    assert context_of(old.secret_key, lambda_context)["storefront_id"] == "sf-acme"
    assert context_of(new.secret_key, lambda_context)["storefront_id"] == "sf-acme"

    keys_script.revoke_key(aws_stack.config_table, old.key_id)

    assert refused(old.secret_key, lambda_context)
    assert context_of(new.secret_key, lambda_context)["storefront_id"] == "sf-acme"
    record = config.get_api_key(old.key_id)
    assert record is not None and record.status == "revoked"  # kept as a trace, not deleted


def test_revoking_a_key_that_does_not_exist_is_an_error(aws_stack: AwsStack) -> None:
    with pytest.raises(keys_script.KeysError, match="no API key 0123456789abcdef"):
        keys_script.revoke_key(aws_stack.config_table, "0123456789abcdef")


@pytest.mark.parametrize(
    ("role", "storefront_id"), [("storefront", None), ("storefront", "no spaces"), ("admin", "sf-acme")]
)
def test_a_key_whose_role_and_storefront_do_not_fit_is_refused_and_nothing_is_written(
    aws_stack: AwsStack, role: Any, storefront_id: str | None
) -> None:
    with pytest.raises(keys_script.KeysError):
        keys_script.issue_key(aws_stack.config_table, role, storefront_id)

    from oms import aws

    assert aws.dynamodb().scan(TableName=aws_stack.config_table)["Items"] == []


def test_the_config_table_is_found_in_the_stage_stack_by_logical_id() -> None:
    cloudformation = FakeCloudFormation(
        [
            [
                resource("DataInventoryEF9B403A", "Oms-prod-DataInventory-1"),
                resource("DataConfigQueue", "x", "AWS::SQS::Queue"),
            ],
            [resource("DataConfig804E5776", "Oms-prod-DataConfig804E5776-ABC")],
        ]
    )

    assert keys_script.config_table_name("prod", cloudformation) == "Oms-prod-DataConfig804E5776-ABC"
    assert cloudformation.asked == ["Oms-prod"]


def test_a_stack_without_a_config_table_is_an_error() -> None:
    with pytest.raises(keys_script.KeysError, match="Oms-dev has no DataConfig"):
        keys_script.config_table_name("dev", FakeCloudFormation([[resource("Other", "t")]]))


def test_the_cli_prints_the_key_once_with_a_warning(
    aws_stack: AwsStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(keys_script, "config_table_name", lambda stage: aws_stack.config_table)

    assert keys_script.main(["issue", "--stage", "dev", "--role", "storefront", "--storefront", "sf-acme"]) == 0

    out = capsys.readouterr().out
    (secret,) = re.findall(r"sk_live_\S+", out)  # shown once, on its own line
    assert "only time the key is shown" in out
    key_id = next(line.split()[-1] for line in out.splitlines() if line.strip().startswith("key id"))
    record = config.get_api_key(key_id)
    assert record is not None and record.key_hash == hash_key(secret)
    assert keys_script.main(["revoke", key_id, "--stage", "dev"]) == 0
    assert keys_script.main(["revoke", "ffffffffffffffff", "--stage", "dev"]) == 1
