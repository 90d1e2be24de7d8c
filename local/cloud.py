"""Brings the template's AWS resources up in moto, in process, and closes the gaps moto leaves.

Gaps closed here: DynamoDB calls are serialized (moto's conditional writes and transactions are not
atomic under threads), Lambda invokes (from Step Functions tasks and EventBridge targets) run our
handlers in process, and schedule rules become timers (see `local.schedules`).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import boto3

from local import trace
from local.assembly import Assembly, Physical
from local.gateway import PlanKey, Throttle
from local.lambdas import LambdaCrash, LambdaRegistry

if TYPE_CHECKING:
    from moto.core.common_types import TYPE_RESPONSE
    from moto.core.config import DefaultConfig
    from moto.events.utils import EventMessageType
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_events.type_defs import TargetTypeDef
    from mypy_boto3_sqs.literals import QueueAttributeNameType

log = logging.getLogger("oms.local.cloud")

MOTO_CONFIG: DefaultConfig = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

# Resource types with no local behaviour, and why that is acceptable for a local stack.
NOT_EMULATED = {
    "AWS::IAM::Role": "IAM is not enforced locally (cdk-nag and template tests check it)",
    "AWS::IAM::Policy": "IAM is not enforced locally (cdk-nag and template tests check it)",
    "AWS::Lambda::Permission": "every in-process caller may invoke",
    "AWS::Logs::LogGroup": "logs go to this process's output",
    "AWS::KMS::Key": "encrypts log groups and the alarm topic, which are not emulated either",
    "AWS::SNS::Topic": "the alarm topic: CloudWatch alarms, its only publisher, are not emulated",
    "AWS::SNS::TopicPolicy": "IAM is not enforced locally (cdk-nag and template tests check it)",
    "AWS::SNS::Subscription": "alarms send no e-mail locally",
    "AWS::CloudWatch::Alarm": "no CloudWatch locally",
    "AWS::CloudWatch::Dashboard": "no CloudWatch locally",
    "AWS::ApiGateway::Deployment": "the local gateway serves the current template",
    "AWS::ApiGateway::Account": "no API Gateway account settings locally",
    "AWS::ApiGateway::Stage": "access logs are not written locally (its name and throttling apply)",
    "AWS::ApiGatewayV2::Stage": "access logs are not written locally (its default route throttling applies)",
    "AWS::XRay::SamplingRule": "no X-Ray locally (POWERTOOLS_TRACE_DISABLED)",
    "AWS::CDK::Metadata": "CDK bookkeeping",
}


@dataclass
class DynamoMeter:
    """Counts DynamoDB requests per action; the benchmark reads it."""

    calls: Counter[str] = field(default_factory=Counter)
    lock: threading.RLock = field(default_factory=threading.RLock)


dynamo_meter = DynamoMeter()
_patched = False


def patch_moto(registry_lookup: Callable[[], LambdaRegistry | None]) -> None:
    """Install the process-wide moto patches once; `registry_lookup` gives the running stack's functions."""
    global _patched  # noqa: PLW0603 - moto's classes are process-wide, so is the patch
    if _patched:
        return
    _patched = True
    from moto.awslambda.models import LambdaBackend
    from moto.dynamodb.responses import DynamoHandler
    from moto.events.models import Rule

    serial_call: Callable[[DynamoHandler], TYPE_RESPONSE] = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> TYPE_RESPONSE:
        # One DynamoDB request at a time, as if each were atomic on the server.
        with dynamo_meter.lock:
            action = self._get_action()
            dynamo_meter.calls[action] += 1
            try:
                return serial_call(self)
            finally:
                if action == "TransactWriteItems":
                    release_model_copies()

    # moto offers no hooks for these, so its classes are patched (mypy refuses assigning to a method).
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _share_stream_records()

    # With use_docker False moto answers invokes from its "simple" backend (echoing the payload):
    # both backends hand our functions' invocations to the registry instead.
    from moto.awslambda_simple.models import LambdaSimpleBackend

    for backend_class in (LambdaBackend, LambdaSimpleBackend):
        backend_class.invoke = _in_process_invoke(backend_class.invoke, registry_lookup)  # type: ignore[method-assign]

    original_send = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: EventMessageType, transform_input: bool = True) -> None:
        # moto delivers to SQS and buses; Lambda targets are ours to run, asynchronously as EventBridge does.
        lambda_targets = [t for t in self.targets if ":lambda:" in t["Arn"]]
        if lambda_targets and self.event_pattern.matches_event(original_event):
            registry = registry_lookup()
            for target in lambda_targets:
                if registry is not None:
                    registry.invoke_async(target["Arn"], original_event, source="events")
        self.targets = [t for t in self.targets if ":lambda:" not in t["Arn"]]
        try:
            original_send(self, original_event, transform_input)
        finally:
            self.targets = self.targets + lambda_targets

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]

    from moto.events.models import EventsBackend

    original_put: Callable[[EventsBackend, list[dict[str, Any]]], list[dict[str, Any]]] = EventsBackend.put_events

    def put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answers = original_put(self, events)
        trace.put(events, answers)  # OMS_LOCAL_TRACE: a line per order event
        return answers

    EventsBackend.put_events = put_events  # type: ignore[method-assign]


def _share_stream_records() -> None:
    """moto's TransactWriteItems deep-copies each table it writes, for its rollback, the table's stream
    included: every record the stream ever held, so each transaction costs more than the last (about
    25 us a record). A record never changes once written, so the copy takes the list of records as it is
    (a rollback still drops the records of the failed transaction's writes) and shares the records."""
    from moto.dynamodb.models.table import StreamShard

    def deepcopy_shard(self: StreamShard, memo: dict[int, Any]) -> StreamShard:
        copied: StreamShard = object.__new__(StreamShard)  # untracked: moto's dashboard list would grow
        memo[id(self)] = copied
        for name, value in vars(self).items():
            setattr(copied, name, list(value) if name == "items" else copy.deepcopy(value, memo))
        return copied

    StreamShard.__deepcopy__ = deepcopy_shard  # type: ignore[attr-defined]


class _QuietStateFailures(logging.Filter):
    """moto logs every failed state at ERROR with a dump of the state (kilobytes), caught or not.

    An error our functions raise (PaymentDeclined, NoCarrier) or our Fail states name (OrderRejected)
    is a business answer: the function logged it, or a bug's stack trace was printed when it raised.
    Dropped here. An error of Step Functions itself (`States.*`: a bad path, a timeout) stays, in one
    short line naming the state.
    """

    _ERROR = re.compile(r"\bError=([^,\s]+)")
    _STATE = re.compile(r"'name': '([^']+)'")

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.args, tuple) and len(record.args) == 2):
            return True
        error_log, component = (str(arg) for arg in record.args)
        error = self._ERROR.search(error_log)
        if error and not error.group(1).startswith("States."):
            return False
        state = self._STATE.search(component)
        kind = component.lstrip("(").split("|", 1)[0]
        record.args = (error_log[:400], f"{kind} {state.group(1)}" if state else kind)
        return True


def quiet_state_failures() -> None:
    """Install the filter above once (moto's loggers are process-wide)."""
    moto_log = logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component")
    if not any(isinstance(f, _QuietStateFailures) for f in moto_log.filters):
        moto_log.addFilter(_QuietStateFailures())


def release_model_copies() -> None:
    """Let go of the table copies moto keeps alive: its TransactWriteItems deep-copies every table it
    writes (for its rollback), and every model instance, copies included, is appended to its class's
    `instances_tracked` list (read only by moto's server dashboard). Left alone, a long `make run` or
    benchmark grows by gigabytes; the live tables stay referenced by moto's backend."""
    from moto.core.model_instances import model_data

    for model in model_data.get("dynamodb", {}).values():
        tracked = getattr(model, "instances_tracked", None)
        if isinstance(tracked, list):
            tracked.clear()


def _in_process_invoke(original: Any, registry_lookup: Callable[[], LambdaRegistry | None]) -> Any:
    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        registry = registry_lookup()
        if registry is None or not registry.knows(function_name):
            return original(self, function_name, qualifier, body, headers, response_headers)
        event = json.loads(body) if body else {}
        if (headers or {}).get("X-Amz-Invocation-Type") == "Event":
            registry.invoke_async(function_name, event)
            return b""
        try:
            result = registry.invoke(function_name, event)
        except LambdaCrash as crash:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(crash.payload()).encode()
        return json.dumps(result).encode()

    return invoke


def _create_table(ddb: DynamoDBClient, assembly: Assembly, logical_id: str, props: dict[str, Any]) -> str:
    """One table, with its GSIs, TTL attribute and stream; returns its line of the start-up report."""
    name = assembly.physical(logical_id).ref
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = [
            {k: v for k, v in gsi.items() if k in ("IndexName", "KeySchema", "Projection")}
            for gsi in props["GlobalSecondaryIndexes"]
        ]
    stream = props.get("StreamSpecification") or {}
    if stream.get("StreamViewType"):
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    created = ddb.create_table(**args)["TableDescription"]
    if "LatestStreamArn" in created:
        # moto names the stream after its creation time: GetAtt StreamArn must give that ARN, so that
        # an event source mapping on it (and anything else naming it) finds the stream.
        physical = assembly.physical(logical_id)
        assembly.bind(logical_id, Physical(name, {**physical.attrs, "StreamArn": created["LatestStreamArn"]}))
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    streamed = f" (stream {stream['StreamViewType']})" if "LatestStreamArn" in created else ""
    return f"table       {name}{streamed}"


def create_resources(assembly: Assembly) -> list[str]:
    """Create every emulated resource in moto; returns the lines of the start-up report."""
    ddb = boto3.client("dynamodb", region_name=assembly.region)
    sqs = boto3.client("sqs", region_name=assembly.region)
    events = boto3.client("events", region_name=assembly.region)
    sfn = boto3.client("stepfunctions", region_name=assembly.region)
    secretsmanager = boto3.client("secretsmanager", region_name=assembly.region)
    report: list[str] = []

    for logical_id, props in assembly.of_type("AWS::DynamoDB::Table"):
        report.append(_create_table(ddb, assembly, logical_id, props))

    for logical_id, props in assembly.of_type("AWS::SecretsManager::Secret"):
        name = assembly.physical(logical_id).attrs["Id"].split(":secret:")[-1]
        value = props.get("SecretString") or secrets.token_urlsafe(32)
        secretsmanager.create_secret(Name=name, SecretString=value)
        report.append(f"secret      {name}")

    for _, props in assembly.of_type("AWS::Events::EventBus"):
        events.create_event_bus(Name=props["Name"])
        report.append(f"event bus   {props['Name']}")

    # Dead-letter queues first: a redrive policy must name an existing queue.
    queues = sorted(assembly.of_type("AWS::SQS::Queue"), key=lambda item: "RedrivePolicy" in item[1])
    for logical_id, props in queues:
        physical = assembly.physical(logical_id)
        attributes: dict[QueueAttributeNameType, str] = {
            key: json.dumps(props[key]) if isinstance(props[key], dict) else str(props[key])
            for key in (
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "RedrivePolicy",
                "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds",
                "FifoQueue",
                "ContentBasedDeduplication",
            )
            if key in props
        }
        sqs.create_queue(QueueName=physical.attrs["QueueName"], Attributes=attributes)
        report.append(f"queue       {physical.attrs['QueueName']}")

    for logical_id, props in assembly.of_type("AWS::StepFunctions::StateMachine"):
        physical = assembly.physical(logical_id)
        definition = props.get("DefinitionString") or json.dumps(props.get("Definition"))
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        sfn.create_state_machine(
            name=physical.attrs["Name"],
            definition=definition,
            roleArn=props.get("RoleArn", f"arn:aws:iam::{assembly.account_id}:role/local"),
            type=props.get("StateMachineType", "STANDARD"),
        )
        report.append(f"workflow    {physical.attrs['Name']} ({props.get('StateMachineType', 'STANDARD')})")

    for logical_id, props in assembly.of_type("AWS::Events::Rule"):
        name = assembly.physical(logical_id).ref
        bus = props.get("EventBusName", "default")
        rule_args: dict[str, Any] = {
            "Name": name,
            "EventBusName": bus,
            "State": props.get("State", "ENABLED"),
        }
        if "EventPattern" in props:
            rule_args["EventPattern"] = json.dumps(props["EventPattern"])
        if "ScheduleExpression" in props:
            rule_args["ScheduleExpression"] = props["ScheduleExpression"]
        events.put_rule(**rule_args)
        # The template's JSON, trusted to hold valid targets (put_targets refuses any that are not).
        targets = [
            cast(
                "TargetTypeDef",
                {k: v for k, v in target.items() if k in ("Id", "Arn", "Input", "InputPath", "InputTransformer")},
            )
            for target in props.get("Targets", [])
        ]
        if targets:
            events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        what = props.get("ScheduleExpression") or "pattern"
        report.append(f"rule        {name} ({what} -> {len(targets)} target(s))")
    report += _create_usage_plans(assembly)
    return report


def _create_usage_plans(assembly: Assembly) -> list[str]:
    """API keys, usage plans and their keys in moto; their ids are moto's, bound for the template's Refs."""
    client = boto3.client("apigateway", region_name=assembly.region)
    report = []
    for logical_id, props in assembly.of_type("AWS::ApiGateway::ApiKey"):
        args = {"name": props.get("Name", logical_id), "enabled": bool(props.get("Enabled", False))}
        args |= {arg: props[key] for key, arg in (("Value", "value"), ("Description", "description")) if key in props}
        key = client.create_api_key(**args)
        assembly.bind(logical_id, Physical(key["id"], {"APIKeyId": key["id"]}))
        report.append(f"api key     {args['name']}{'' if args['enabled'] else ' (disabled)'}")
    for logical_id, props in assembly.of_type("AWS::ApiGateway::UsagePlan"):
        name = props.get("UsagePlanName", logical_id)
        limits = props.get("Throttle") or {}
        throttle = {
            arg: limits[key] for key, arg in (("RateLimit", "rateLimit"), ("BurstLimit", "burstLimit")) if key in limits
        }
        plan = client.create_usage_plan(
            name=name,
            apiStages=[{"apiId": s["ApiId"], "stage": s["Stage"]} for s in props.get("ApiStages", [])],
            **({"throttle": throttle} if throttle else {}),
        )
        assembly.bind(logical_id, Physical(plan["id"], {"Id": plan["id"]}))
        per_key = f"{throttle.get('rateLimit', '-')} rps, burst {throttle.get('burstLimit', '-')} per key"
        report.append(f"usage plan  {name} ({per_key})")
    for _, props in assembly.of_type("AWS::ApiGateway::UsagePlanKey"):
        client.create_usage_plan_key(
            usagePlanId=props["UsagePlanId"], keyId=props["KeyId"], keyType=props.get("KeyType", "API_KEY")
        )
    return report


def plan_keys(assembly: Assembly, api_id: str, stage: str) -> Callable[[str], PlanKey | None]:
    """How the local gateway checks a request's API key: read live from moto's API Gateway, so a key the
    api function creates, or an operator disables or deletes, counts from the next request on."""
    from moto.apigateway.models import apigateway_backends

    def lookup(value: str) -> PlanKey | None:
        backend = apigateway_backends[assembly.account_id][assembly.region]
        key = next((k for k in list(backend.keys.values()) if k.value == value), None)
        if key is None or not key.enabled:
            return None
        for plan in list(backend.usage_plans.values()):
            on_stage = any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages)
            if on_stage and key.id in backend.usage_plan_keys.get(plan.id, {}):
                limits = plan.throttle or {}
                throttle = (
                    Throttle(rate=float(limits["rateLimit"]), burst=int(limits["burstLimit"]))
                    if "rateLimit" in limits and "burstLimit" in limits
                    else None
                )
                return PlanKey(key_id=key.id, throttle=throttle)
        return None

    return lookup


def not_emulated(assembly: Assembly, handled: set[str]) -> list[str]:
    """The resource types present in the template that the runtime does not run, each with why."""
    lines = []
    for kind, count in sorted(assembly.type_counts().items()):
        if kind in handled:
            continue
        reason = NOT_EMULATED.get(kind, "NOT SUPPORTED by the local runtime: it is absent locally")
        lines.append(f"{kind} x{count}: {reason}")
    return lines
