"""Logger, tracer and metrics for every function: one service, the function name comes from the context."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

# Keys the Lambda context adds to every line that its log group already names: ~150 bytes of ~550 a line,
# a quarter of an order's log bytes (logs are billed by the byte ingested).
REDUNDANT_KEYS = ("function_name", "function_arn", "function_memory_size")


class _Formatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        for key in REDUNDANT_KEYS:
            log.pop(key, None)
        return super().serialize(log)


logger = Logger(service="oms", logger_formatter=_Formatter())
tracer = Tracer(service="oms")
metrics = Metrics(namespace="OMS", service="oms")

# A handler that records no metric in one invocation is normal (a health check, a duplicate event);
# Powertools would warn on every such flush.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def problem_code(error: BaseException) -> str | None:
    """The problem code of an outcome the business expects, or None for a bug of ours.

    Expected: a domain error (a declined card, no carrier, a failed capture), an event that came before
    its turn (retried), a write that lost a race (retried), and a batch of partner events that failed only
    in those ways. Such an outcome is one INFO line; a bug is worth its stack trace. A wrapper raised
    `from` an expected error (the workflow's TransientError) counts as that error.
    """
    # Imported here: every function imports this module first, and its cold start stays small.
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from oms.domain.errors import OmsError
    from oms.domain.lifecycle import NotYet
    from oms.ports.unit_of_work import CommitRefused

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OmsError):
            return current.code
        if isinstance(current, NotYet):
            return "not_yet"
        if isinstance(current, CommitRefused):
            return "write_conflict"
        if isinstance(current, BatchProcessingError):
            codes = [problem_code(child) if child else None for _, child, _ in current.child_exceptions]
            if not codes or None in codes:
                return None
            return ",".join(dict.fromkeys(c for c in codes if c))
        current = current.__cause__
    return None
