"""The app: stack name from the stage context, a stable construct id, and a checked workflow type."""

from __future__ import annotations

import json

import pytest

from infra.app import build_app


def stack_names(synth):
    manifest = json.loads((synth.outdir / "manifest.json").read_text())
    return {
        artifact_id: artifact["properties"]["stackName"]
        for artifact_id, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


def test_the_stack_is_named_after_the_stage_but_keeps_the_construct_id_oms(default_synth, production_synth):
    assert stack_names(default_synth) == {"Oms": "Oms-dev"}
    assert stack_names(production_synth) == {"Oms": "Oms-prod"}


def test_every_resource_is_tagged_with_app_and_stage(default_synth):
    _, table = default_synth.one("AWS::DynamoDB::Table", "DataOrders")
    assert {"Key": "app", "Value": "oms"} in table["Properties"]["Tags"]
    assert {"Key": "stage", "Value": "dev"} in table["Properties"]["Tags"]


def test_an_unknown_workflow_type_is_refused_before_synthesis(tmp_path):
    with pytest.raises(ValueError, match="workflow_type must be EXPRESS or STANDARD"):
        build_app({"workflow_type": "TURBO"}, outdir=str(tmp_path))
