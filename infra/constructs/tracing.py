"""Which requests X-Ray records: a sampling rule for the whole stack instead of "every request".

Entry points decide (the REST API for requests, Step Functions for phases; partner webhooks come
through an HTTP API, which does not trace: see webhook_api.py for what that means); the Lambda
functions they call, and the SQS workers after them, follow the decision in the trace header they
receive. Recording everything would cost more than the rest of an order's processing together
(~10-20 traces an order at $5 per million), so the rule keeps one request in a hundred: at a merchant's
usual volume (100,000 orders a month, ~8 entry requests an order) that is ~8,000 traces a month, a
dozen an hour, enough for latency percentiles and a look at any path (at 5% X-Ray was $0.005 of
the $0.098 per 1,000 orders `python -m bench realistic` measured before). No reservoir: well under a request a second, a
reservoir of one a second would record nearly every request and make X-Ray the largest item of an
order's cost (measured: $0.069 of $0.161 per 1,000 orders). Every error is in the logs whatever is
sampled; an operator investigating a path raises FIXED_RATE for a while.
"""

from __future__ import annotations

from aws_cdk import aws_xray as xray
from constructs import Construct

FIXED_RATE = 0.01  # the share of requests traced beyond the reservoir
RESERVOIR_PER_SECOND = 0  # none: the rate alone decides (see above)
PRIORITY = 9000  # before X-Ray's Default rule (10000)


class Tracing(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.rule = xray.CfnSamplingRule(
            self,
            "SamplingRule",
            sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
                rule_name=f"oms-{stage}"[:32],
                priority=PRIORITY,
                fixed_rate=FIXED_RATE,
                reservoir_size=RESERVOIR_PER_SECOND,
                # This stage's API and state machines; the functions follow their callers' decision.
                service_name=f"oms-{stage}*",
                service_type="*",
                host="*",
                http_method="*",
                url_path="*",
                resource_arn="*",
                version=1,
            ),
        )
