"""Alarms that need an operator: dead letters, API 5XX, failed phases, throttled functions; one dashboard."""

from __future__ import annotations

import pytest


def alarms_on(synth, metric_name):
    return [
        a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == metric_name
    ]


def fires_on_the_first(alarm):
    return alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("dlq", ["MessagingPartnerEventsDlq", "MessagingNotificationsDlq"])
def test_a_single_message_in_a_dead_letter_queue_raises_an_alarm(default_synth, dlq):
    dlq_id, _ = default_synth.one("AWS::SQS::Queue", dlq)
    (alarm,) = [
        a
        for a in alarms_on(default_synth, "ApproximateNumberOfMessagesVisible")
        if a["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}]
    ]
    assert fires_on_the_first(alarm)
    assert alarm["TreatMissingData"] == "notBreaching"


def test_api_5xx_answers_of_this_stage_raise_an_alarm(default_synth):
    (alarm,) = alarms_on(default_synth, "5XXError")
    assert fires_on_the_first(alarm)
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions["ApiName"] == "oms-dev"
    assert set(dimensions) == {"ApiName", "Stage"}


def test_a_failed_execution_of_either_phase_raises_an_alarm(default_synth):
    alarms = alarms_on(default_synth, "ExecutionsFailed")
    machines = {a["Dimensions"][0]["Value"]["Ref"] for a in alarms if fires_on_the_first(a)}
    assert machines == set(default_synth.resources("AWS::StepFunctions::StateMachine"))


def test_a_throttled_invocation_of_any_function_raises_an_alarm(default_synth):
    alarms = alarms_on(default_synth, "Throttles")
    functions = {a["Dimensions"][0]["Value"]["Ref"] for a in alarms if fires_on_the_first(a)}
    assert functions == set(default_synth.resources("AWS::Lambda::Function"))


def test_there_is_one_dashboard_named_after_the_stage(default_synth):
    (dashboard,) = default_synth.resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "oms-dev"
