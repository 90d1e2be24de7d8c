"""Per-client throttling: API Gateway usage plans, one key per storefront, one shared key for admin keys.

The REST API takes its API keys from the authorizer (ApiKeySourceType AUTHORIZER): clients send only
their bearer key, and the authorizer names the API Gateway key a request counts against. The plan's
throttle applies to each of its keys, so one storefront exceeding it gets 429 and no other is slowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Fn
from aws_cdk import aws_apigateway as apigw
from constructs import Construct


@dataclass(frozen=True)
class Throttle:
    rate: float  # requests per second, the steady state
    burst: int  # requests at once, the token bucket's size

    def settings(self) -> apigw.ThrottleSettings:
        return apigw.ThrottleSettings(rate_limit=self.rate, burst_limit=self.burst)


class UsagePlans(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        rest_api: apigw.RestApi,
        storefront: Throttle,
        admin: Throttle,
    ) -> None:
        super().__init__(scope, construct_id)
        on_stage = [apigw.UsagePlanPerApiStage(api=rest_api, stage=rest_api.deployment_stage)]
        # The api function finds the plan by this name: given the plan's id, the function would depend on
        # the plan, which depends on the stage, its deployment, the methods and so on the function.
        self.storefront_plan_name = f"oms-{stage}-storefronts"
        self.storefront_plan = apigw.UsagePlan(
            self,
            "Storefronts",
            name=self.storefront_plan_name,
            description=f"OMS {stage}: every storefront's own API key (issued by PUT /v1/admin/storefronts/<id>)",
            throttle=storefront.settings(),
            api_stages=on_stage,
        )
        admin_plan = apigw.UsagePlan(
            self,
            "Admin",
            name=f"oms-{stage}-admin",
            description=f"OMS {stage}: the one API key all admin keys count against",
            throttle=admin.settings(),
            api_stages=on_stage,
        )
        # Not a secret: with the AUTHORIZER key source nobody can present it, only the authorizer names
        # it. The stack id's UUID keeps it unique in the account and region, as API Gateway requires.
        stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
        self.admin_key_value = Fn.join("-", ["oms", stage, "admin-usage-key", stack_uuid])
        admin_key = apigw.ApiKey(
            self,
            "AdminKey",
            api_key_name=f"oms-{stage}-admin",
            description=f"OMS {stage}: usage plan key of every admin key",
            value=self.admin_key_value,
            enabled=True,
        )
        admin_plan.add_api_key(admin_key)
