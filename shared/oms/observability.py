"""Logger, tracer and metrics for every function: one service, the function name comes from the context."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="oms")
tracer = Tracer(service="oms")
metrics = Metrics(namespace="OMS", service="oms")

# A handler that records no metric in one invocation is normal (a health check, a duplicate event);
# Powertools would warn on every such flush.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
