"""OmsStack: one construct per concern, then each function granted exactly what it needs."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs.access import grant_needs, grant_usage
from infra.constructs.api import STAGE_BURST_LIMIT, STAGE_RATE_LIMIT, Api
from infra.constructs.channel_stock import ChannelStock
from infra.constructs.data import Data
from infra.constructs.functions import Functions
from infra.constructs.kms_keys import logs_key
from infra.constructs.messaging import Messaging
from infra.constructs.monitoring import Monitoring
from infra.constructs.stock_health import StockHealth
from infra.constructs.tracing import Tracing
from infra.constructs.usage_plans import Throttle, UsagePlans
from infra.constructs.webhook_api import WebhookApi
from infra.constructs.workflow import Workflow


@dataclass(frozen=True)
class Settings:
    """The context values the stack reads (see cdk.json)."""

    stage: str = "dev"
    workflow_type: str = "EXPRESS"
    production: bool = False
    powertools_layer_version: str = "ssm"
    alarm_email: str = ""  # subscribed to the alarm topic when set
    # Each storefront's own API Gateway throttle (its key in the storefronts' usage plan).
    storefront_rate_limit: float = 50.0
    storefront_burst_limit: int = 100


class OmsStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, stack_name: str | None = None
    ) -> None:
        super().__init__(scope, construct_id, stack_name=stack_name, description=f"OMS ({settings.stage})")
        stage, production = settings.stage, settings.production
        self.data = Data(self, "Data", production=production)
        # One key for every log group of the stack (functions, phases, API access logs).
        self.logs_key = logs_key(self, "LogsKey", stage=stage, production=production)
        self.functions = fns = Functions(
            self,
            "Functions",
            stage=stage,
            layer_version=settings.powertools_layer_version,
            production=production,
            logs_key=self.logs_key,
        )
        self.messaging = Messaging(
            self,
            "Messaging",
            stage=stage,
            partner_events=fns["partner_events"],
            notifier=fns["notifier"],
            sweeper=fns["sweeper"],
        )
        self.workflow = Workflow(
            self,
            "Workflow",
            stage=stage,
            workflow_type=settings.workflow_type,
            production=production,
            handler=fns["workflow"],
            logs_key=self.logs_key,
        )
        self.stock_health = StockHealth(self, "StockHealth", inventory=self.data.inventory, handler=fns["stock_health"])
        self.channel_stock = ChannelStock(
            self, "ChannelStock", inventory=self.data.inventory, handler=fns["channel_stock"]
        )
        grant_needs(fns, self.data, self.messaging, self.workflow, stage=stage)
        self.api = Api(
            self,
            "Api",
            stage=stage,
            production=production,
            api=fns["api"],
            authorizer=fns["authorizer"],
            logs_key=self.logs_key,
        )
        self.webhook_api = WebhookApi(
            self, "WebhookApi", stage=stage, production=production, webhooks=fns["webhooks"], logs_key=self.logs_key
        )
        self.usage_plans = UsagePlans(
            self,
            "UsagePlans",
            stage=stage,
            rest_api=self.api.rest_api,
            storefront=Throttle(settings.storefront_rate_limit, settings.storefront_burst_limit),
            # Admin keys share one key. It is in a plan only to pass the keyed routes: admins stay held
            # to the stage's limits, as before usage plans.
            admin=Throttle(STAGE_RATE_LIMIT, STAGE_BURST_LIMIT),
        )
        grant_usage(fns, self.usage_plans)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            stage=stage,
            dashboard_name=f"oms-{stage}",
            rest_api=self.api.rest_api,
            webhook_stage=self.webhook_api.stage,
            dlqs={
                **self.messaging.dlqs,
                "StockHealth": self.stock_health.dlq,
                "ChannelStock": self.channel_stock.dlq,
            },
            state_machines=self.workflow.by_name,
            functions=fns.by_name,
            alarm_email=settings.alarm_email,
        )
        self.tracing = Tracing(self, "Tracing", stage=stage)
        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="Base URL of the OMS API")
        CfnOutput(
            self,
            "WebhooksUrl",
            value=self.webhook_api.url,
            description="Base URL of the partner webhooks: partners POST to <this>/v1/webhooks/{partner_id}",
        )
        CfnOutput(
            self,
            "CreateAdminKey",
            value=f"make keys STAGE={stage}",
            description="Creates the first admin API key of this stage",
        )
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.monitoring.topic.topic_arn,
            description="SNS topic every alarm notifies, on ALARM and on OK: subscribe paging to it",
        )
