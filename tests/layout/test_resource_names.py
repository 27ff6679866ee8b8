"""One source for resource names (chalicelib/resources.py): the app's handler
decorators, config defaults, infra and the local stack take them from there."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import config, resources
from chalicelib.resources import LOCAL, ResourceNames, for_stage

REPO = Path(__file__).resolve().parents[2]


def _names(n: ResourceNames) -> dict[str, str]:
    return {attr: getattr(n, attr) for attr in dir(ResourceNames)
            if isinstance(getattr(ResourceNames, attr), property)}


def test_local_names_are_the_ones_the_readme_and_local_stack_use():
    from devstack import engine
    assert (LOCAL.watch_queue, LOCAL.reminder_queue, LOCAL.watch_dead_letters) == (
        "tenantdesk-watch-tasks", "tenantdesk-reminders", "tenantdesk-watch-dead-letters")
    assert (LOCAL.inbound_topic, LOCAL.schedule_group, LOCAL.state_machine) == (
        "tenantdesk-inbound-mail", "tenantdesk", "tenantdesk-case-watch")
    assert (engine.WATCH_QUEUE, engine.WATCH_DLQ, engine.REMINDER_QUEUE, engine.SCHEDULE_GROUP) == (
        LOCAL.watch_queue, LOCAL.watch_dead_letters, LOCAL.reminder_queue, LOCAL.schedule_group)


def test_stage_names_carry_the_stage_so_stages_can_share_an_account():
    dev, prod = _names(for_stage("dev")), _names(for_stage("prod"))
    assert dev["watch_queue"] == "tenantdesk-dev-watch-tasks"
    assert prod["inbound_topic"] == "tenantdesk-prod-inbound-mail"
    assert not set(dev.values()) & set(prod.values())
    for stage, names in (("dev", dev), ("prod", prod)):
        assert all(v == f"tenantdesk-{stage}" or v.startswith(f"tenantdesk-{stage}-") for v in names.values())


def test_an_unknown_stage_is_refused():
    with pytest.raises(ValueError):
        for_stage("staging")


def test_config_defaults_follow_the_resource_prefix(monkeypatch):
    for name in (resources.PREFIX_VARIABLE, "TD_TABLE_PREFIX", "TD_CASES_TABLE",
                 "TD_RECORDS_TABLE", "TD_SCHEDULE_GROUP",
                 "TD_MAIL_BUCKET", "TD_EVENT_BUS"):
        monkeypatch.delenv(name, raising=False)
    assert (config.cases_table(), config.events_table(), config.meta_table(), config.replies_table(),
            config.records_table()) == (
        "tenantdesk-cases", "tenantdesk-case-events", "tenantdesk-meta", "tenantdesk-replies", "tenantdesk-records")
    assert (config.schedule_group(), config.mail_bucket(), config.event_bus()) == (
        "tenantdesk", "tenantdesk-mail", "default")
    monkeypatch.setenv(resources.PREFIX_VARIABLE, "tenantdesk-dev")
    assert config.cases_table() == "tenantdesk-dev-cases"
    assert config.schedule_group() == "tenantdesk-dev"
    # Tables can still have a prefix of their own (the local stack's, a test's).
    monkeypatch.setenv("TD_TABLE_PREFIX", "tenantdesk-local")
    assert config.replies_table() == "tenantdesk-local-replies"
    assert config.schedule_group() == "tenantdesk-dev"


def _subscriptions(prefix: str | None) -> dict:
    """The queue/topic each event handler subscribes to, app.py imported afresh."""
    env = {k: v for k, v in os.environ.items() if k != resources.PREFIX_VARIABLE}
    if prefix:
        env[resources.PREFIX_VARIABLE] = prefix
    code = ("import json, app; print(json.dumps({s.name: getattr(s, 'topic', None) or getattr(s, 'queue', None)"
            " for s in app.app.event_sources if hasattr(s, 'topic') or hasattr(s, 'queue')}))")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_event_handlers_subscribe_to_the_names_of_the_prefix_they_were_imported_with():
    assert _subscriptions(None) == {"inbound_mail": LOCAL.inbound_topic, "watch_tasks": LOCAL.watch_queue,
                                    "callback_reminders": LOCAL.reminder_queue,
                                    "make_thumbnails": LOCAL.thumbnail_queue}
    dev = for_stage("dev")
    assert _subscriptions(dev.prefix) == {"inbound_mail": dev.inbound_topic, "watch_tasks": dev.watch_queue,
                                          "callback_reminders": dev.reminder_queue,
                                          "make_thumbnails": dev.thumbnail_queue}


def test_the_names_module_is_cheap_to_import():
    """No AWS SDK, pynamodb or CDK behind it: app.py imports it at cold start."""
    code = ("import sys, chalicelib.resources; "
            "print([m for m in ('boto3', 'botocore', 'pynamodb', 'chalice', 'aws_cdk') if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_no_resource_name_is_typed_outside_the_names_module():
    """A name typed twice drifts: the app, infra and the local stack take names from
    chalicelib/resources.py (tests may spell them out)."""
    typed = sorted({v for v in _names(LOCAL).values() if v != resources.APP})
    files = [REPO / "app.py", *sorted((REPO / "chalicelib").rglob("*.py")), *sorted((REPO / "infra").glob("*.py")),
             REPO / "devstack" / "engine.py", REPO / "devstack" / "stack.py"]
    found = []
    for path in files:
        if path.name == "resources.py" and path.parent.name == "chalicelib":
            continue
        text = path.read_text(encoding="utf-8")
        for name in typed:
            for quote in ('"', "'"):
                if quote + name + quote in text or f"{quote}{name}-" in text:
                    found.append(f"{path.relative_to(REPO)}: {name}")
    assert not found, found
