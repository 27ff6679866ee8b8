"""Synthesize the CDK app ONCE per test session (dev and prod stacks in one App,
cdk-nag's AwsSolutions pack applied) and hand the templates to the tests.

No AWS credentials and no AWS calls: fake account/region and keys; chalice.out and
cdk.out go to a temporary directory. The first synth on a machine lets chalice fetch the
Lambda's Linux wheels from PyPI; it reuses .chalice/deployments/ after that. Skipped as a whole when
requirements-infra.txt is not installed.
"""
from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

pytest.importorskip("aws_cdk", reason="requirements-infra.txt is not installed")
pytest.importorskip("cdk_nag", reason="requirements-infra.txt is not installed")

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"

FAKE_ENV = {
    "CDK_DEFAULT_ACCOUNT": "123456789012",
    "CDK_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "TD_USER_POOL_ARN")


class Synth:
    """What the session-scoped synth produced."""

    def __init__(self, app, stacks, templates, seconds, outdir):
        self.app = app
        self.stacks = stacks          # stage -> Stack
        self.templates = templates    # stage -> aws_cdk.assertions.Template
        self.seconds = seconds
        self.outdir = outdir

    def json(self, stage: str) -> dict:
        return self.templates[stage].to_json()


def _load_infra_app():
    spec = importlib.util.spec_from_file_location("tenantdesk_infra_app", INFRA / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Synth:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    workdir = tmp_path_factory.mktemp("infra-synth")
    saved_env = {k: os.environ.get(k) for k in (*FAKE_ENV, *UNSET)}
    saved_cwd = os.getcwd()
    os.environ.update(FAKE_ENV)
    for k in UNSET:
        os.environ.pop(k, None)
    os.chdir(workdir)  # chalice.cdk writes chalice.out/ into the working directory
    started = time.perf_counter()
    try:
        infra_app = _load_infra_app()
        app = cdk.App(outdir=str(workdir / "cdk.out"))
        stacks = {}
        for stage in ("dev", "prod"):
            _, stacks[stage] = infra_app.build(stage, app=app)
        cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
        templates = {stage: Template.from_stack(stack) for stage, stack in stacks.items()}
    finally:
        os.chdir(saved_cwd)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Synth(app, stacks, templates, time.perf_counter() - started, workdir)


@pytest.fixture(scope="session")
def dev(synth) -> dict:
    return synth.json("dev")


@pytest.fixture(scope="session")
def prod(synth) -> dict:
    return synth.json("prod")
