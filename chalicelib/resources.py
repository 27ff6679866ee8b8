"""The names of Tenantdesk's AWS resources, in one place.

Every name derives from one prefix: ``tenantdesk-<stage>`` in a deployed stage (so
dev and prod can share an account and region), plain ``tenantdesk`` locally and in
tests (the names the README and the local stack have always used). The app
(handler decorators, chalicelib/config.py defaults), infra/, the local stack
(devstack/) and the tests all take names from here; nobody types them.

Table key schemas are not repeated here: chalicelib/adapters/models.py declares them once
and infra/tables.py builds the tables from the models.

Pure Python, no AWS import: app.py imports this at cold start.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

APP = "tenantdesk"
STAGES = ("dev", "prod")
# Read at import by app.py (see names_at_import); infra sets it while it packages a stage.
PREFIX_VARIABLE = "TD_RESOURCE_PREFIX"


@dataclass(frozen=True)
class ResourceNames:
    """The names of one deployment's resources, all under ``prefix``."""

    prefix: str = APP

    # --- DynamoDB (chalicelib/adapters/models.py has their keys) ---------------------------------
    @property
    def cases_table(self) -> str:
        return f"{self.prefix}-cases"

    @property
    def events_table(self) -> str:
        return f"{self.prefix}-case-events"

    @property
    def meta_table(self) -> str:
        return f"{self.prefix}-meta"

    @property
    def replies_table(self) -> str:
        return f"{self.prefix}-replies"

    @property
    def records_table(self) -> str:
        return f"{self.prefix}-records"

    # --- SQS ---------------------------------------------------------------------------
    @property
    def watch_queue(self) -> str:
        """The case watcher's Check tasks (app.watch_tasks consumes it)."""
        return f"{self.prefix}-watch-tasks"

    @property
    def watch_queue_dlq(self) -> str:
        return f"{self.prefix}-watch-tasks-dlq"

    @property
    def watch_dead_letters(self) -> str:
        """Where the state machine parks checks that failed every retry."""
        return f"{self.prefix}-watch-dead-letters"

    @property
    def reminder_queue(self) -> str:
        """Callback reminder schedules deliver here (app.callback_reminders consumes it)."""
        return f"{self.prefix}-reminders"

    @property
    def reminder_queue_dlq(self) -> str:
        return f"{self.prefix}-reminders-dlq"

    @property
    def thumbnail_queue(self) -> str:
        """S3 ObjectCreated notifications of stored attachments (app's make_thumbnails consumes it)."""
        return f"{self.prefix}-thumbnails"

    @property
    def thumbnail_queue_dlq(self) -> str:
        return f"{self.prefix}-thumbnails-dlq"

    @property
    def watch_stream_failures(self) -> str:
        """The watch_stream consumer's on-failure destination: stream batches it gave up on."""
        return f"{self.prefix}-watch-stream-failures"

    @property
    def inbound_mail_failures(self) -> str:
        """The inbound_mail Lambda's on-failure destination."""
        return f"{self.prefix}-inbound-mail-failures"

    # --- SNS ---------------------------------------------------------------------------
    @property
    def inbound_topic(self) -> str:
        """SES -> this topic -> app.inbound_mail."""
        return f"{self.prefix}-inbound-mail"

    @property
    def alarm_topic(self) -> str:
        return f"{self.prefix}-alarms"

    # --- the rest ----------------------------------------------------------------------
    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-case-watch"

    @property
    def schedule_group(self) -> str:
        """EventBridge Scheduler group of the callback reminder schedules."""
        return self.prefix

    @property
    def mail_bucket(self) -> str:
        """The local default only: in AWS, CloudFormation names the bucket (bucket names
        are global) and infra hands it to the app as TD_MAIL_BUCKET."""
        return f"{self.prefix}-mail"

    @property
    def receipt_rule_set(self) -> str:
        return f"{self.prefix}-inbound"

    @property
    def receipt_rule(self) -> str:
        return f"{self.prefix}-store-inbound"

    @property
    def user_pool(self) -> str:
        return f"{self.prefix}-users"

    @property
    def user_pool_client(self) -> str:
        return f"{self.prefix}-web"

    @property
    def user_pool_app_client(self) -> str:
        """The native and web apps' client (hosted UI, authorization code + PKCE)."""
        return f"{self.prefix}-app"

    event_bus = "default"


def for_stage(stage: str) -> ResourceNames:
    """A deployed stage's names: ``tenantdesk-<stage>-...``."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: use one of {STAGES}")
    return ResourceNames(f"{APP}-{stage}")


LOCAL = ResourceNames(APP)


def names_at_import() -> ResourceNames:
    """The names the handler decorators in app.py use.

    Chalice reads ``@app.on_sqs_message(queue=...)`` and ``@app.on_sns_message(topic=...)``
    when app.py is imported, and ``chalice package`` writes those names into the event
    sources (``Fn::Sub arn:...:<name>``). A stage's name therefore has to be known at
    import, and an environment variable is the one input Chalice passes through:
    infra/ sets TD_RESOURCE_PREFIX while it packages a stage (and checks that the packaged
    event sources name that stage's queue and topic) and in the functions' environment;
    unset (locally, in tests) it is the local prefix. Infra overriding the event sources
    instead would leave the decorators naming queues that do not exist in AWS, and a
    reader of app.py misled.
    """
    return ResourceNames(os.environ.get(PREFIX_VARIABLE) or APP)
