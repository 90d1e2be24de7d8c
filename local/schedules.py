"""EventBridge schedule rules as timers that invoke their Lambda targets."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime

from local.assembly import Assembly
from local.lambdas import LambdaCrash, LambdaRegistry

log = logging.getLogger("oms.local.schedule")
_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


# A cron() rule (the daily stock-health run) fires hourly locally: often enough to watch it work in a
# session, rare enough not to load a machine running tests; `schedule_every` overrides it like any other.
CRON_EVERY = 3600.0


def interval_seconds(expression: str) -> float | None:
    """Seconds between runs of a rate() expression; None for cron() (see CRON_EVERY)."""
    match = re.fullmatch(r"rate\((\d+)\s+(\w+)\)", expression.strip())
    if match:
        return int(match.group(1)) * _UNITS[match.group(2)]
    return None


class Timer:
    def __init__(
        self,
        rule: str,
        expression: str,
        targets: list[str],
        registry: LambdaRegistry,
        region: str,
        account_id: str,
        every: float | None = None,
    ) -> None:
        self.rule = rule
        self.every = every or interval_seconds(expression) or CRON_EVERY
        self.targets = targets
        self.registry = registry
        self.region = region
        self.account_id = account_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{rule}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def fire(self) -> None:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account_id,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{self.account_id}:rule/{self.rule}"],
            "detail": {},
        }
        for target in self.targets:
            try:
                self.registry.invoke(target, json.loads(json.dumps(event)))
            except LambdaCrash:
                pass  # logged with its stack; the next tick tries again, as EventBridge would

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.fire()


def timers(assembly: Assembly, registry: LambdaRegistry, every: float | None = None) -> list[Timer]:
    found = []
    for logical_id, props in assembly.of_type("AWS::Events::Rule"):
        expression = props.get("ScheduleExpression")
        if not expression or props.get("State", "ENABLED") != "ENABLED":
            continue
        targets = [t["Arn"] for t in props.get("Targets", []) if ":lambda:" in t["Arn"]]
        found.append(
            Timer(
                assembly.physical(logical_id).ref,
                expression,
                targets,
                registry,
                assembly.region,
                assembly.account_id,
                every,
            )
        )
    return found
