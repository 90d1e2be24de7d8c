"""The CDK app (cdk.json's "app"): one OmsStack per stage, checked by cdk-nag's AwsSolutions pack."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aws_cdk import App, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from infra.stack import OmsStack, Settings

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"
TRUE = {"true", "1", "yes"}


def default_context() -> dict[str, Any]:
    """cdk.json's context: the CLI passes it itself, `python -m infra.app` and tests get it from here."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def settings_from(app: App) -> Settings:
    def get(key: str, default: object) -> str:
        value = app.node.try_get_context(key)
        return str(default if value is None else value)

    return Settings(
        stage=get("stage", "dev"),
        workflow_type=get("workflow_type", "EXPRESS").upper(),
        # `cdk -c production=true` gives a string, cdk.json a boolean.
        production=get("production", False).lower() in TRUE,
        powertools_layer_version=get("powertools_layer_version", "ssm"),
        alarm_email=get("alarm_email", "").strip(),
        storefront_rate_limit=float(get("storefront_rate_limit", 50)),
        storefront_burst_limit=int(get("storefront_burst_limit", 100)),
    )


def add_nag_checks(app: App) -> None:
    """Any unacknowledged AwsSolutions finding (error or warning) fails synthesis."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def build_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> App:
    """The app with its stack and checks, not yet synthesized; `context` overrides cdk.json's."""
    app = App(context={**default_context(), **(context or {})}, outdir=outdir)
    settings = settings_from(app)
    # The construct id stays "Oms" so logical ids are the same in every stage; the stack name differs.
    stack = OmsStack(app, "Oms", settings=settings, stack_name=f"Oms-{settings.stage}")
    Tags.of(stack).add("app", "oms")
    Tags.of(stack).add("stage", settings.stage)
    add_nag_checks(app)
    return app


def main() -> None:
    # Under the CDK CLI, CDK_OUTDIR says where to write; run directly, write where the CLI would.
    build_app(outdir=None if os.environ.get("CDK_OUTDIR") else "cdk.out").synth()


if __name__ == "__main__":
    main()
