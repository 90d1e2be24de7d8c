"""The nine functions: runtime, architecture, layer, tracing, logs, environment and asset contents."""

from __future__ import annotations

from pathlib import Path

import pytest

FUNCTIONS = (
    "api",
    "authorizer",
    "webhooks",
    "partner_events",
    "workflow",
    "sweeper",
    "notifier",
    "stock_health",
    "channel_stock",
)

COMMON_ENV = {"OMS_STAGE", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
TABLES = {"OMS_ORDERS_TABLE", "OMS_INVENTORY_TABLE", "OMS_CONFIG_TABLE"}
WORKERS = {"OMS_ORDERS_TABLE", "OMS_INVENTORY_TABLE", "OMS_CONFIG_TABLE", "OMS_EVENT_BUS_NAME"}
# Written out, not derived from the stack's table of needs, so a change there must show here.
ENVIRONMENT = {
    "api": TABLES
    | {"OMS_FULFIL_STATE_MACHINE_ARN", "OMS_EVENT_BUS_NAME", "OMS_SECRETS_PREFIX", "OMS_STOREFRONT_USAGE_PLAN"}
    # Operators' dead-letter reads and redrives.
    | {"OMS_PARTNER_EVENTS_QUEUE_URL", "OMS_PARTNER_EVENTS_DLQ_URL"}
    | {"OMS_NOTIFICATIONS_QUEUE_URL", "OMS_NOTIFICATIONS_DLQ_URL"},
    "authorizer": {"OMS_CONFIG_TABLE", "OMS_ADMIN_USAGE_KEY"},
    "webhooks": {"OMS_CONFIG_TABLE", "OMS_PARTNER_EVENTS_FUNCTION_NAME", "OMS_SECRETS_PREFIX"},
    "partner_events": WORKERS | {"OMS_FULFIL_STATE_MACHINE_ARN", "OMS_SHIP_STATE_MACHINE_ARN", "OMS_SECRETS_PREFIX"},
    "workflow": WORKERS | {"OMS_SECRETS_PREFIX"},
    "sweeper": WORKERS | {"OMS_FULFIL_STATE_MACHINE_ARN", "OMS_SHIP_STATE_MACHINE_ARN"},
    "notifier": {"OMS_CONFIG_TABLE", "OMS_SECRETS_PREFIX"},
    "stock_health": {"OMS_INVENTORY_TABLE", "OMS_CONFIG_TABLE", "OMS_EVENT_BUS_NAME", "OMS_SECRETS_PREFIX"},
    # No bus: it tells marketplaces, not the OMS.
    "channel_stock": {"OMS_INVENTORY_TABLE", "OMS_CONFIG_TABLE", "OMS_SECRETS_PREFIX"},
}
POWERTOOLS_LAYER = "arn:aws:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:40"


def sub(value):
    """A `Fn::Join` of strings and `Ref`s written the way `Fn::Sub` would spell it."""
    _, parts = value["Fn::Join"]
    return "".join(p if isinstance(p, str) else "${" + p["Ref"] + "}" for p in parts)


def env_of(synth, name):
    return synth.function(name)[1]["Properties"]["Environment"]["Variables"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_runs_python312_on_arm64_with_its_handler_and_json_logs(default_synth, name):
    props = default_synth.function(name)[1]["Properties"]
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == f"functions.{name}.handler.handler"
    # Lambda's START/END/REPORT lines (INFO) are not kept; its errors and timeouts (WARN) are.
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["LoggingConfig"]["SystemLogLevel"] == "WARN"
    assert props["LoggingConfig"]["ApplicationLogLevel"] == "INFO"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_only_functions_behind_a_sampled_entry_point_start_traces(default_synth, name):
    # API Gateway's REST stage and Step Functions sample with the stack's rule; a function that started
    # traces itself would sample by Lambda's fixed 1/s + 5%, nearly everything at a merchant's volume.
    mode = default_synth.function(name)[1]["Properties"]["TracingConfig"]["Mode"]
    assert mode == ("Active" if name in {"api", "authorizer", "workflow"} else "PassThrough")


def test_there_are_exactly_nine_functions(default_synth):
    default_synth.assertions.resource_count_is("AWS::Lambda::Function", 9)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_uses_the_powertools_layer_of_the_pinned_version_from_ssm(default_synth, name):
    (layer,) = default_synth.function(name)[1]["Properties"]["Layers"]
    parameter = default_synth.template["Parameters"][layer["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == f"/aws/service/powertools/python/arm64/python3.12/{pinned_powertools()}"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_layer_number_in_context_pins_the_layer_instead(production_synth, name):
    (layer,) = production_synth.function(name)[1]["Properties"]["Layers"]
    assert sub(layer) == POWERTOOLS_LAYER


def pinned_powertools() -> str:
    lock = (Path(__file__).resolve().parents[2] / "requirements.lock").read_text()
    return next(line.split("==")[1] for line in lock.splitlines() if line.lower().startswith("aws_lambda_powertools=="))


@pytest.mark.parametrize(
    ("name", "memory", "timeout"),
    [
        ("api", 512, 29),
        ("workflow", 256, 60),  # it mostly waits on partners, billed by the GB-second
        ("authorizer", 256, 10),
        ("webhooks", 256, 10),
        ("partner_events", 256, 30),
        ("sweeper", 256, 55),
        ("notifier", 256, 30),
        ("channel_stock", 512, 300),
    ],
)
def test_the_api_gets_512_mb_waiting_workers_256_and_every_timeout_is_bounded(default_synth, name, memory, timeout):
    props = default_synth.function(name)[1]["Properties"]
    assert (props["MemorySize"], props["Timeout"]) == (memory, timeout)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_logs_to_its_own_log_group_with_a_retention(default_synth, name):
    log_group_id = default_synth.function(name)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = default_synth.template["Resources"][log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30
    others = [default_synth.function(o)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for o in FUNCTIONS]
    assert others.count(log_group_id) == 1


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_gets_only_the_environment_it_needs(default_synth, name):
    assert set(env_of(default_synth, name)) == COMMON_ENV | ENVIRONMENT[name]


def test_the_common_environment_names_the_stage_and_configures_powertools(default_synth):
    env = env_of(default_synth, "api")
    assert env["OMS_STAGE"] == "dev"
    assert env["POWERTOOLS_SERVICE_NAME"] == "oms"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "OMS"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_environment_values_point_at_the_stacks_own_resources(default_synth):
    env = env_of(default_synth, "partner_events")
    orders_id, _ = default_synth.one("AWS::DynamoDB::Table", "DataOrders")
    fulfil_id, _ = default_synth.one("AWS::StepFunctions::StateMachine", "WorkflowFulfilStateMachine")
    ship_id, _ = default_synth.one("AWS::StepFunctions::StateMachine", "WorkflowShipStateMachine")
    bus_id, _ = default_synth.one("AWS::Events::EventBus", "MessagingBus")
    assert env["OMS_ORDERS_TABLE"] == {"Ref": orders_id}
    assert env["OMS_FULFIL_STATE_MACHINE_ARN"] == {"Ref": fulfil_id}
    assert env["OMS_SHIP_STATE_MACHINE_ARN"] == {"Ref": ship_id}
    assert env["OMS_EVENT_BUS_NAME"] == {"Ref": bus_id}
    worker_id, _ = default_synth.function("partner_events")
    assert env_of(default_synth, "webhooks")["OMS_PARTNER_EVENTS_FUNCTION_NAME"] == {"Ref": worker_id}
    assert env_of(default_synth, "notifier")["OMS_SECRETS_PREFIX"] == "oms/dev/"


def test_the_stage_context_reaches_the_environment_and_secret_prefix(production_synth):
    env = env_of(production_synth, "workflow")
    assert env["OMS_STAGE"] == "prod"
    assert env["OMS_SECRETS_PREFIX"] == "oms/prod/"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_asset_holds_its_function_folder_and_the_oms_package_and_nothing_else(default_synth, name):
    s3_key = default_synth.function(name)[1]["Properties"]["Code"]["S3Key"]
    asset = default_synth.outdir / f"asset.{s3_key.removesuffix('.zip')}"
    assert (asset / "functions" / "__init__.py").is_file()
    assert (asset / "functions" / name / "__init__.py").is_file()
    assert (asset / "oms" / "__init__.py").is_file()
    assert sorted(p.name for p in (asset / "functions").iterdir()) == sorted(["__init__.py", name])
    assert sorted(p.name for p in asset.iterdir()) == ["functions", "oms"]
    assert not list(asset.rglob("__pycache__"))
