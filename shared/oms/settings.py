"""Each function's environment, parsed into one typed object (names come from the CDK stack)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache

_PREFIX = "OMS_"
_MIN_BODY_BYTES = 1024


# A dataclass, not a pydantic model: every function imports this at cold start, and its fields are
# strings the stack writes, bar one number checked below.
@dataclass(frozen=True)
class Settings:
    stage: str = "dev"
    orders_table: str = ""
    inventory_table: str = ""
    config_table: str = ""
    fulfil_state_machine_arn: str = ""
    ship_state_machine_arn: str = ""
    partner_events_queue_url: str = ""
    partner_events_function_name: str = ""  # the webhooks function hands each event to it
    notifications_queue_url: str = ""
    partner_events_dlq_url: str = ""
    notifications_dlq_url: str = ""
    event_bus_name: str = ""
    secrets_prefix: str = "oms/dev/"
    # API Gateway usage plans (per-client throttling): the storefronts' plan, by name (the api function
    # adds each storefront's key to it), and the one usage key every admin key is throttled by.
    storefront_usage_plan: str = ""
    admin_usage_key: str = ""
    max_body_bytes: int = 262_144

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_body_bytes", int(self.max_body_bytes))
        if self.max_body_bytes < _MIN_BODY_BYTES:
            raise ValueError(f"OMS_MAX_BODY_BYTES must be at least {_MIN_BODY_BYTES}")


def settings() -> Settings:
    """The settings of the function running now.

    Read per call, cached per distinct environment: the local runtime runs every function in one
    process, each with its own environment, so a process-wide singleton would leak between them.
    """
    return _parse(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_PREFIX))))


@lru_cache(maxsize=32)
def _parse(items: tuple[tuple[str, str], ...]) -> Settings:
    known = {f.name for f in fields(Settings)}
    given = {k[len(_PREFIX) :].lower(): v for k, v in items}
    return Settings(**{k: v for k, v in given.items() if k in known})  # type: ignore[arg-type]
