"""The Fulfil and Ship phases: type from context, tasks of the workflow function, own Retry and Catch."""

from __future__ import annotations

import json

import pytest

# state machine -> (first task state, its task name, success state, failure state)
PHASES = {
    "WorkflowFulfilStateMachine": ("StartFulfilment", "start_fulfilment", "Fulfilling", "FulfilmentFailed"),
    "WorkflowShipStateMachine": ("StartShipping", "start_shipping", "Shipping", "ShippingFailed"),
}


def definition(synth, name):
    """The ASL with each Fn::GetAtt of a function ARN replaced by `<LogicalId>`."""
    _, machine = synth.one("AWS::StepFunctions::StateMachine", name)
    _, parts = machine["Properties"]["DefinitionString"]["Fn::Join"]
    return json.loads("".join(p if isinstance(p, str) else f"<{p['Fn::GetAtt'][0]}>" for p in parts))


def test_state_machines_are_express_by_default(default_synth):
    default_synth.assertions.resource_count_is("AWS::StepFunctions::StateMachine", 2)
    assert default_synth.state_machine_type() == {"EXPRESS"}


def test_context_workflow_type_standard_makes_them_standard(production_synth):
    assert production_synth.state_machine_type() == {"STANDARD"}


@pytest.mark.parametrize("name", sorted(PHASES))
def test_each_phase_starts_with_a_task_of_the_workflow_function_and_then_succeeds(default_synth, name):
    start, task, succeeded, _ = PHASES[name]
    workflow_id, _ = default_synth.function("workflow")
    asl = definition(default_synth, name)
    assert asl["StartAt"] == start
    state = asl["States"][start]
    assert state["Type"] == "Task"
    # payload_response_only: the function ARN itself is the resource, its return value the result.
    assert state["Resource"] == f"<{workflow_id}>"
    assert state["Parameters"] == {"task": task, "input.$": "$"}
    assert state["ResultPath"] == "$.result"
    assert asl["States"][state["Next"]] == {"Type": "Succeed"}
    assert state["Next"] == succeeded


@pytest.mark.parametrize("name", sorted(PHASES))
def test_each_phase_retries_only_transient_errors_twice_with_backoff(default_synth, name):
    start = PHASES[name][0]
    state = definition(default_synth, name)["States"][start]
    assert state["Retry"] == [
        {"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}
    ]


@pytest.mark.parametrize("name", sorted(PHASES))
def test_any_other_error_is_recorded_and_the_phase_fails(default_synth, name):
    start, _, _, failed = PHASES[name]
    states = definition(default_synth, name)["States"]
    assert states[start]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]
    record = states["RecordFailure"]
    assert record["Parameters"] == {"task": "record_failure", "input.$": "$"}
    assert record["Next"] == failed
    assert states[failed]["Type"] == "Fail"


@pytest.mark.parametrize("name", sorted(PHASES))
def test_each_phase_is_traced_logs_errors_and_is_capped_at_five_minutes(default_synth, name):
    _, machine = default_synth.one("AWS::StepFunctions::StateMachine", name)
    props = machine["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ERROR"
    (destination,) = props["LoggingConfiguration"]["Destinations"]
    log_group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    log_group = default_synth.template["Resources"][log_group_id]["Properties"]
    assert log_group["LogGroupName"].startswith("/aws/vendedlogs/states/oms-dev-")
    assert definition(default_synth, name)["TimeoutSeconds"] == 300
