"""OmsStack: one construct per concern, then each function granted exactly what it needs."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs.access import grant_needs
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.functions import Functions
from infra.constructs.messaging import Messaging
from infra.constructs.monitoring import Monitoring
from infra.constructs.workflow import Workflow


@dataclass(frozen=True)
class Settings:
    """The context values the stack reads (see cdk.json)."""

    stage: str = "dev"
    workflow_type: str = "EXPRESS"
    production: bool = False
    powertools_layer_version: str = "ssm"


class OmsStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, stack_name: str | None = None
    ) -> None:
        super().__init__(scope, construct_id, stack_name=stack_name, description=f"OMS ({settings.stage})")
        stage, production = settings.stage, settings.production
        self.data = Data(self, "Data", production=production)
        self.functions = fns = Functions(
            self,
            "Functions",
            stage=stage,
            layer_version=settings.powertools_layer_version,
            production=production,
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
        )
        grant_needs(fns, self.data, self.messaging, self.workflow, stage=stage)
        self.api = Api(
            self,
            "Api",
            stage=stage,
            production=production,
            api=fns["api"],
            authorizer=fns["authorizer"],
            webhooks=fns["webhooks"],
        )
        Monitoring(
            self,
            "Monitoring",
            dashboard_name=f"oms-{stage}",
            rest_api=self.api.rest_api,
            dlqs=self.messaging.dlqs,
            state_machines=self.workflow.by_name,
            functions=fns.by_name,
        )
        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="Base URL of the OMS API")
        CfnOutput(
            self,
            "CreateAdminKey",
            value=f"make keys STAGE={stage}",
            description="Creates the first admin API key of this stage",
        )
