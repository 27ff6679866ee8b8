"""Structured logging and metrics through Powertools.

Logger is cheap to create; Tracer is not (~180 ms for the X-Ray SDK, see
../shared/README.md), so it is not created here at all.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

NAMESPACE = "Tenantdesk"
logger = Logger(service="tenantdesk")


def record_metric(name: str, *, dimensions: dict[str, str] | None = None, **metadata: str) -> None:
    """One count, written at once as its own EMF record, so each carries its
    own dimensions whether it comes from an API request or a worker.
    Dimensions must be low-cardinality (action, channel); values such as
    property or case ids go in metadata: searchable in the logs, not billed
    as separate metrics."""
    if is_metrics_disabled():  # single_metric itself ignores POWERTOOLS_METRICS_DISABLED
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
        for key, value in (dimensions or {}).items():
            metric.add_dimension(name=key, value=value)
        for key, value in metadata.items():
            metric.add_metadata(key=key, value=value)
