"""Least privilege: what each function may touch. Its grants and its environment both come from here."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

from infra.constructs.data import Data
from infra.constructs.functions import Functions
from infra.constructs.messaging import Messaging
from infra.constructs.nag import acknowledge, arn_ref
from infra.constructs.workflow import Workflow


@dataclass(frozen=True)
class Needs:
    write: tuple[str, ...] = ()  # tables it reads and writes
    read: tuple[str, ...] = ()  # tables it only reads
    start: tuple[str, ...] = ()  # state machines it starts
    send: tuple[str, ...] = ()  # queues it sends to
    events: bool = False  # puts events on the bus
    secrets: bool = False  # reads partner secrets


NEEDS: dict[str, Needs] = {
    "api": Needs(write=("orders", "inventory", "config"), start=("fulfil",), events=True),
    "authorizer": Needs(read=("config",)),
    "webhooks": Needs(read=("config",), send=("partner_events",), secrets=True),
    "partner_events": Needs(write=("orders", "inventory"), read=("config",), start=("ship", "fulfil"), events=True),
    "workflow": Needs(write=("orders", "inventory"), read=("config",), events=True, secrets=True),
    "sweeper": Needs(write=("orders", "inventory"), read=("config",), start=("fulfil",), events=True),
    "notifier": Needs(read=("config",), secrets=True),
}


def grant_needs(functions: Functions, data: Data, messaging: Messaging, workflow: Workflow, *, stage: str) -> None:
    """Grant each function its NEEDS and name each granted resource in its environment."""
    secrets_prefix = f"oms/{stage}/"
    queues = {"partner_events": messaging.partner_events}
    for name, needs in NEEDS.items():
        fn, role = functions[name], functions.roles[name]
        for table in needs.write:
            data.by_name[table].grant_read_write_data(fn)
        for table in needs.read:
            data.by_name[table].grant_read_data(fn)
        for table in dict.fromkeys((*needs.write, *needs.read)):  # ordered: a stable template
            fn.add_environment(f"OMS_{table.upper()}_TABLE", data.by_name[table].table_name)
            if table in data.indexed:
                index_arns = f"{arn_ref(data.by_name[table])}/index/*"
                acknowledge(
                    role,
                    {
                        f"AwsSolutions-IAM5[Resource::{index_arns}]": f"Queries the {table} table's GSIs; "
                        "CDK grants a table's indexes as <table arn>/index/*.",
                    },
                )
        for machine_name in needs.start:
            machine = workflow.by_name[machine_name]
            machine.grant_start_execution(fn)
            fn.add_environment(f"OMS_{machine_name.upper()}_STATE_MACHINE_ARN", machine.state_machine_arn)
        for queue in needs.send:
            queues[queue].grant_send_messages(fn)
            fn.add_environment(f"OMS_{queue.upper()}_QUEUE_URL", queues[queue].queue_url)
        if needs.events:
            messaging.bus.grant_put_events_to(fn)
            fn.add_environment("OMS_EVENT_BUS_NAME", messaging.bus.event_bus_name)
        if needs.secrets:
            _grant_partner_secrets(role, secrets_prefix)
            fn.add_environment("OMS_SECRETS_PREFIX", secrets_prefix)


def _grant_partner_secrets(role: iam.Role, prefix: str) -> None:
    # Partner secrets are created at runtime, one per partner, so the fixed part is a name prefix.
    arn = Stack.of(role).format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=f"{prefix}partners/*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[arn]))
    acknowledge(
        role,
        {
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:"
            f"<AWS::AccountId>:secret:{prefix}partners/*]": "Partner secrets are created per partner at "
            f"runtime ({prefix}partners/<partner_id>, plus the random suffix Secrets Manager appends); "
            "the stage's partner prefix is the narrowest fixed scope.",
        },
    )
