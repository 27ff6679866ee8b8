"""Structured logging and metrics through Powertools.

Logger and Metrics are cheap to create; Tracer is not (~180 ms for the X-Ray
SDK, see ../shared/README.md), so it is not created here at all.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="tenantdesk")
metrics = Metrics(namespace="Tenantdesk", service="tenantdesk")


def record_metric(name: str, **dimensions: str) -> None:
    """One count, with the dimensions also logged as metadata (high-cardinality
    values such as property ids stay out of the metric's dimensions)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    for key, value in dimensions.items():
        metrics.add_metadata(key=key, value=value)
