"""Alarms that need an operator (dead letters, API 5XX, failed phases, throttling), their topic, one dashboard."""

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


@pytest.mark.parametrize(
    "dlq", ["MessagingPartnerEventsDlq", "MessagingNotificationsDlq", "StockHealthDlq", "ChannelStockDlq"]
)
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


@pytest.mark.parametrize("synth", ["default_synth", "production_synth"])
def test_every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_recovers(request, synth):
    synth = request.getfixturevalue(synth)
    topic_id, _ = synth.one("AWS::SNS::Topic", "MonitoringAlarmTopic")
    alarms = synth.resources("AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}], logical_id
        assert alarm["Properties"]["OKActions"] == [{"Ref": topic_id}], logical_id


def test_the_alarm_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(default_synth):
    _, topic = default_synth.one("AWS::SNS::Topic", "MonitoringAlarmTopic")
    key_id, key = default_synth.one("AWS::KMS::Key", "MonitoringAlarmTopicKey")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert topic["Properties"]["TopicName"] == "oms-dev-alarms"
    assert key["Properties"]["EnableKeyRotation"] is True
    (cloudwatch,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch["Effect"] == "Allow"
    assert set(cloudwatch["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}


def test_the_alarm_topic_takes_only_tls_and_only_this_accounts_alarms(default_synth):
    topic_id, _ = default_synth.one("AWS::SNS::Topic", "MonitoringAlarmTopic")
    _, policy = default_synth.one("AWS::SNS::TopicPolicy", "MonitoringAlarmTopicPolicy")
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    by_effect = {s["Effect"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    deny = by_effect["Deny"]
    assert deny["Principal"] == "*" and deny["Resource"] == {"Ref": topic_id}
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allow = by_effect["Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and allow["Action"] == "sns:Publish"
    _, parts = allow["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"]
    assert parts[-1] == ":alarm:*" and {"Ref": "AWS::AccountId"} in parts


def test_the_alarm_email_context_subscribes_that_address_and_nothing_is_subscribed_without_it(
    default_synth, production_synth
):
    assert default_synth.resources("AWS::SNS::Subscription") == {}
    (subscription,) = production_synth.resources("AWS::SNS::Subscription").values()
    topic_id, _ = production_synth.one("AWS::SNS::Topic", "MonitoringAlarmTopic")
    assert subscription["Properties"] == {
        "Endpoint": "oncall@example.com",
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
    }


def test_the_stack_outputs_the_alarm_topic_arn(default_synth):
    topic_id, _ = default_synth.one("AWS::SNS::Topic", "MonitoringAlarmTopic")
    assert default_synth.template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": topic_id}
