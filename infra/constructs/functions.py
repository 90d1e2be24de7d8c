"""The seven Lambda functions, each with its own role, log group and locally bundled asset."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    AssetHashType,
    Aws,
    BundlingOptions,
    DockerImage,
    Duration,
    ILocalBundling,
    RemovalPolicy,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.nag import acknowledge

ROOT = Path(__file__).resolve().parents[2]


def _powertools_version() -> str:
    """The aws-lambda-powertools version requirements.lock pins (the one every test runs)."""
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower().replace("_", "-") == "aws-lambda-powertools":
            return version.strip()
    raise RuntimeError("requirements.lock does not pin aws-lambda-powertools")


POWERTOOLS_VERSION = _powertools_version()
POWERTOOLS_LAYER = "arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:{version}"
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


@dataclass(frozen=True)
class Spec:
    memory: int
    timeout: int  # seconds
    description: str


SPECS: dict[str, Spec] = {
    # 29 s is API Gateway's integration timeout: a longer Lambda would only answer nobody.
    "api": Spec(512, 29, "OMS storefront and admin REST API"),
    "authorizer": Spec(256, 10, "OMS API key authorizer"),
    "webhooks": Spec(256, 10, "OMS partner webhook ingress: verify the signature, enqueue"),
    "partner_events": Spec(256, 30, "OMS worker: applies partner events from SQS"),
    # Tasks call partners (payment, carrier, location) over HTTPS; one Express phase has 5 minutes. Most of
    # a task is that wait (0.77 s an order of 0.89 with partners at 150 ms, `python -m bench realistic`),
    # billed per GB-second: 256 MB halves it; the little compute runs at a seventh of a vCPU.
    "workflow": Spec(256, 60, "OMS Step Functions task handlers"),
    # Under the one-minute schedule, so sweeps do not pile up behind a slow one.
    "sweeper": Spec(256, 55, "OMS sweeper: expires holds, escalates late shipments"),
    "notifier": Spec(256, 30, "OMS worker: signed outbound webhooks to storefronts"),
    # The daily run walks every stock level (the stream's batches take a second or two).
    "stock_health": Spec(512, 600, "OMS stock health: stock changes from the stream, and the daily run"),
    # Calls every marketplace that lists a changed sku (signed HTTPS); the six-hourly resync tells them all.
    "channel_stock": Spec(512, 300, "OMS channel stock: stock changes from the stream to marketplaces, and the resync"),
}


# Who decides whether a request is traced: X-Ray samples at the entry point, with the stack's rule
# (infra.constructs.tracing) where API Gateway's REST stage or Step Functions decide. A function with
# active tracing that starts a trace itself (no caller's decision: a stream, a schedule, EventBridge, an
# HTTP API) samples by Lambda's own fixed rule (the first request each second and 5% more: at a
# merchant's volume nearly every invocation, $5 per million) which the stack's rule cannot lower. The
# others pass a caller's decision through: traced when the caller sampled it (a notification published
# by a traced phase), else not; their logs and metrics carry every invocation.
TRACED_AT_ENTRY = frozenset({"api", "authorizer", "workflow"})


@jsii.implements(ILocalBundling)
class CopyBundler:
    """Builds a function asset by copying files: Lambda code needs only the layer and boto3, so no Docker."""

    def __init__(self, name: str) -> None:
        self.name = name

    # jsii hands the BundlingOptions struct over as keyword arguments only if one is keyword-only.
    def try_bundle(self, output_dir: str, *, image: DockerImage, **options: Any) -> bool:
        out = Path(output_dir)
        (out / "functions").mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "functions" / "__init__.py", out / "functions" / "__init__.py")
        src = ROOT / "functions" / self.name
        shutil.copytree(src, out / "functions" / self.name, ignore=_SKIP, dirs_exist_ok=True)
        shutil.copytree(ROOT / "shared" / "oms", out / "oms", ignore=_SKIP, dirs_exist_ok=True)
        return True  # done locally: CDK never pulls the placeholder image


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class Functions(Construct):
    """Functions get the common environment here; the stack adds what each one needs, and only that."""

    def _layer_arn(self, layer_version: str) -> str:
        """The public Powertools layer. By default its ARN is looked up at deploy time in the SSM parameter
        Powertools publishes per release, for the very version requirements.lock pins, so Lambda runs the
        Powertools the tests ran; a `powertools_layer_version` context value pins a layer number instead."""
        if layer_version and layer_version != "ssm":
            return POWERTOOLS_LAYER.format(region=Aws.REGION, version=layer_version)
        return ssm.StringParameter.value_for_string_parameter(
            self, f"/aws/service/powertools/python/arm64/python3.12/{POWERTOOLS_VERSION}"
        )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        layer_version: str,
        production: bool,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        layer = lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", self._layer_arn(layer_version))
        environment = {
            "OMS_STAGE": stage,
            "POWERTOOLS_SERVICE_NAME": "oms",
            "POWERTOOLS_METRICS_NAMESPACE": "OMS",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        removal = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY
        self.by_name: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        for name, spec in SPECS.items():
            log_group = logs.LogGroup(
                self,
                f"{pascal(name)}Logs",
                retention=logs.RetentionDays.ONE_MONTH,
                encryption_key=logs_key,
                removal_policy=removal,
            )
            # Own role, not AWSLambdaBasicExecutionRole: it may write only to its own log group.
            role = iam.Role(self, f"{pascal(name)}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
            log_group.grant_write(role)
            fn = lambda_.Function(
                self,
                pascal(name),
                description=spec.description,
                runtime=lambda_.Runtime.PYTHON_3_12,
                architecture=lambda_.Architecture.ARM_64,
                handler=f"functions.{name}.handler.handler",
                code=self._code(name),
                layers=[layer],
                memory_size=spec.memory,
                timeout=Duration.seconds(spec.timeout),
                tracing=lambda_.Tracing.ACTIVE if name in TRACED_AT_ENTRY else lambda_.Tracing.PASS_THROUGH,
                log_group=log_group,
                # JSON logs filtered by Lambda: the platform's START/END/REPORT lines (INFO) are dropped,
                # 300 bytes an invocation and ~40% of an order's log bytes; its errors and timeouts (WARN)
                # stay, and durations, memory and cold starts remain in Lambda's own metrics.
                logging_format=lambda_.LoggingFormat.JSON,
                system_log_level_v2=lambda_.SystemLogLevel.WARN,
                application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
                role=role,
                environment=dict(environment),
            )
            acknowledge(
                fn,
                {
                    "AwsSolutions-L1": "Pinned to python3.12: the Powertools layer in use is built "
                    "for python312-arm64.",
                },
            )
            acknowledge(
                role,
                {
                    "AwsSolutions-IAM5[Resource::*]": "X-Ray PutTraceSegments/PutTelemetryRecords "
                    "support no resource-level permissions (active tracing).",
                },
            )
            self.by_name[name] = fn
            self.roles[name] = role

    def __getitem__(self, name: str) -> lambda_.Function:
        return self.by_name[name]

    @staticmethod
    def _code(name: str) -> lambda_.Code:
        return lambda_.Code.from_asset(
            str(ROOT / "functions" / name),
            # The asset is more than its source folder (shared/oms too): hash what is shipped.
            asset_hash_type=AssetHashType.OUTPUT,
            bundling=BundlingOptions(image=DockerImage.from_registry("local-bundling-only"), local=CopyBundler(name)),
        )
