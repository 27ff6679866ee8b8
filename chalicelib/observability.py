"""Structured logging and metrics through Powertools.

Logger and Metrics are cheap to create; Tracer is not (~180 ms for the X-Ray
SDK, see ../shared/README.md), so it is not created here at all.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="tenantdesk")
metrics = Metrics(namespace="Tenantdesk", service="tenantdesk")


def record_metric(name: str, *, dimensions: dict[str, str] | None = None, **metadata: str) -> None:
    """One count. Dimensions must be low-cardinality (action, channel); values
    such as property ids go in metadata, searchable in the logs but not billed
    as separate metrics. One request flushes once, so its dimensions are its own."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    for key, value in (dimensions or {}).items():
        metrics.add_dimension(name=key, value=value)
    for key, value in metadata.items():
        metrics.add_metadata(key=key, value=value)
