"""Reads the synthesized cloud assembly and resolves CloudFormation intrinsics to local physical names.

Every table name, queue URL, ARN and route the local runtime uses comes from here, so there is no
second, hand-kept wiring of the stack.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


class TemplateError(Exception):
    """The template uses something the local runtime cannot resolve."""


_NO_VALUE = object()


def _short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass
class Physical:
    """What Ref and Fn::GetAtt of one resource give."""

    ref: str
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Assembly:
    stack_name: str
    template: dict[str, Any]
    region: str = REGION
    account_id: str = ACCOUNT_ID
    _physical: dict[str, Physical] = field(default_factory=dict, repr=False)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.get("Resources", {})  # type: ignore[no-any-return]

    def of_type(self, resource_type: str) -> list[tuple[str, dict[str, Any]]]:
        """(logical id, resolved properties) of every resource of one type, in template order."""
        return [
            (logical_id, self.resolve(resource.get("Properties", {})))
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        ]

    def type_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self.resources.values():
            counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
        return counts

    # -- physical names -------------------------------------------------------------------------
    def physical(self, logical_id: str) -> Physical:
        if logical_id not in self._physical:
            if logical_id not in self.resources:
                raise TemplateError(f"no resource {logical_id!r} in the template")
            self._physical[logical_id] = self._name(logical_id, self.resources[logical_id])
        return self._physical[logical_id]

    def bind(self, logical_id: str, physical: Physical) -> None:
        """Record the id a service chose for a resource (moto's API Gateway keys and plans), for its Refs."""
        self._physical[logical_id] = physical

    def _generated_name(self, logical_id: str, max_length: int = 64) -> str:
        # CloudFormation names resources "<stack>-<logical id>-<random>"; ours are deterministic.
        name = f"{self.stack_name}-{logical_id}"
        return name if len(name) <= max_length else f"{name[: max_length - 9]}-{_short_hash(name)}"

    def _name(self, logical_id: str, resource: dict[str, Any]) -> Physical:
        kind = resource["Type"]
        props = resource.get("Properties", {})
        r, a = self.region, self.account_id

        def prop(key: str, default: str) -> str:
            value = props.get(key)
            return str(self.resolve(value)) if value is not None else default

        if kind == "AWS::DynamoDB::Table":
            name = prop("TableName", self._generated_name(logical_id, 255))
            arn = f"arn:aws:dynamodb:{r}:{a}:table/{name}"
            # A placeholder until the table exists: `cloud.create_resources` binds the ARN moto gives its
            # stream (named after the stream's creation time), which event source mappings then resolve to.
            return Physical(name, {"Arn": arn, "StreamArn": f"{arn}/stream/local"})
        if kind == "AWS::SQS::Queue":
            name = prop("QueueName", self._generated_name(logical_id, 75))
            if props.get("FifoQueue") and not name.endswith(".fifo"):
                name += ".fifo"
            url = f"https://sqs.{r}.amazonaws.com/{a}/{name}"
            return Physical(url, {"Arn": f"arn:aws:sqs:{r}:{a}:{name}", "QueueName": name, "QueueUrl": url})
        if kind == "AWS::Lambda::Function":
            name = prop("FunctionName", self._generated_name(logical_id))
            return Physical(name, {"Arn": f"arn:aws:lambda:{r}:{a}:function:{name}"})
        if kind == "AWS::StepFunctions::StateMachine":
            name = prop("StateMachineName", f"{logical_id}-{_short_hash(self.stack_name + logical_id)}")
            arn = f"arn:aws:states:{r}:{a}:stateMachine:{name}"
            return Physical(arn, {"Arn": arn, "Name": name})
        if kind == "AWS::Events::EventBus":
            name = prop("Name", self._generated_name(logical_id))
            return Physical(name, {"Arn": f"arn:aws:events:{r}:{a}:event-bus/{name}", "Name": name})
        if kind == "AWS::Events::Rule":
            name = prop("Name", self._generated_name(logical_id))
            return Physical(name, {"Arn": f"arn:aws:events:{r}:{a}:rule/{name}"})
        if kind == "AWS::IAM::Role":
            name = prop("RoleName", self._generated_name(logical_id))
            return Physical(name, {"Arn": f"arn:aws:iam::{a}:role/{name}", "RoleId": _short_hash(name, 20)})
        if kind == "AWS::Logs::LogGroup":
            name = prop("LogGroupName", f"/aws/local/{logical_id}")
            return Physical(name, {"Arn": f"arn:aws:logs:{r}:{a}:log-group:{name}:*"})
        if kind == "AWS::SecretsManager::Secret":
            name = prop("Name", self._generated_name(logical_id))
            arn = f"arn:aws:secretsmanager:{r}:{a}:secret:{name}"
            return Physical(arn, {"Id": arn})
        if kind == "AWS::SNS::Topic":
            name = prop("TopicName", self._generated_name(logical_id, 256))
            arn = f"arn:aws:sns:{r}:{a}:{name}"
            return Physical(arn, {"TopicArn": arn, "TopicName": name})
        if kind == "AWS::KMS::Key":
            key_id = _short_hash(logical_id, 32)
            return Physical(key_id, {"Arn": f"arn:aws:kms:{r}:{a}:key/{key_id}", "KeyId": key_id})
        if kind == "AWS::ApiGateway::RestApi":
            api_id = _short_hash(self.stack_name + logical_id, 10)
            return Physical(api_id, {"RootResourceId": f"{api_id}root", "RestApiId": api_id})
        if kind == "AWS::ApiGatewayV2::Api":
            api_id = _short_hash(self.stack_name + logical_id, 10)
            return Physical(api_id, {"ApiId": api_id, "ApiEndpoint": f"https://{api_id}.execute-api.{r}.amazonaws.com"})
        if kind == "AWS::ApiGateway::Stage":
            return Physical(prop("StageName", logical_id))
        # Anything else gets a stable placeholder: it is listed at start-up as not emulated.
        return Physical(f"{logical_id.lower()}-local", {})

    # -- intrinsics -----------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def _pseudo(self, name: str) -> str:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local",
        }
        if name in pseudo:
            return pseudo[name]
        params = self.template.get("Parameters", {})
        if name in params:
            return str(params[name].get("Default", ""))
        return self.physical(name).ref

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self._resolve(v) for v in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return _NO_VALUE if arg == "AWS::NoValue" else self._pseudo(arg)
            if key == "Fn::GetAtt":
                logical_id, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                physical = self.physical(logical_id)
                if attr not in physical.attrs:
                    raise TemplateError(f"Fn::GetAtt {logical_id}.{attr} is not known locally")
                return physical.attrs[attr]
            if key == "Fn::Join":
                sep, parts = arg
                return str(sep).join(str(p) for p in self._resolve(parts))
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                variables = self._resolve(variables)
                return re.sub(r"\$\{([^}!]+)\}", lambda m: self._sub_var(m.group(1), variables), text)
            if key == "Fn::Select":
                index, items = self._resolve(arg)
                return items[int(index)]
            if key == "Fn::Split":
                sep, text = self._resolve(arg)
                return str(text).split(sep)
            if key == "Fn::If":
                condition, when_true, when_false = arg
                return self._resolve(when_true if self._condition(condition) else when_false)
            if key == "Fn::FindInMap":
                name, top, second = self._resolve(arg)
                return self.template["Mappings"][name][top][second]
            if key == "Fn::GetAZs":
                return [f"{self.region}a", f"{self.region}b", f"{self.region}c"]
            if key.startswith("Fn::") or key == "Condition":
                raise TemplateError(f"{key} is not supported by the local runtime")
        return {k: v for k, v in ((k, self._resolve(v)) for k, v in value.items()) if v is not _NO_VALUE}

    def _sub_var(self, name: str, variables: dict[str, Any]) -> str:
        if name in variables:
            return str(variables[name])
        if "." in name and not name.startswith("AWS::"):
            logical_id, attr = name.split(".", 1)
            return str(self._resolve({"Fn::GetAtt": [logical_id, attr]}))
        return self._pseudo(name)

    def _condition(self, name: str) -> bool:
        return bool(self._eval_condition(self.template.get("Conditions", {})[name]))

    def _eval_condition(self, expr: Any) -> Any:
        if isinstance(expr, dict) and len(expr) == 1:
            ((key, arg),) = expr.items()
            if key == "Fn::Equals":
                left, right = (self._eval_condition(a) for a in arg)
                return left == right
            if key == "Fn::Not":
                return not self._eval_condition(arg[0])
            if key == "Fn::And":
                return all(self._eval_condition(a) for a in arg)
            if key == "Fn::Or":
                return any(self._eval_condition(a) for a in arg)
            if key == "Condition":
                return self._condition(arg)
        return self._resolve(expr)


def load(cdk_out: Path, stack_name: str | None = None) -> Assembly:
    """The one stack of the cloud assembly in `cdk_out` (or the named one)."""
    manifest_path = cdk_out / "manifest.json"
    if not manifest_path.exists():
        raise TemplateError(f"{manifest_path} is missing: synthesize first (make synth)")
    manifest = json.loads(manifest_path.read_text())
    stacks = {
        artifact_id: artifact
        for artifact_id, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }
    if not stacks:
        raise TemplateError(f"{manifest_path} holds no CloudFormation stack")
    if stack_name is None:
        if len(stacks) != 1:
            raise TemplateError(f"several stacks in the assembly, name one of {sorted(stacks)}")
        stack_name = next(iter(stacks))
    artifact = stacks[stack_name]
    template = json.loads((cdk_out / artifact["properties"]["templateFile"]).read_text())
    name = artifact.get("properties", {}).get("stackName", stack_name)
    return Assembly(stack_name=name, template=template)
