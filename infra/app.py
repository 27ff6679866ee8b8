#!/usr/bin/env python3
"""CDK app: ``cdk synth|deploy -c stage=dev|prod`` from infra/ (default dev).

Optional context: ``-c mail_domain=mail.example.com`` (SES receipt rule recipient and
sender domain), ``-c alarm_email=ops@example.com`` (alarm notifications),
``-c app_origins=https://app.example.com,...`` (where browsers post photo uploads from).
``-c web_app_url=https://app.example.com/app/`` (the web app the hosted UI returns to).
Account and region come from the CLI's credentials (CDK_DEFAULT_ACCOUNT/REGION):
nothing account-specific is written here.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk

# `python app.py` (the CDK CLI) has this directory on sys.path already; when imported
# from elsewhere (tests), add it only for this import: the repo root's app.py must stay
# the module `import app` finds.
_HERE = str(Path(__file__).resolve().parent)
# The stack reads resource names and table keys from chalicelib/ (resources.py, models.py).
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
if _HERE in sys.path:
    from stack import TenantdeskStack
else:
    sys.path.insert(0, _HERE)
    try:
        from stack import TenantdeskStack
    finally:
        sys.path.remove(_HERE)


def _region_for_chalice() -> None:
    """``chalice package`` builds a botocore client and needs *a* region (it makes no
    call). Use the stack's region when the shell has none configured."""
    region = os.environ.get("CDK_DEFAULT_REGION")
    if region and not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = region


def build(stage: str | None = None, *, app: cdk.App | None = None) -> tuple[cdk.App, TenantdeskStack]:
    _region_for_chalice()
    app = app or cdk.App()
    stage = stage or app.node.try_get_context("stage") or "dev"
    stack = TenantdeskStack(
        app, stage,
        mail_domain=app.node.try_get_context("mail_domain"),
        alarm_email=app.node.try_get_context("alarm_email"),
        app_origins=[o.strip() for o in (app.node.try_get_context("app_origins") or "").split(",") if o.strip()],
        web_app_url=app.node.try_get_context("web_app_url"),
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
                            region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    cdk.Tags.of(stack).add("app", "tenantdesk")
    cdk.Tags.of(stack).add("stage", stage)
    return app, stack


if __name__ == "__main__":
    the_app, _ = build()
    the_app.synth()
