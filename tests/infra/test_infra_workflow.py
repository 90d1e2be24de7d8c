"""The Fulfil and Ship phases: type from context, tasks of the workflow function, own Retry and Catch."""

from __future__ import annotations

import json

import pytest

FULFIL, SHIP = "WorkflowFulfilStateMachine", "WorkflowShipStateMachine"
TASKS = {
    FULFIL: {
        "ScreenAndAuthorize": "screen_and_authorize",
        "BookAndRelease": "book_and_release",
        "Compensate": "compensate",
    },
    SHIP: {"CaptureAndShip": "capture_and_ship", "HoldShipment": "hold_shipment"},
}
RETRY = [
    {
        "ErrorEquals": ["TransientError", "Lambda.TooManyRequestsException", "Lambda.ServiceException"],
        "IntervalSeconds": 1,
        "MaxAttempts": 3,
        "BackoffRate": 2,
    }
]


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


def tasks_of(states, inside=None):
    """Every Task state, including those inside Map iterations."""
    found = {}
    for name, state in states.items():
        if state["Type"] == "Task":
            found[name] = state
        if state["Type"] == "Map":
            found.update(tasks_of(state["ItemProcessor"]["States"]))
    return found


@pytest.mark.parametrize("name", [FULFIL, SHIP])
def test_every_task_is_the_workflow_function_with_its_task_name_and_retries_transient_errors(default_synth, name):
    workflow_id, _ = default_synth.function("workflow")
    tasks = tasks_of(definition(default_synth, name)["States"])
    assert {state: tasks[state]["Parameters"]["task"] for state in TASKS[name]} == TASKS[name]
    for state in tasks.values():
        # payload_response_only: the function ARN itself is the resource, its return value the result.
        assert state["Resource"] == f"<{workflow_id}>"
        assert state["Parameters"]["input.$"] == "$"
        assert state["Retry"] == RETRY


def test_fulfil_screens_and_authorizes_then_books_and_releases_each_shipment(default_synth):
    asl = definition(default_synth, FULFIL)
    states = asl["States"]
    assert asl["StartAt"] == "Resume"
    # After a review the same task runs: it skips the screen the order already passed.
    assert states["Resume"]["Default"] == "ScreenAndAuthorize"
    assert [c["Next"] for c in states["Resume"]["Choices"]] == ["ReroutedShipments"]
    assert states["ScreenAndAuthorize"]["Next"] == "FraudDecision"
    assert states["ScreenAndAuthorize"]["ResultPath"] == "$.work"
    assert {c["Next"] for c in states["FraudDecision"]["Choices"]} == {
        "AwaitingReview",
        "AwaitingPayment",
        "FraudRejected",
    }
    assert states["FraudDecision"]["Default"] == "ForEachShipment"
    assert states["ReroutedShipments"]["Next"] == "ForEachShipment"
    each = states["ForEachShipment"]
    assert each["ItemsPath"] == "$.work.shipment_ids"
    inner = each["ItemProcessor"]["States"]
    assert each["ItemProcessor"]["StartAt"] == "BookAndRelease"
    assert inner["BookAndRelease"]["End"] is True
    assert states[each["Next"]]["Type"] == "Succeed"


def test_a_fulfil_failure_compensates_and_a_closed_order_ends_quietly(default_synth):
    states = definition(default_synth, FULFIL)["States"]
    for name in ("ScreenAndAuthorize", "ForEachShipment"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["OrderClosed"], "Next": "OrderClosed"},
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Compensate"},
        ]
    assert states["FraudRejected"]["Next"] == "Compensate"
    assert states["FraudRejected"]["Parameters"]["Cause.$"] == "$.work.summary"
    assert states[states["Compensate"]["Next"]]["Type"] == "Fail"
    assert states["OrderClosed"]["Type"] == "Succeed"


def test_ship_captures_and_ships_in_one_task_and_a_failed_capture_holds_the_shipment(default_synth):
    asl = definition(default_synth, SHIP)
    states = asl["States"]
    assert asl["StartAt"] == "CaptureAndShip"
    assert states["CaptureAndShip"]["Catch"] == [
        {"ErrorEquals": ["OrderClosed"], "Next": "OrderClosed"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "HoldShipment"},
    ]
    assert states[states["HoldShipment"]["Next"]]["Type"] == "Fail"
    assert states[states["CaptureAndShip"]["Next"]]["Type"] == "Succeed"


@pytest.mark.parametrize("name", [FULFIL, SHIP])
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
