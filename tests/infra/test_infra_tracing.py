"""X-Ray: the sampled entry points trace, and one sampling rule of the stack's own says how much is recorded."""

from __future__ import annotations


def test_one_sampling_rule_records_a_hundredth_of_this_stages_traffic_and_keeps_no_reservoir(default_synth):
    _, rule = default_synth.one("AWS::XRay::SamplingRule", "TracingSamplingRule")
    props = rule["Properties"]["SamplingRule"]
    assert (props["FixedRate"], props["ReservoirSize"]) == (0.01, 0)
    assert props["Priority"] < 10000  # ahead of X-Ray's Default rule (1/s + 5%, every service)
    assert props["ServiceName"] == "oms-dev*"


def test_the_rule_matches_the_api_and_both_state_machines_by_name(default_synth):
    (stage,) = default_synth.resources("AWS::ApiGateway::Stage").values()
    (api,) = default_synth.resources("AWS::ApiGateway::RestApi").values()
    machines = default_synth.resources("AWS::StepFunctions::StateMachine").values()
    assert stage["Properties"]["TracingEnabled"] is True
    assert api["Properties"]["Name"].startswith("oms-dev")
    assert sorted(m["Properties"]["StateMachineName"] for m in machines) == ["oms-dev-fulfil", "oms-dev-ship"]
    assert all(m["Properties"]["TracingConfiguration"] == {"Enabled": True} for m in machines)
