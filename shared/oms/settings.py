"""Each function's environment, parsed into one typed object (names come from the CDK stack)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

_PREFIX = "OMS_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = "dev"
    orders_table: str = ""
    inventory_table: str = ""
    config_table: str = ""
    fulfil_state_machine_arn: str = ""
    ship_state_machine_arn: str = ""
    partner_events_queue_url: str = ""
    notifications_queue_url: str = ""
    event_bus_name: str = ""
    secrets_prefix: str = "oms/dev/"
    # API Gateway usage plans (per-client throttling): the storefronts' plan, by name (the api function
    # adds each storefront's key to it), and the one usage key every admin key is throttled by.
    storefront_usage_plan: str = ""
    admin_usage_key: str = ""
    max_body_bytes: int = Field(default=262_144, ge=1024)


def settings() -> Settings:
    """The settings of the function running now.

    Read per call, cached per distinct environment: the local runtime runs every function in one
    process, each with its own environment, so a process-wide singleton would leak between them.
    """
    return _parse(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_PREFIX))))


@lru_cache(maxsize=32)
def _parse(items: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.model_validate({k[len(_PREFIX) :].lower(): v for k, v in items})
