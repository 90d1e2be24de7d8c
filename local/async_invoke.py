"""Lambda's asynchronous invocation as the template configures it: retries, event age, on-failure destination.

AWS keeps an event invocation in its own queue, runs it, and on an error runs it again after about one
minute and then two (MaximumRetryAttempts, 2 when a function has no EventInvokeConfig), while the
event is younger than MaximumEventAgeInSeconds (6 hours by default). An event it gives up on goes to
the OnFailure destination as a record (see `failure_record`), or is dropped when there is none.
Locally the waits are short (`Options.async_retry_after`) and the destination is an SQS queue in moto.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local.assembly import Assembly

log = logging.getLogger("oms.local.lambda")

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE_S = 6 * 3600
AWS_FIRST_RETRY_S = 60.0  # then twice that before the second retry


@dataclass(frozen=True)
class AsyncConfig:
    max_retries: int = DEFAULT_RETRIES
    max_age_s: float = DEFAULT_MAX_AGE_S
    on_failure_queue_url: str | None = None  # an SQS destination's URL in moto


def async_configs(assembly: Assembly) -> tuple[dict[str, AsyncConfig], list[str]]:
    """Each configured function's config by its name, and the report lines (destinations not emulated too)."""
    queue_urls = {
        assembly.physical(logical_id).attrs["Arn"]: assembly.physical(logical_id).ref
        for logical_id, _ in assembly.of_type("AWS::SQS::Queue")
    }
    configs: dict[str, AsyncConfig] = {}
    report: list[str] = []
    for _, props in assembly.of_type("AWS::Lambda::EventInvokeConfig"):
        function = str(props["FunctionName"])
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        url = queue_urls.get(str(destination)) if destination else None
        config = AsyncConfig(
            max_retries=int(props.get("MaximumRetryAttempts", DEFAULT_RETRIES)),
            max_age_s=float(props.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S)),
            on_failure_queue_url=url,
        )
        configs[function] = config
        where = url.rsplit("/", 1)[-1] if url else "dropped"
        if destination and url is None:
            where = f"{destination}: NOT EMULATED (only SQS destinations are), dropped"
        report.append(
            f"async       {function}: {config.max_retries} retries, max age {config.max_age_s:g}s, on failure {where}"
        )
    return configs, report


def retry_delays(first: float | None) -> tuple[float, float]:
    """The waits before the first and second retry: AWS's minute and two, or `first` and twice it."""
    base = AWS_FIRST_RETRY_S if first is None else first
    return base, 2 * base


def failure_record(
    *,
    function_arn: str,
    request_id: str,
    condition: str,
    attempts: int,
    event: Any,
    error: dict[str, Any] | None,
) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination (AWS's keys and casing)."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": condition,  # RetriesExhausted or EventAgeExceeded
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
    }
    if error is not None:
        record["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
        record["responsePayload"] = {**error, "requestId": request_id}
    return record
