"""The Chalice app's Lambda functions: one least-privilege role each, the packaged app
(``chalice.cdk.Chalice``) with its stage environment, and inbound_mail's on-failure
destination."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from nag_util import suppress

from chalicelib import resources
from chalicelib.resources import APP, ResourceNames

REPO_ROOT = Path(__file__).resolve().parents[1]

# Chalice handler name -> SAM logical id (chalice package's naming: CamelCase; the
# HTTP API's function is APIHandler).
FUNCTIONS = {
    "api_handler": "APIHandler",
    "inbound_mail": "InboundMail",
    "written_reply_outbox": "WrittenReplyOutbox",
    "watch_tasks": "WatchTasks",
    "watch_outbox": "WatchOutbox",
    "callback_reminders": "CallbackReminders",
    "handover_and_stats": "HandoverAndStats",
    "make_thumbnails": "MakeThumbnails",
    "keys_overdue": "KeysOverdue",  # the key register: overdue keys to the shift lead (mail, records table)
    "deliver_notifications": "DeliverNotifications",
    "watch_stream": "WatchStream",  # the meta table's stream: starts case watchers from their outbox records
}
# Which handlers create, update and delete EventBridge Scheduler schedules: case actions
# (callback reminders, via CaseService - chalicelib/runtime.py service()), and the report
# schedules (the API's PUT; the minute sweep, watch_outbox, re-syncs those a PUT could not).
RUNS_CASE_ACTIONS = {"api_handler", "inbound_mail", "watch_tasks", "callback_reminders", "watch_outbox"}
# Only these start watcher executions: a case action writes the outbox record and the
# stream consumer starts it (chalicelib/services/watch_stream.py); the sweep is the safety net.
STARTS_WATCHERS = {"watch_stream", "watch_outbox"}
# Memory per function (MB), from bench/cold_start.py's per-handler cold starts (import +
# first request) and bench/cost.py; why each: infra/README.md "Lambda sizing". Lambda gives
# CPU in proportion to memory (one vCPU at 1,769 MB), so a cold start's CPU time shrinks
# as memory grows, while a warm request's cost (GB-s) grows with it.
MEMORY_MB = {
    "api_handler": 1024,  # a person waits on a cold start: ~0.58 vCPU, about half the wait of 512 MB
    "inbound_mail": 1024,  # MIME parsing, charsets, attachments to S3: CPU-bound, up to 10 MB mails
    "make_thumbnails": 1024,  # Pillow decodes and scales photos: CPU- and memory-bound
    "watch_tasks": 512,
    "watch_stream": 512,  # nobody waits: the first deadline is minutes away
    "watch_outbox": 256,
    "callback_reminders": 256,
    "written_reply_outbox": 512,  # the email package, MIME assembly
    "handover_and_stats": 512,  # a shift's cases and statistics in memory
    "keys_overdue": 256,
    "deliver_notifications": 512,  # Web Push encryption (cryptography) on first use
}
# The stream consumer's event source mapping (Chalice's decorator cannot say these).
STREAM_MAX_RETRIES = 3  # devstack/streams.py MAX_RETRIES: the local stack retries as often
STREAM_MAX_RECORD_AGE_S = 3600  # older records go to the on-failure queue; the sweep has long started them
# Mobile push through SNS platform endpoints: the API registers and deletes devices,
# the delivery schedule publishes and removes disabled endpoints.
USES_PUSH = {"api_handler": ["sns:CreatePlatformEndpoint", "sns:SetEndpointAttributes", "sns:DeleteEndpoint"],
             "deliver_notifications": ["sns:Publish", "sns:DeleteEndpoint"]}


class Functions:
    """Per-function IAM roles, the packaged Chalice app wired to the stage's resources
    (environment variables, roles), and inbound_mail's on-failure destination. Roles and
    the app are created in the stack's scope: logical ids stay the deployed ones.

    ``parts`` is the stack: it carries the tables, queues, topic, bucket, state machine,
    scheduler role and user pool the functions are given access to."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames, *, stage: str, mail_domain: str | None,
                 parts: Any) -> None:
        self.stack, self.names, self.stage = stack, names, stage
        p = parts
        self.roles = {name: self._function_role(name) for name in FUNCTIONS}
        for name, role in self.roles.items():
            for t in p.tables.all:
                t.grant_read_write_data(role)
            role.add_to_policy(iam.PolicyStatement(
                sid="SendMail", actions=["ses:SendRawEmail"],
                resources=[stack.format_arn(service="ses", resource="identity", resource_name="*")]))
            if name in STARTS_WATCHERS:
                p.watcher.state_machine.grant_start_execution(role)
            if name in RUNS_CASE_ACTIONS:
                role.add_to_policy(iam.PolicyStatement(
                    sid="CallbackReminderSchedules",
                    actions=["scheduler:CreateSchedule", "scheduler:UpdateSchedule",
                             "scheduler:DeleteSchedule"],
                    resources=[stack.format_arn(service="scheduler", resource="schedule",
                                                resource_name=f"{names.schedule_group}/*")]))
                p.watcher.scheduler_role.grant_pass_role(role)
        for name, actions in USES_PUSH.items():
            self.roles[name].add_to_policy(iam.PolicyStatement(
                sid="MobilePush", actions=actions,
                resources=[stack.format_arn(service="sns", resource="app", resource_name="*"),
                           stack.format_arn(service="sns", resource="endpoint", resource_name="*")]))
        r = self.roles
        # Onboarding (chalicelib/adapters/cognito.py): exactly these Admin* calls, on this pool only.
        r["api_handler"].add_to_policy(iam.PolicyStatement(
            sid="InviteAndDeactivateTenants",
            actions=["cognito-idp:AdminCreateUser", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminGetUser",
                     "cognito-idp:AdminDisableUser", "cognito-idp:AdminUserGlobalSignOut"],
            resources=[p.auth.user_pool.user_pool_arn]))
        bucket = p.mail.bucket
        # Explicit actions (the bucket's grant_* helpers use s3:GetObject*, s3:List*, ...):
        # intake reads the raw mail SES stored and writes the attachments it extracts.
        r["inbound_mail"].add_to_policy(iam.PolicyStatement(
            sid="ReadInboundMail", actions=["s3:GetObject"],
            resources=[bucket.arn_for_objects("inbound/*")]))
        # Lambda delivers to an on-failure destination with the function's own role.
        r["inbound_mail"].add_to_policy(iam.PolicyStatement(
            sid="OnFailureDestination", actions=["sqs:SendMessage"],
            resources=[p.messaging.inbound_mail_failures.queue_arn]))
        r["inbound_mail"].add_to_policy(iam.PolicyStatement(
            sid="StoreAttachments", actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects("attachments/*")]))
        # Photo uploads (chalicelib/services/upload_service.py). The API signs the presigned
        # POST, so its role is what lets S3 store the file under uploads/; completing reads it
        # (HEAD, a ranged GET), copies it under attachments/<property>/uploads/ and deletes the
        # staged one (or a refused copy); viewing signs GETs of attachments and thumbnails.
        # ListBucket makes a HEAD of a missing object a 404, not a 403.
        r["api_handler"].add_to_policy(iam.PolicyStatement(
            sid="Uploads", actions=["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            resources=[bucket.arn_for_objects("uploads/*"), bucket.arn_for_objects("attachments/*")]))
        r["api_handler"].add_to_policy(iam.PolicyStatement(
            sid="UploadsList", actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        # Thumbnails: read each stored attachment, write its thumbnail beside it.
        r["make_thumbnails"].add_to_policy(iam.PolicyStatement(
            sid="Thumbnails", actions=["s3:GetObject", "s3:PutObject"],
            resources=[bucket.arn_for_objects("attachments/*")]))
        r["make_thumbnails"].add_to_policy(iam.PolicyStatement(
            sid="ThumbnailsList", actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        p.messaging.thumbnails.grant_consume_messages(r["make_thumbnails"])
        # The stream consumer reads the meta table's stream; its on-failure destination is sent
        # to with the function's own role.
        p.tables.meta.grant_stream_read(r["watch_stream"])
        r["watch_stream"].add_to_policy(iam.PolicyStatement(
            sid="StreamOnFailureDestination", actions=["sqs:SendMessage"],
            resources=[p.messaging.watch_stream_failures.queue_arn]))
        p.watcher.state_machine.grant_task_response(r["watch_tasks"])
        p.messaging.watch_tasks.grant_consume_messages(r["watch_tasks"])
        p.messaging.reminders.grant_consume_messages(r["callback_reminders"])
        event_bus_arn = stack.format_arn(service="events", resource="event-bus", resource_name=names.event_bus)
        for name in ("watch_tasks", "watch_outbox", "callback_reminders"):
            r[name].add_to_policy(iam.PolicyStatement(sid="PutEvents", actions=["events:PutEvents"],
                                                      resources=[event_bus_arn]))

        env = {
            "TD_AUTH_MODE": "cognito",
            resources.PREFIX_VARIABLE: names.prefix,
            "TD_TABLE_PREFIX": names.prefix,
            "TD_CASES_TABLE": p.tables.cases.table_name,
            "TD_EVENTS_TABLE": p.tables.events.table_name,
            "TD_META_TABLE": p.tables.meta.table_name,
            "TD_REPLIES_TABLE": p.tables.replies.table_name,
            "TD_RECORDS_TABLE": p.tables.records.table_name,
            "TD_MAIL_BUCKET": bucket.bucket_name,
            "TD_MAIL_FROM": f"service@{mail_domain}" if mail_domain else "service@tenantdesk.example",
            "TD_STATE_MACHINE_ARN": p.watcher.state_machine.state_machine_arn,
            "TD_WATCH_QUEUE_URL": p.messaging.watch_tasks.queue_url,
            "TD_WATCH_DLQ_URL": p.messaging.watch_dead_letters.queue_url,
            "TD_EVENT_BUS": names.event_bus,
            "TD_SCHEDULE_GROUP": names.schedule_group,
            "TD_REMINDER_QUEUE_ARN": p.messaging.reminders.queue_arn,
            "TD_SCHEDULER_ROLE_ARN": p.watcher.scheduler_role.role_arn,
            "TD_USER_POOL_ARN": p.auth.user_pool.user_pool_arn,
            # Onboarding's pool, and the clients whose ID tokens are the API's (API Gateway's
            # authorizer verifies them on AWS; chalicelib/http/identity.py does in cognito_jwt mode).
            "TD_USER_POOL_ID": p.auth.user_pool.user_pool_id,
            "TD_USER_POOL_CLIENT_IDS": cdk.Fn.join(",", [p.auth.client.user_pool_client_id,
                                                        p.auth.app_client.user_pool_client_id]),
            # How the tenant app signs in here (GET /app/signin, chalicelib/http/routes_app.py): the apps'
            # client, through the hosted UI's code flow with PKCE - that client allows no password flow,
            # so without these the app would offer a password form AWS refuses.
            "TD_APP_CLIENT_ID": p.auth.app_client.user_pool_client_id,
            "TD_HOSTED_UI_URL": p.auth.domain.base_url(),
            # SNS platform applications per platform ({"fcm": arn, "apns": arn}): they hold the FCM
            # and APNs credentials, made once per account (infra/README.md); cdk -c push_apps='{...}'.
            "TD_PUSH_APPS": stack.node.try_get_context("push_apps") or "{}",
            "POWERTOOLS_SERVICE_NAME": APP,
            "POWERTOOLS_METRICS_NAMESPACE": "Tenantdesk",
        }
        stage_config = {
            "api_gateway_stage": "v1",
            "lambda_memory_size": 512,
            "lambda_timeout": 60,
            "environment_variables": env,
            # No Chalice-managed (shared, autogenerated) role: each function gets its own
            # role from this stack below. Chalice reads per-function settings only from
            # .chalice/config.json, so the role is set per function by an override.
            "manage_iam_role": False,
            "iam_role_arn": self.roles["api_handler"].role_arn,
        }
        self.chalice = self._package_chalice(stage_config, p.auth.user_pool.user_pool_arn)
        for name, logical in FUNCTIONS.items():
            res = self.chalice.get_resource(logical)
            res.add_property_override("Role", self.roles[name].role_arn)
            # The SNS event source names the topic by string (Fn::Sub on its name), so
            # CloudFormation cannot see that dependency; the queues are referenced by the
            # environment variables already. The role's policy must exist before the SQS
            # event source mappings are created (Lambda checks the poller's permissions).
            res.node.add_dependency(p.messaging.inbound_topic)
            res.node.add_dependency(self.roles[name].node.find_child("DefaultPolicy"))
        for name, logical in FUNCTIONS.items():
            self.chalice.get_resource(logical).add_property_override("MemorySize", MEMORY_MB[name])
        self._wire_watch_stream(p)
        inbound_mail = self.chalice.get_resource(FUNCTIONS["inbound_mail"])
        lambda_.CfnEventInvokeConfig(
            stack, "InboundMailOnFailure", function_name=inbound_mail.ref, qualifier="$LATEST",
            maximum_retry_attempts=2,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=p.messaging.inbound_mail_failures.queue_arn)))

    def _wire_watch_stream(self, p: Any) -> None:
        """The watch_stream handler's event source mapping, as Chalice's decorator cannot
        write it: the meta table's real stream (its ARN exists only once the table does),
        failures reported per record, a failing batch bisected, a bounded number of retries,
        the on-failure queue, and a filter so that only outbox records invoke it."""
        import json

        from chalicelib.adapters.watch_stream import stream_filter
        events = "Events.WatchStreamDynamodbEventSource.Properties."
        fn = self.chalice.get_resource(FUNCTIONS["watch_stream"])
        for key, value in {
            "Stream": p.tables.meta.table_stream_arn,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": STREAM_MAX_RETRIES,
            "MaximumRecordAgeInSeconds": STREAM_MAX_RECORD_AGE_S,
            "DestinationConfig": {"OnFailure": {"Type": "SQS",
                                                "Destination": p.messaging.watch_stream_failures.queue_arn}},
            "FilterCriteria": {"Filters": [{"Pattern": json.dumps(stream_filter())}]},
        }.items():
            fn.add_property_override(events + key, value)

    def _function_role(self, name: str) -> iam.Role:
        stack, prefix = self.stack, self.names.prefix
        role = iam.Role(stack, f"{FUNCTIONS[name]}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"Tenantdesk {name} Lambda ({self.stage})")
        # Instead of the AWSLambdaBasicExecutionRole managed policy: its own log groups only.
        role.add_to_policy(iam.PolicyStatement(
            sid="Logs", actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[stack.format_arn(service="logs", resource="log-group",
                                        resource_name=f"/aws/lambda/{prefix}-*",
                                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME),
                       stack.format_arn(service="logs", resource="log-group",
                                        resource_name=f"/aws/lambda/{prefix}-*:log-stream:*",
                                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)]))
        suppress(role, ("AwsSolutions-IAM5", "Every action is named; wildcards are in resource names "
                        "only: this stage's Lambda log groups/streams, SES identities (any verified "
                        f"sender of the account), the '{self.names.schedule_group}' schedule group's "
                        "schedules, the tables' indexes (index/*) and object-key prefixes (inbound/*, "
                        "attachments/*, uploads/*)."),
                 children=True)
        return role

    def _check_event_sources(self, app: Any) -> None:
        """The packaged app's SNS/SQS handlers must subscribe to this stage's topic and
        queues: app.py names them from TD_RESOURCE_PREFIX at import (chalicelib/resources.py)."""
        wanted = {"inbound_mail": self.names.inbound_topic, "watch_tasks": self.names.watch_queue,
                  "callback_reminders": self.names.reminder_queue, "make_thumbnails": self.names.thumbnail_queue}
        found = {s.name: getattr(s, "topic", None) or getattr(s, "queue", None) for s in app.event_sources
                 if s.name in wanted}
        streams = {s.name: s.stream_arn for s in app.event_sources if hasattr(s, "stream_arn")}
        if set(streams) != {"watch_stream"} or f"table/{self.names.meta_table}/" not in streams["watch_stream"]:
            raise RuntimeError(f"the packaged stream handlers are {streams}, not watch_stream on "
                               f"{self.names.meta_table}")
        if found != wanted:
            raise RuntimeError(f"the packaged handlers subscribe to {found}, not {wanted}: was app.py "
                               f"imported without {resources.PREFIX_VARIABLE}?")

    def _package_chalice(self, stage_config: dict, user_pool_arn: str) -> Any:
        """Package the app with the pool ARN and the resource prefix in its import-time
        environment.

        app.py attaches the Cognito authorizer only when TD_USER_POOL_ARN is set when
        it is *imported*, and names its queues and topic from TD_RESOURCE_PREFIX then.
        ``chalice package`` imports it in this process, so setting the variables works:
        the pool ARN token's placeholder string lands in the generated swagger
        (providerARNs) and CDK resolves it to Fn::GetAtt at synth. A cached import
        (without the variables) would silently drop the authorizer and name the local
        queues, so app.py and the blueprints are imported afresh.
        """
        from chalice.cdk import Chalice

        # app.py and the blueprints attach chalicelib/http/authorizer.py's authorizer, which reads
        # TD_USER_POOL_ARN when imported.
        def reread(m: str) -> bool:
            return m == "app" or m == "chalicelib.http.authorizer" or m.startswith("chalicelib.http.routes_")
        fresh = [m for m in sys.modules if reread(m)]
        # chalice also copies the stage's environment variables (CDK token strings here)
        # into os.environ while it loads the app: put the whole environment back after.
        saved_env = dict(os.environ)
        saved_mods = {m: sys.modules.pop(m) for m in fresh if m in sys.modules}
        saved_path = list(sys.path)
        # Chalice imports the module named "app": make sure it is the repo root's app.py,
        # not this directory's (infra/app.py), whatever sys.path held before.
        here = str(Path(__file__).resolve().parent)
        sys.path[:] = [str(REPO_ROOT)] + [p for p in sys.path
                                          if p and Path(p).resolve() not in (REPO_ROOT, Path(here))]
        os.environ["TD_USER_POOL_ARN"] = user_pool_arn
        os.environ[resources.PREFIX_VARIABLE] = self.names.prefix
        try:
            construct = Chalice(self.stack, "TenantdeskApp", source_dir=str(REPO_ROOT), stage_config=stage_config)
            imported = Path(sys.modules["app"].__file__).resolve()
            if imported != REPO_ROOT / "app.py":
                raise RuntimeError(f"chalice packaged {imported}, not {REPO_ROOT / 'app.py'}")
            self._check_event_sources(sys.modules["app"].app)
            return construct
        finally:
            sys.path[:] = saved_path
            for m in [m for m in sys.modules if reread(m)]:
                sys.modules.pop(m, None)
            sys.modules.update(saved_mods)
            for name, module in saved_mods.items():  # keep `import chalicelib.http.<module>` consistent
                parent, _, child = name.rpartition(".")
                if parent in sys.modules:
                    setattr(sys.modules[parent], child, module)
            os.environ.clear()
            os.environ.update(saved_env)
