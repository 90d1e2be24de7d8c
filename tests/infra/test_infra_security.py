"""Least privilege per function, no wildcard grants, cdk-nag AwsSolutions and cfn-lint both clean."""

from __future__ import annotations

import json

import pytest
from aws_cdk import aws_sqs as sqs

from infra.app import build_app

WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
READ = {"dynamodb:GetItem", "dynamodb:Query"}
WILDCARD_SERVICES = ("dynamodb", "sqs", "states", "lambda", "events", "s3", "secretsmanager", "kms", "iam")
TABLES = {"orders": "DataOrders", "inventory": "DataInventory", "config": "DataConfig"}
MACHINES = {"fulfil": "WorkflowFulfilStateMachine", "ship": "WorkflowShipStateMachine"}


def all_statements(node):
    """Every IAM statement anywhere in the template: role policies, queue policies, bucket policies..."""
    if isinstance(node, dict):
        if isinstance(node.get("Statement"), list):
            yield from node["Statement"]
        for value in node.values():
            yield from all_statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_statements(value)


def as_list(value):
    return value if isinstance(value, list) else [value]


def targets(synth, name, actions):
    """Logical ids of the resources on which function `name` is allowed any of `actions`."""
    found = set()
    for statement in synth.statements_of(name):
        if statement["Effect"] == "Allow" and actions & set(as_list(statement["Action"])):
            for resource in as_list(statement["Resource"]):
                found.add(json.dumps(resource))
    return {logical_id for logical_id in synth.template["Resources"] if any(logical_id in r for r in found)}


def ids(synth, cfn_type, names, mapping):
    return {synth.one(cfn_type, mapping[n])[0] for n in names}


def test_no_statement_allows_every_action_or_every_action_of_a_service(default_synth):
    statements = list(all_statements(default_synth.template["Resources"]))
    assert statements
    forbidden = {"*"} | {f"{service}:*" for service in WILDCARD_SERVICES}
    for statement in statements:
        actions = set(as_list(statement.get("Action", [])))
        if statement["Effect"] == "Allow":
            assert not actions & forbidden, statement
        else:  # the only broad statements are enforceSSL's: deny anything over plain HTTP
            assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, statement


def test_the_authorizer_can_only_read_the_config_table(default_synth):
    actions = default_synth.actions_of("authorizer")
    assert not actions & WRITE
    dynamodb = {a for a in actions if a.startswith("dynamodb:")}
    assert dynamodb >= READ
    assert targets(default_synth, "authorizer", dynamodb) == ids(
        default_synth, "AWS::DynamoDB::Table", ["config"], TABLES
    )
    services = {a.split(":")[0] for a in actions}
    assert services == {"dynamodb", "logs", "xray"}


@pytest.mark.parametrize(
    ("name", "writes", "reads"),
    [
        ("api", ["orders", "inventory", "config"], ["orders", "inventory", "config"]),
        ("authorizer", [], ["config"]),
        ("webhooks", [], ["config"]),
        ("partner_events", ["orders", "inventory"], ["orders", "inventory", "config"]),
        ("workflow", ["orders", "inventory"], ["orders", "inventory", "config"]),
        ("sweeper", ["orders", "inventory"], ["orders", "inventory", "config"]),
        ("notifier", [], ["config"]),
        ("stock_health", ["inventory"], ["inventory", "config"]),
        ("channel_stock", ["config"], ["inventory", "config"]),
    ],
)
def test_each_function_reads_and_writes_only_its_tables(default_synth, name, writes, reads):
    assert targets(default_synth, name, WRITE) == ids(default_synth, "AWS::DynamoDB::Table", writes, TABLES)
    assert targets(default_synth, name, READ) == ids(default_synth, "AWS::DynamoDB::Table", reads, TABLES)


@pytest.mark.parametrize(
    ("name", "machines"),
    [("api", ["fulfil"]), ("partner_events", ["fulfil", "ship"]), ("sweeper", ["fulfil", "ship"]), ("workflow", [])],
)
def test_only_the_api_worker_and_sweeper_start_phases_and_only_those_they_need(default_synth, name, machines):
    started = targets(default_synth, name, {"states:StartExecution"})
    assert started == ids(default_synth, "AWS::StepFunctions::StateMachine", machines, MACHINES)


def test_functions_that_start_no_phase_have_no_step_functions_permission(default_synth):
    for name in ("authorizer", "webhooks", "workflow", "notifier"):
        assert not {a for a in default_synth.actions_of(name) if a.startswith("states:")}, name


def test_only_functions_that_publish_domain_events_may_put_them_on_the_bus(default_synth):
    bus_id, _ = default_synth.one("AWS::Events::EventBus", "MessagingBus")
    for name in ("api", "partner_events", "workflow", "sweeper"):
        assert targets(default_synth, name, {"events:PutEvents"}) == {bus_id}, name
    for name in ("authorizer", "webhooks", "notifier", "channel_stock"):
        assert "events:PutEvents" not in default_synth.actions_of(name), name


def test_only_the_webhooks_function_invokes_a_function_and_only_the_partner_events_worker(default_synth):
    worker_id, _ = default_synth.function("partner_events")
    assert targets(default_synth, "webhooks", {"lambda:InvokeFunction"}) == {worker_id}
    (statement,) = [
        s for s in default_synth.statements_of("webhooks") if "lambda:InvokeFunction" in as_list(s["Action"])
    ]
    assert statement["Resource"] == {"Fn::GetAtt": [worker_id, "Arn"]}  # not <arn>:*, every version and alias
    for name in ("api", "authorizer", "partner_events", "workflow", "sweeper", "notifier"):
        assert not {a for a in default_synth.actions_of(name) if a.startswith("lambda:")}, name


def test_the_webhooks_function_no_longer_sends_to_any_queue(default_synth):
    assert not {a for a in default_synth.actions_of("webhooks") if a.startswith("sqs:")}


def test_each_worker_sends_only_to_its_own_queue_its_on_failure_destination(default_synth):
    for name, queue in (("partner_events", "MessagingPartnerEvents"), ("notifier", "MessagingNotifications")):
        queue_id, _ = default_synth.one("AWS::SQS::Queue", queue)
        assert targets(default_synth, name, {"sqs:SendMessage"}) == {queue_id}, name
    for name in ("authorizer", "webhooks", "workflow", "sweeper"):
        assert "sqs:SendMessage" not in default_synth.actions_of(name), name


def test_the_api_sends_only_to_the_queues_operators_redrive_and_reads_only_their_dead_letters(default_synth):
    queues = {
        default_synth.one("AWS::SQS::Queue", prefix)[0]
        for prefix in ("MessagingPartnerEvents", "MessagingNotifications")
    }
    dlqs = {
        default_synth.one("AWS::SQS::Queue", f"{prefix}Dlq")[0]
        for prefix in ("MessagingPartnerEvents", "MessagingNotifications")
    }
    assert targets(default_synth, "api", {"sqs:SendMessage"}) == queues
    assert targets(default_synth, "api", {"sqs:ReceiveMessage", "sqs:DeleteMessage"}) == dlqs


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("webhooks", "partners"),
        ("workflow", "partners"),
        ("partner_events", "partners"),
        ("notifier", "storefronts"),
        ("channel_stock", "partners"),
    ],
)
def test_secrets_are_readable_only_under_the_stage_prefix_of_their_kind(default_synth, name, kind):
    (statement,) = [s for s in default_synth.statements_of(name) if "secretsmanager" in json.dumps(s["Action"])]
    assert statement["Action"] == "secretsmanager:GetSecretValue"
    _, parts = statement["Resource"]["Fn::Join"]
    assert parts[-1] == f":secret:oms/dev/{kind}/*"


def test_only_the_admin_api_issues_secrets_and_only_partners_and_storefronts_webhook_secrets(default_synth):
    issued = {}
    for statement in default_synth.statements_of("api"):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if any(a.startswith("secretsmanager:") for a in actions):
            for resource in resources:  # CDK merges statements that grant the same actions
                _, parts = resource["Fn::Join"]
                issued.setdefault(parts[-1], set()).update(actions)
    issue = {"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue"}
    assert {resource for resource, actions in issued.items() if issue <= actions} == {
        ":secret:oms/dev/partners/*",
        ":secret:oms/dev/storefronts/*",
    }
    assert not any("secretsmanager:DeleteSecret" in actions for actions in issued.values())
    for name in ("webhooks", "workflow", "partner_events", "notifier", "sweeper", "authorizer", "channel_stock"):
        assert not {a for a in default_synth.actions_of(name) if a in issue}, name


def test_functions_that_call_no_partner_read_no_secret(default_synth):
    for name in ("authorizer", "sweeper"):
        assert not {a for a in default_synth.actions_of(name) if a.startswith("secretsmanager:")}, name


def test_each_function_may_write_logs_only_to_its_own_log_group(default_synth):
    for name in ("api", "authorizer", "webhooks", "partner_events", "workflow", "sweeper", "notifier", "channel_stock"):
        log_group_id = default_synth.function(name)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert targets(default_synth, name, {"logs:PutLogEvents"}) == {log_group_id}, name


def test_no_function_role_carries_a_managed_policy(default_synth):
    for name in ("api", "authorizer", "webhooks", "partner_events", "workflow", "sweeper", "notifier", "channel_stock"):
        role_id = default_synth.function(name)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
        assert "ManagedPolicyArns" not in default_synth.template["Resources"][role_id]["Properties"], name


@pytest.mark.parametrize("synth", ["default_synth", "production_synth"])
def test_cdk_nag_aws_solutions_reports_nothing_unacknowledged(request, synth):
    outdir = request.getfixturevalue(synth).outdir
    report = json.loads((outdir / "validation-report.json").read_text())
    assert [r["violations"] for r in report["pluginReports"] if r["violations"]] == []


def test_an_unacknowledged_cdk_nag_finding_fails_synthesis(tmp_path):
    app = build_app(outdir=str(tmp_path))
    # A queue without DLQ and TLS policy breaks AwsSolutions-SQS3 and -SQS4, acknowledged nowhere.
    sqs.Queue(app.node.find_child("Oms"), "Careless")
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS3"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (nag,) = report["pluginReports"]
    assert nag["pluginName"] == "AwsSolutions"
    found = {(v["ruleName"], c["constructPath"]) for v in nag["violations"] for c in v["violatingConstructs"]}
    assert found == {
        ("AwsSolutions-SQS3", "Oms/Careless/Resource"),
        ("AwsSolutions-SQS4", "Oms/Careless/Resource"),
    }


def test_the_template_is_cfn_lint_clean(default_synth):
    assert default_synth.lint is not None
    output, _ = default_synth.lint.communicate(timeout=300)
    assert default_synth.lint.returncode == 0, output


def test_channel_stock_reads_only_the_inventory_stream_and_sends_only_to_its_failure_queue(default_synth):
    table_id, _ = default_synth.one("AWS::DynamoDB::Table", "DataInventory")
    dlq_id, _ = default_synth.one("AWS::SQS::Queue", "ChannelStockDlq")
    # Table reads include GetRecords (CDK's read grant); only the mapping's stream grant describes a stream.
    assert targets(default_synth, "channel_stock", {"dynamodb:DescribeStream"}) == {table_id}
    assert targets(default_synth, "channel_stock", {"sqs:SendMessage"}) == {dlq_id}
    assert not {a for a in default_synth.actions_of("channel_stock") if a.startswith(("states:", "events:"))}
