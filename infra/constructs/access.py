"""Least privilege: what each function may touch. Its grants and its environment both come from here."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

from infra.constructs.data import Data
from infra.constructs.functions import Functions
from infra.constructs.messaging import Messaging
from infra.constructs.nag import acknowledge, arn_ref
from infra.constructs.usage_plans import UsagePlans
from infra.constructs.workflow import Workflow


@dataclass(frozen=True)
class Needs:
    write: tuple[str, ...] = ()  # tables it reads and writes
    read: tuple[str, ...] = ()  # tables it only reads
    start: tuple[str, ...] = ()  # state machines it starts
    send: tuple[str, ...] = ()  # queues it sends to
    invoke: tuple[str, ...] = ()  # functions it hands events to (asynchronous invocations)
    events: bool = False  # puts events on the bus
    secrets: tuple[str, ...] = ()  # kinds of secret it reads: "partners" (adapters, webhooks), "storefronts"
    issues_secrets: tuple[str, ...] = ()  # kinds of secret it creates and rotates (the admin API)
    redrives: bool = False  # reads the dead-letter queues and moves their messages back (operators)
    issues_usage_keys: bool = False  # creates each storefront's API Gateway key in the storefronts' plan
    names_usage_keys: bool = False  # tells API Gateway which usage plan key a caller counts against


NEEDS: dict[str, Needs] = {
    # Cancellation and review run compensation in the API: voids and carrier cancellations via adapters.
    # Admins create partners and storefront webhooks, and rotate their signing secrets, through it.
    "api": Needs(
        write=("orders", "inventory", "config"),
        start=("fulfil",),
        events=True,
        secrets=("partners",),
        issues_secrets=("partners", "storefronts"),
        issues_usage_keys=True,
        redrives=True,
    ),
    "authorizer": Needs(read=("config",), names_usage_keys=True),
    "webhooks": Needs(read=("config",), invoke=("partner_events",), secrets=("partners",)),
    # Re-routing a shipment cancels its booking and recalls its release through the adapters.
    "partner_events": Needs(
        write=("orders", "inventory"), read=("config",), start=("ship", "fulfil"), events=True, secrets=("partners",)
    ),
    "workflow": Needs(write=("orders", "inventory"), read=("config",), events=True, secrets=("partners",)),
    "sweeper": Needs(write=("orders", "inventory"), read=("config",), start=("fulfil", "ship"), events=True),
    # Health records beside the stock; announcements on the bus and to the ERP (perhaps an https partner).
    "stock_health": Needs(write=("inventory",), read=("config",), events=True, secrets=("partners",)),
    # Reads stock levels; records what each channel was last told in the config table; calls each channel's
    # marketplace partner over signed HTTPS.
    "channel_stock": Needs(write=("config",), read=("inventory",), secrets=("partners",)),
    # Outbound webhooks are signed with each storefront's own secret.
    "notifier": Needs(read=("config",), secrets=("storefronts",)),
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
        for target_name in needs.invoke:
            # The function's own ARN, not Function.grant_invoke's: that adds <arn>:*, every version and alias.
            target = functions[target_name]
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[target.function_arn])
            )
            fn.add_environment(f"OMS_{target_name.upper()}_FUNCTION_NAME", target.function_name)
        if needs.redrives:
            # Operators read what failed and send it round again: receive and delete on each dead-letter
            # queue, send on the queue it came from, nothing else.
            for queue_name, (queue, dlq) in messaging.redrivable.items():
                dlq.grant_consume_messages(fn)
                queue.grant_send_messages(fn)
                fn.add_environment(f"OMS_{queue_name.upper()}_QUEUE_URL", queue.queue_url)
                fn.add_environment(f"OMS_{queue_name.upper()}_DLQ_URL", dlq.queue_url)
        if needs.events:
            messaging.bus.grant_put_events_to(fn)
            fn.add_environment("OMS_EVENT_BUS_NAME", messaging.bus.event_bus_name)
        for kind in needs.secrets:
            _grant_secrets(role, secrets_prefix, kind, READ_SECRET)
        for kind in needs.issues_secrets:
            _grant_secrets(role, secrets_prefix, kind, ISSUE_SECRET)
        if needs.secrets or needs.issues_secrets:
            fn.add_environment("OMS_SECRETS_PREFIX", secrets_prefix)


def grant_usage(functions: Functions, usage: UsagePlans) -> None:
    """The usage plan side of NEEDS (granted once the plans exist): create keys, or name them."""
    stack = Stack.of(usage)

    def apigateway(path: str) -> str:  # API Gateway's management ARNs: a path, no account
        return stack.format_arn(service="apigateway", account="", resource=path, arn_format=ArnFormat.NO_RESOURCE_NAME)

    for name, needs in NEEDS.items():
        fn, role = functions[name], functions.roles[name]
        if needs.issues_usage_keys:
            fn.add_environment("OMS_STOREFRONT_USAGE_PLAN", usage.storefront_plan_name)
            # A policy of its own, outside the role: the role's default policy is a dependency of the
            # function, and naming the plan there would close the cycle plan -> stage -> method -> function.
            iam.Policy(
                usage,
                f"{name.title().replace('_', '')}IssuesUsageKeys",
                roles=[role],
                statements=[
                    iam.PolicyStatement(actions=["apigateway:POST"], resources=[apigateway("/apikeys")]),
                    iam.PolicyStatement(actions=["apigateway:GET"], resources=[apigateway("/usageplans")]),
                    iam.PolicyStatement(
                        actions=["apigateway:POST"],
                        resources=[apigateway(f"/usageplans/{usage.storefront_plan.usage_plan_id}/keys")],
                    ),
                ],
            )
        if needs.names_usage_keys:
            fn.add_environment("OMS_ADMIN_USAGE_KEY", usage.admin_key_value)


READ_SECRET = ("secretsmanager:GetSecretValue",)
# Rotation reads the current value to keep it as the previous one; DescribeSecret tells a first issue.
ISSUE_SECRET = (
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
)


def _grant_secrets(role: iam.Role, prefix: str, kind: str, actions: tuple[str, ...]) -> None:
    # Partner and storefront secrets are created at runtime, one each, so the fixed part is a name prefix.
    arn = Stack.of(role).format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=f"{prefix}{kind}/*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=[arn]))
    acknowledge(
        role,
        {
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:"
            f"<AWS::AccountId>:secret:{prefix}{kind}/*]": f"{kind.title()} secrets are created one each at "
            f"runtime ({prefix}{kind}/<id>, plus the random suffix Secrets Manager appends); "
            f"the stage's {kind} prefix is the narrowest fixed scope.",
        },
    )
