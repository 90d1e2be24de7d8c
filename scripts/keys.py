"""Issues and revokes API keys of a DEPLOYED stack, with the caller's AWS credentials (`make keys`).

    python -m scripts.keys issue --stage dev --role admin
    python -m scripts.keys issue --stage dev --role storefront --storefront sf-acme
    python -m scripts.keys revoke --stage dev KEY_ID

The key is printed once and never stored: the config table keeps its SHA-256 hash under its key id.
Rotation is issue-then-revoke: a storefront may hold more than one active key, so it switches to the
new key at its own pace and the old one is revoked after. The local stack (`make run`) needs none of
this: its keys come from the OMS_LOCAL_*_KEY environment variables (see README).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# `python -m scripts.keys` outside make has no PYTHONPATH pointing at the domain package.
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))

from oms import api_keys  # noqa: E402
from oms.store import config  # noqa: E402

CONFIG_TABLE_PREFIX = "DataConfig"  # logical id of the Data construct's Config table (infra/constructs/data.py)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")  # oms.domain.models.Id: how storefront ids are spelled


class KeysError(Exception):
    """Something the operator must fix (no such stack, no such key); printed without a traceback."""


def stack_name(stage: str) -> str:
    return f"Oms-{stage}"  # infra/app.py names the stack of each stage so


def config_table_name(stage: str, cloudformation: Any | None = None) -> str:
    """The physical name of the config table of the stack `Oms-<stage>`, from CloudFormation."""
    import boto3
    from botocore.exceptions import ClientError

    client = cloudformation or boto3.client("cloudformation")
    name = stack_name(stage)
    try:
        for page in client.get_paginator("list_stack_resources").paginate(StackName=name):
            for resource in page["StackResourceSummaries"]:
                if resource["ResourceType"] == "AWS::DynamoDB::Table" and resource["LogicalResourceId"].startswith(
                    CONFIG_TABLE_PREFIX
                ):
                    return str(resource["PhysicalResourceId"])
    except ClientError as error:
        raise KeysError(f"cannot read stack {name}: {error.response['Error']['Message']}") from error
    raise KeysError(f"stack {name} has no {CONFIG_TABLE_PREFIX}* table; is it an OMS stack?")


@contextlib.contextmanager
def _config_table(table: str) -> Iterator[None]:
    """Point oms.store.config at `table` for the block (the domain reads its table names from the env)."""
    before = os.environ.get("OMS_CONFIG_TABLE")
    os.environ["OMS_CONFIG_TABLE"] = table
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMS_CONFIG_TABLE", None)
        else:
            os.environ["OMS_CONFIG_TABLE"] = before


def issue_key(table: str, role: api_keys.KeyKind, storefront_id: str | None = None) -> api_keys.IssuedKey:
    """Create a key and store its hash; the returned secret is the only copy there will ever be."""
    if role == "storefront" and not (storefront_id and _ID.match(storefront_id)):
        raise KeysError("a storefront key needs --storefront <id> (letters, digits and . _ : -)")
    if role == "admin" and storefront_id:
        raise KeysError("an admin key belongs to no storefront: leave out --storefront")
    issued = api_keys.new_key(role)
    with _config_table(table):
        config.put_api_key(issued.key_id, issued.key_hash, role, storefront_id)
    return issued


def storefront_warning(table: str, storefront_id: str) -> str | None:
    """Why API Gateway would refuse this storefront's keys (403), if it would: the storefront has no API
    Gateway key in the storefronts' usage plan until an admin creates it through the API."""
    with _config_table(table):
        storefront = config.load_storefront(storefront_id)
    put = f"PUT /v1/admin/storefronts/{storefront_id}"
    if storefront is None:
        return f"storefront {storefront_id} does not exist yet: its keys are refused (403) until an admin {put}"
    if storefront.usage_key is None:
        return f"storefront {storefront_id} has no API Gateway key yet (made before usage plans): {put} adds one"
    return None


def revoke_key(table: str, key_id: str) -> None:
    """Mark the key revoked (the record stays, as a trace of who had access until when)."""
    from oms.domain.errors import NotFound

    with _config_table(table):
        try:
            config.revoke_api_key(key_id)
        except NotFound:
            raise KeysError(f"no API key {key_id} in {table}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.keys", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue", help="issue a new key and print it once")
    issue.add_argument("--role", choices=api_keys.KEY_KINDS, default="admin")
    issue.add_argument("--storefront", default=None, help="the storefront a storefront key acts for")
    revoke = commands.add_parser("revoke", help="revoke a key by its key id")
    revoke.add_argument("key_id")
    for command in (issue, revoke):
        command.add_argument("--stage", default="dev", help="the stage of the stack Oms-<stage> (default: dev)")
        command.add_argument("--region", default=None, help="AWS region (default: your AWS configuration)")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    if args.region:
        # For this lookup and for the domain's own clients, whichever variable botocore reads first.
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = args.region

    try:
        table = config_table_name(args.stage)
        if args.command == "revoke":
            revoke_key(table, args.key_id)
            print(f"revoked {args.key_id} in {stack_name(args.stage)}.")
            print("It stops working within about 5 minutes (API Gateway caches an authorizer answer 300 s).")
            return 0
        storefront = args.storefront or None
        issued = issue_key(table, args.role, storefront)
        warning = storefront_warning(table, storefront) if storefront else None
    except KeysError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:  # no credentials, no region, access denied ...
        print(f"error: AWS refused or could not be reached: {error}", file=sys.stderr)
        return 1
    owner = f"storefront {storefront}" if args.role == "storefront" else "admin"
    print(f"issued a {owner} key for {stack_name(args.stage)}")
    print(f"  key id  {issued.key_id}")
    print(f"  key     {issued.secret_key}")
    print(
        "WARNING: this is the only time the key is shown. Store it in a secret store now;\n"
        "the OMS keeps only its hash. Send it as `Authorization: Bearer <key>`.\n"
        f"Revoke it with: make keys STAGE={args.stage} REVOKE={issued.key_id}"
    )
    if warning:
        print(f"WARNING: {warning}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
