"""Synthesizes the CDK app once per session per context; the infra tests read the cloud assembly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.app import build_app

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


@dataclass
class Synth:
    """One synthesized cloud assembly, with look-ups the tests share."""

    outdir: Path
    template_path: Path
    template: dict[str, Any]
    assertions: Template
    lint: subprocess.Popen[str] | None = field(default=None, repr=False)

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == cfn_type}

    def one(self, cfn_type: str, name: str) -> tuple[str, dict[str, Any]]:
        """The resource whose logical id is `name` (its construct path, joined) plus CDK's 8-digit hash."""
        found = [(k, r) for k, r in self.resources(cfn_type).items() if named(k, name)]
        assert len(found) == 1, f"expected one {cfn_type} named {name}, got {[k for k, _ in found]}"
        return found[0]

    def function(self, name: str) -> tuple[str, dict[str, Any]]:
        found = [
            (k, r)
            for k, r in self.resources("AWS::Lambda::Function").items()
            if r["Properties"]["Handler"] == f"functions.{name}.handler.handler"
        ]
        assert len(found) == 1, name
        return found[0]

    def statements_of(self, name: str) -> list[dict[str, Any]]:
        """Every IAM statement attached to the role of function `name`."""
        role_id = self.function(name)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
        return [
            statement
            for policy in self.resources("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]

    def actions_of(self, name: str) -> set[str]:
        return {action for s in self.statements_of(name) if s["Effect"] == "Allow" for action in _list(s["Action"])}

    def state_machine_type(self) -> set[str]:
        return {
            r["Properties"]["StateMachineType"] for r in self.resources("AWS::StepFunctions::StateMachine").values()
        }


def named(logical_id: str, name: str) -> bool:
    return re.fullmatch(re.escape(name) + "[0-9A-F]{8}", logical_id) is not None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _synth(tmp_path_factory: pytest.TempPathFactory, name: str, context: dict[str, Any]) -> Synth:
    outdir = tmp_path_factory.mktemp(name)
    build_app(context, outdir=str(outdir)).synth()
    template_path = outdir / "Oms.template.json"
    template = json.loads(template_path.read_text())
    return Synth(outdir, template_path, template, Template.from_json(template))


@pytest.fixture(scope="session")
def default_synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    """cdk.json's context: stage dev, EXPRESS workflows, not production."""
    synth = _synth(tmp_path_factory, "cdk-default", {})
    # cfn-lint runs beside the other synths (2 cores): its test only collects the result.
    synth.lint = subprocess.Popen(
        [str(CFN_LINT), "--ignore-checks", "W3005", "--", str(synth.template_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield synth
    if synth.lint.poll() is None:
        synth.lint.kill()


@pytest.fixture(scope="session")
def production_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(
        tmp_path_factory,
        "cdk-production",
        {
            "stage": "prod",
            "workflow_type": "STANDARD",
            "production": True,
            "powertools_layer_version": "40",
            "alarm_email": "oncall@example.com",
        },
    )
