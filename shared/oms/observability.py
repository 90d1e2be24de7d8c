"""Logger, tracer and metrics for every function: one service, the function name comes from the context."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="oms")
tracer = Tracer(service="oms")
metrics = Metrics(namespace="OMS", service="oms")
