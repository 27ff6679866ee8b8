"""cdk-nag suppressions: each one with its reason (tests/infra checks they carry one)."""
from __future__ import annotations

from cdk_nag import NagSuppressions
from constructs import Construct


def suppress(construct: Construct, *findings: tuple[str, str], children: bool = False) -> None:
    NagSuppressions.add_resource_suppressions(
        construct, [{"id": rule, "reason": reason} for rule, reason in findings],
        apply_to_children=children)
