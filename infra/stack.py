"""Tenantdesk on AWS: one CDK stack per stage (dev, prod).

The Chalice app (repo root) is packaged by ``chalice.cdk.Chalice`` at synth time and
included as a SAM template; everything it talks to is created here and handed to it
through stage environment variables (chalicelib/config.py reads them lazily).

Names fixed by app.py: ``@app.on_sns_message(topic="tenantdesk-inbound-mail")`` and the
two ``@app.on_sqs_message(queue=...)`` handlers subscribe by *name*, so the topic and
the queues carry exactly those names. One stage per account and region, therefore
(dev and prod in separate accounts, which is the usual set-up anyway).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import (
    Duration,
    RemovalPolicy,
    aws_cloudwatch as cw,
    aws_cloudwatch_actions as cw_actions,
    aws_cognito as cognito,
    aws_dynamodb as ddb,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_s3 as s3,
    aws_scheduler as scheduler,
    aws_ses as ses,
    aws_ses_actions as ses_actions,
    aws_sns as sns,
    aws_sqs as sqs,
    aws_stepfunctions as sfn,
)
from cdk_nag import NagSuppressions
from constructs import Construct

REPO_ROOT = Path(__file__).resolve().parents[1]
ASL_FILE = REPO_ROOT / "statemachines" / "case_watch.asl.json"
APP = "tenantdesk"
STAGES = ("dev", "prod")

# Names app.py subscribes to by name (see module docstring).
INBOUND_TOPIC = "tenantdesk-inbound-mail"
WATCH_QUEUE = "tenantdesk-watch-tasks"
REMINDER_QUEUE = "tenantdesk-reminders"
SCHEDULE_GROUP = "tenantdesk"

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
}
# Which handlers run case actions (start a watcher, create/delete callback reminder
# schedules via CaseService) - chalicelib/runtime.py service().
RUNS_CASE_ACTIONS = {"api_handler", "inbound_mail", "watch_tasks", "callback_reminders"}
STARTS_WATCHERS = RUNS_CASE_ACTIONS | {"watch_outbox"}

# API Gateway stage throttling (token bucket per stage, shared by all callers; per-tenant
# quotas are the application's). (rate per second, burst). Reasons: infra/README.md.
STAGE_THROTTLE = (100, 200)
ROUTE_THROTTLE = {
    # Public, unauthenticated: anyone on the internet can call them.
    ("/v1/health", "GET"): (5, 10),
    ("/v1/openapi.json", "GET"): (5, 10),
    ("/console", "GET"): (10, 20),
    ("/console/{name}", "GET"): (20, 40),  # a page load fetches a few assets
    # Each new case starts a Step Functions watcher and may send mail; a message notifies.
    ("/v1/properties/{property_id}/cases", "POST"): (10, 20),
    ("/v1/properties/{property_id}/cases/{case_id}/messages", "POST"): (10, 20),
}

# What API Gateway itself answers (unknown route, token rejected by the Cognito
# authorizer, throttled, ...) in the API's own {code, message} shape
# (chalicelib/errors.py). Fixed text only: API Gateway's own messages
# ($context.error.message) can echo the Authorization header, so no template uses a
# variable. type -> (status to answer, or None to keep API Gateway's; code; message)
GATEWAY_RESPONSES = {
    "DEFAULT_4XX": (None, "bad_request", "the request was rejected"),
    "DEFAULT_5XX": (None, "internal_error", "something went wrong on our side"),
    "UNAUTHORIZED": (401, "unauthorized", "a valid bearer token is required"),
    "ACCESS_DENIED": (403, "forbidden", "you may not do this"),
    # API Gateway's answer for a path or method the API does not have (403 by default).
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "no such route"),
    "RESOURCE_NOT_FOUND": (404, "not_found", "no such route"),
    "THROTTLED": (429, "rate_limited", "too many requests; retry in a moment"),
    "QUOTA_EXCEEDED": (429, "rate_limited", "too many requests; retry in a moment"),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "the request is too large"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", "send the body as application/json"),
    "INTEGRATION_TIMEOUT": (504, "timeout", "the request took too long; retry in a moment"),
}
RETRY_AFTER_SECONDS = {"THROTTLED": 1, "QUOTA_EXCEEDED": 60, "INTEGRATION_TIMEOUT": 1}


def _gateway_responses() -> dict:
    """The swagger extension ``x-amazon-apigateway-gateway-responses`` for GATEWAY_RESPONSES."""
    out = {}
    for kind, (status, code, message) in GATEWAY_RESPONSES.items():
        body = json.dumps({"code": code, "message": message}, separators=(",", ":"))
        params = {"gatewayresponse.header.Cache-Control": "'no-store'"}
        if kind in RETRY_AFTER_SECONDS:
            params["gatewayresponse.header.Retry-After"] = f"'{RETRY_AFTER_SECONDS[kind]}'"
        out[kind] = {"responseParameters": params, "responseTemplates": {"application/json": body}}
        if status is not None:
            out[kind]["statusCode"] = str(status)
    return out


def _method_settings() -> list[dict]:
    """API Gateway MethodSettings: the stage default, then the routes' own limits."""
    def setting(path: str, method: str, rate: int, burst: int) -> dict:
        return {"ResourcePath": path, "HttpMethod": method,
                "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
    settings = [setting("/*", "*", *STAGE_THROTTLE)]
    for (path, method), limits in ROUTE_THROTTLE.items():
        settings.append(setting("/" + path.replace("/", "~1"), method, *limits))  # /~1v1~1health
    return settings


# Cognito attributes an app client may read / let the user write (see the Cognito section).
USER_READABLE_CUSTOM = ("properties", "department")
USER_WRITABLE = {"fullname": True, "locale": True}


def _suppress(construct: Construct, *findings: tuple[str, str], children: bool = False) -> None:
    NagSuppressions.add_resource_suppressions(
        construct, [{"id": rule, "reason": reason} for rule, reason in findings],
        apply_to_children=children)


class TenantdeskStack(cdk.Stack):
    """Everything for one stage. The construct id is the stage name on purpose:
    chalice.cdk.Chalice takes its Chalice stage name from its scope's path, so
    ``.chalice/config.json``'s dev/prod stage settings apply as well."""

    def __init__(self, scope: Construct, stage: str, *, mail_domain: str | None = None,
                 alarm_email: str | None = None, **kwargs: Any) -> None:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}: use one of {STAGES}")
        super().__init__(scope, stage, stack_name=f"{APP}-{stage}",
                         description=f"Tenantdesk complaint handling ({stage})", **kwargs)
        self.stage = stage
        prod = stage == "prod"
        keep = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
        prefix = f"{APP}-{stage}"

        # --- DynamoDB (keys and GSIs as chalicelib/models.py declares them) -----------
        def table(suffix: str, pk: str, sk: str, sk_type=ddb.AttributeType.STRING, ttl=None):
            return ddb.Table(
                self, f"{suffix.title().replace('-', '')}Table",
                table_name=f"{prefix}-{suffix}",
                partition_key=ddb.Attribute(name=pk, type=ddb.AttributeType.STRING),
                sort_key=ddb.Attribute(name=sk, type=sk_type),
                billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True),
                time_to_live_attribute=ttl,
                deletion_protection=prod,
                removal_policy=keep,
            )

        self.cases = table("cases", "property_id", "case_id")
        for name, pk, sk in (("by_tenant", "tenant_id", "created_key"),
                             ("open_queue", "queue_property", "next_due_key"),
                             ("dept_queue", "dept_queue", "next_due_key"),
                             ("by_activity", "activity_property", "updated_key")):
            self.cases.add_global_secondary_index(
                index_name=name, projection_type=ddb.ProjectionType.ALL,
                partition_key=ddb.Attribute(name=pk, type=ddb.AttributeType.STRING),
                sort_key=ddb.Attribute(name=sk, type=ddb.AttributeType.STRING))
        self.events = table("case-events", "case_key", "seq", sk_type=ddb.AttributeType.NUMBER)
        self.meta = table("meta", "pk", "sk", ttl="expires_at")
        self.replies = table("replies", "case_key", "reply_id")
        self.replies.add_global_secondary_index(
            index_name="reply_queue", projection_type=ddb.ProjectionType.ALL,
            partition_key=ddb.Attribute(name="queue", type=ddb.AttributeType.STRING),
            sort_key=ddb.Attribute(name="queued_at", type=ddb.AttributeType.STRING))
        self.tables = [self.cases, self.events, self.meta, self.replies]

        # --- SQS ----------------------------------------------------------------------
        def queue(cid: str, name: str, *, dlq: sqs.IQueue | None = None, visibility=Duration.seconds(60),
                  retention=Duration.days(4)) -> sqs.Queue:
            return sqs.Queue(
                self, cid, queue_name=name, encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True, visibility_timeout=visibility, retention_period=retention,
                dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=dlq) if dlq else None,
                removal_policy=RemovalPolicy.DESTROY)

        # Where the state machine parks checks that failed every retry (TD_WATCH_DLQ_URL).
        self.watch_dead_letters = queue("WatchDeadLetters", "tenantdesk-watch-dead-letters",
                                        retention=Duration.days(14))
        # Redrive targets for the queues a Lambda consumes.
        self.watch_tasks_dlq = queue("WatchTasksDlq", "tenantdesk-watch-tasks-dlq", retention=Duration.days(14))
        self.reminders_dlq = queue("RemindersDlq", "tenantdesk-reminders-dlq", retention=Duration.days(14))
        # Lambda's default timeout under Chalice is 60 s; the visibility timeout covers it
        # (AWS recommends 6x the function timeout for SQS event sources).
        self.watch_tasks = queue("WatchTasks", WATCH_QUEUE, dlq=self.watch_tasks_dlq,
                                 visibility=Duration.minutes(6))
        self.reminders = queue("Reminders", REMINDER_QUEUE, dlq=self.reminders_dlq,
                               visibility=Duration.minutes(6))
        # SNS invokes inbound_mail asynchronously: Lambda tries an event three times (1 + 2
        # retries) and then drops it unless the function has an on-failure destination.
        # Here the failed event lands with its error (the SNS notification is in
        # requestPayload); an alarm fires on the first one (replay: infra/README.md).
        self.inbound_mail_failures = queue("InboundMailFailures", "tenantdesk-inbound-mail-failures",
                                           retention=Duration.days(14))
        _suppress(self.inbound_mail_failures, ("AwsSolutions-SQS3", "This queue is itself the "
                  "on-failure destination of the inbound_mail Lambda (a Lambda destination, not an SQS "
                  "redrive, so cdk-nag cannot see it); nothing consumes it: an alarm fires on the first "
                  "message and an operator replays it."))
        _suppress(self.watch_dead_letters, ("AwsSolutions-SQS3", "This queue is itself the dead-letter "
                  "queue of the case watcher (its DeadLetter state sends here, not an SQS redrive, so "
                  "cdk-nag cannot see it); nothing consumes it: an alarm fires on the first message and "
                  "an operator inspects it."))

        # --- SNS: SES -> topic -> inbound_mail Lambda --------------------------------------
        self.inbound_topic = sns.Topic(self, "InboundMailTopic", topic_name=INBOUND_TOPIC,
                                       display_name="Tenantdesk inbound mail", enforce_ssl=True)
        self.inbound_topic.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowSesPublish", actions=["sns:Publish"],
            principals=[iam.ServicePrincipal("ses.amazonaws.com")],
            resources=[self.inbound_topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": self.account}}))

        # --- S3: raw inbound mail and attachments ---------------------------------------------
        self.mail_bucket = s3.Bucket(
            self, "MailBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True, versioned=False,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="inbound-expire", prefix="inbound/", expiration=Duration.days(365)),
                s3.LifecycleRule(id="attachments-ia", prefix="attachments/", transitions=[
                    s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                                  transition_after=Duration.days(30))]),
            ],
            removal_policy=keep,
            auto_delete_objects=False,
        )
        _suppress(self.mail_bucket, ("AwsSolutions-S1", "Access to mail objects is by the Lambda roles "
                  "only and is recorded by CloudTrail; a separate access-log bucket adds cost and a "
                  "second bucket to govern without adding an audit trail we would read."))

        # --- SES receiving: rule set with one rule, S3 action (+ SNS notification) ------------
        self.rule_set = ses.ReceiptRuleSet(self, "ReceiptRuleSet", receipt_rule_set_name=f"{prefix}-inbound")
        self.rule_set.add_rule(
            "StoreInbound",
            receipt_rule_name=f"{prefix}-store-inbound",
            recipients=[mail_domain] if mail_domain else None,
            scan_enabled=True,
            # OPTIONAL: a tenant's mail server without TLS must still reach us; a complaint
            # bounced for transport reasons is a complaint lost.
            tls_policy=ses.TlsPolicy.OPTIONAL,
            actions=[ses_actions.S3(bucket=self.mail_bucket, object_key_prefix="inbound/",
                                    topic=self.inbound_topic)],
        )

        # --- EventBridge Scheduler: group + role that delivers reminders ---------------------
        self.schedule_group = scheduler.CfnScheduleGroup(self, "ScheduleGroup", name=SCHEDULE_GROUP)
        self.scheduler_role = iam.Role(
            self, "SchedulerRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": self.account}}),
            description="EventBridge Scheduler: deliver callback reminders to the reminders queue")
        self.scheduler_role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"], resources=[self.reminders.queue_arn]))

        # --- Step Functions: the case watcher, from the same ASL file the tests run ------------
        self.sfn_role = iam.Role(self, "CaseWatchRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                                 description="Case watcher: only sqs:SendMessage to its two queues")
        self.sfn_role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"],
            resources=[self.watch_tasks.queue_arn, self.watch_dead_letters.queue_arn]))
        self.state_machine = sfn.StateMachine(
            self, "CaseWatch", state_machine_name=f"{prefix}-case-watch",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(ASL_FILE.read_text(encoding="utf-8")),
            role=self.sfn_role, removal_policy=RemovalPolicy.DESTROY)
        _suppress(self.state_machine,
                  ("AwsSolutions-SF1", "The role is deliberately limited to sqs:SendMessage on two "
                   "queues; CloudWatch Logs delivery needs logs:*Delivery on '*'. Standard workflows "
                   "keep each execution's full history for 90 days, and the ExecutionsFailed alarm "
                   "and the dead-letter queue alarm cover failures."),
                  ("AwsSolutions-SF2", "X-Ray would need xray:Put* on '*' in the deliberately minimal "
                   "role; the watcher's work is traced in the Lambda that answers the task token."))

        # --- Cognito ---------------------------------------------------------------------------
        self.user_pool = cognito.UserPool(
            self, "Users", user_pool_name=f"{prefix}-users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(min_length=12, require_digits=True, require_lowercase=True,
                                                   require_uppercase=True, require_symbols=True),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Mutable so that admins can change them (AdminUpdateUserAttributes); no app client
            # may write them (USER_WRITABLE below). Immutable would freeze a user's scope at
            # creation, and CloudFormation cannot change a custom attribute afterwards.
            custom_attributes={
                "properties": cognito.StringAttribute(min_len=0, max_len=2048, mutable=True),
                # dept_staff act only on their department's cases (chalicelib/auth.py).
                "department": cognito.StringAttribute(min_len=0, max_len=64, mutable=True),
            },
            deletion_protection=prod,
            removal_policy=keep,
        )
        for group in ("tenant", "security", "front_desk", "dept_staff", "manager", "director", "admin"):
            cognito.CfnUserPoolGroup(self, f"Group{group.title().replace('_', '')}",
                                     user_pool_id=self.user_pool.user_pool_id, group_name=group)
        # Scope (custom:properties, custom:department) and role (groups) are the admin's to
        # set: an app client without explicit WriteAttributes lets a signed-in user call
        # UpdateUserAttributes with their own access token and widen their own scope. The
        # client reads the claims the API maps (chalicelib/auth.py) - the ID token carries
        # only readable attributes - and writes only a user's own name and locale.
        # No OAuth/hosted UI (CDK's default would enable the implicit flow): SRP sign-in only.
        self.user_pool_client = self.user_pool.add_client(
            "WebClient", user_pool_client_name=f"{prefix}-web",
            auth_flows=cognito.AuthFlow(user_srp=True), generate_secret=False,
            prevent_user_existence_errors=True, disable_o_auth=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True, locale=True)
            .with_custom_attributes(*USER_READABLE_CUSTOM),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(**USER_WRITABLE))
        _suppress(self.user_pool,
                  ("AwsSolutions-COG2", "MFA is offered (TOTP) but not required: tenants are occasional "
                   "users reporting a complaint; staff accounts are expected to enrol by policy."),
                  ("AwsSolutions-COG8", "The Plus feature plan (threat protection) is billed per monthly "
                   "active user; the pool holds a few hundred staff and tenants signing in with strong "
                   "passwords and optional TOTP. Revisit when the user count justifies it."))

        # --- per-function IAM roles ------------------------------------------------------------
        self.roles = {name: self._function_role(name, prefix) for name in FUNCTIONS}
        for name, role in self.roles.items():
            for t in self.tables:
                t.grant_read_write_data(role)
            role.add_to_policy(iam.PolicyStatement(
                sid="SendMail", actions=["ses:SendRawEmail"],
                resources=[self.format_arn(service="ses", resource="identity", resource_name="*")]))
            if name in STARTS_WATCHERS:
                self.state_machine.grant_start_execution(role)
            if name in RUNS_CASE_ACTIONS:
                role.add_to_policy(iam.PolicyStatement(
                    sid="CallbackReminderSchedules",
                    actions=["scheduler:CreateSchedule", "scheduler:UpdateSchedule",
                             "scheduler:DeleteSchedule"],
                    resources=[self.format_arn(service="scheduler", resource="schedule",
                                               resource_name=f"{SCHEDULE_GROUP}/*")]))
                self.scheduler_role.grant_pass_role(role)
        r = self.roles
        # Explicit actions (the bucket's grant_* helpers use s3:GetObject*, s3:List*, ...):
        # intake reads the raw mail SES stored and writes the attachments it extracts.
        r["inbound_mail"].add_to_policy(iam.PolicyStatement(
            sid="ReadInboundMail", actions=["s3:GetObject"],
            resources=[self.mail_bucket.arn_for_objects("inbound/*")]))
        # Lambda delivers to an on-failure destination with the function's own role.
        r["inbound_mail"].add_to_policy(iam.PolicyStatement(
            sid="OnFailureDestination", actions=["sqs:SendMessage"],
            resources=[self.inbound_mail_failures.queue_arn]))
        r["inbound_mail"].add_to_policy(iam.PolicyStatement(
            sid="StoreAttachments", actions=["s3:PutObject"],
            resources=[self.mail_bucket.arn_for_objects("attachments/*")]))
        self.state_machine.grant_task_response(r["watch_tasks"])
        self.watch_tasks.grant_consume_messages(r["watch_tasks"])
        self.reminders.grant_consume_messages(r["callback_reminders"])
        event_bus_arn = self.format_arn(service="events", resource="event-bus", resource_name="default")
        for name in ("watch_tasks", "watch_outbox", "callback_reminders"):
            r[name].add_to_policy(iam.PolicyStatement(sid="PutEvents", actions=["events:PutEvents"],
                                                      resources=[event_bus_arn]))

        # --- the Chalice app ------------------------------------------------------------------
        env = {
            "TD_AUTH_MODE": "cognito",
            "TD_TABLE_PREFIX": prefix,
            "TD_CASES_TABLE": self.cases.table_name,
            "TD_EVENTS_TABLE": self.events.table_name,
            "TD_META_TABLE": self.meta.table_name,
            "TD_REPLIES_TABLE": self.replies.table_name,
            "TD_MAIL_BUCKET": self.mail_bucket.bucket_name,
            "TD_MAIL_FROM": f"service@{mail_domain}" if mail_domain else "service@tenantdesk.example",
            "TD_STATE_MACHINE_ARN": self.state_machine.state_machine_arn,
            "TD_WATCH_QUEUE_URL": self.watch_tasks.queue_url,
            "TD_WATCH_DLQ_URL": self.watch_dead_letters.queue_url,
            "TD_EVENT_BUS": "default",
            "TD_SCHEDULE_GROUP": SCHEDULE_GROUP,
            "TD_REMINDER_QUEUE_ARN": self.reminders.queue_arn,
            "TD_SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
            "TD_USER_POOL_ARN": self.user_pool.user_pool_arn,
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
        self.chalice = self._package_chalice(stage_config)
        for name, logical in FUNCTIONS.items():
            res = self.chalice.get_resource(logical)
            res.add_property_override("Role", self.roles[name].role_arn)
            # The SNS event source names the topic by string (Fn::Sub on its name), so
            # CloudFormation cannot see that dependency; the queues are referenced by the
            # environment variables already. The role's policy must exist before the SQS
            # event source mappings are created (Lambda checks the poller's permissions).
            res.node.add_dependency(self.inbound_topic)
            res.node.add_dependency(self.roles[name].node.find_child("DefaultPolicy"))
        inbound_mail = self.chalice.get_resource(FUNCTIONS["inbound_mail"])
        lambda_.CfnEventInvokeConfig(
            self, "InboundMailOnFailure", function_name=inbound_mail.ref, qualifier="$LATEST",
            maximum_retry_attempts=2,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=self.inbound_mail_failures.queue_arn)))
        api = self.chalice.get_resource("RestAPI")
        api.add_property_override("DefinitionBody.x-amazon-apigateway-gateway-responses", _gateway_responses())
        api.add_property_override("MethodSettings", _method_settings())
        # cdk-nag's rules read CloudFormation resource types; the SAM types Chalice emits
        # (AWS::Serverless::Function/Api) are not expanded before the checks run, so the
        # API and functions are checked here in tests/infra (roles, authorizer) instead.

        # --- alarms ---------------------------------------------------------------------------
        self.alarm_topic = sns.Topic(self, "AlarmTopic", topic_name=f"{prefix}-alarms", enforce_ssl=True)
        if alarm_email:
            sns.Subscription(self, "AlarmEmail", topic=self.alarm_topic, protocol=sns.SubscriptionProtocol.EMAIL,
                             endpoint=alarm_email)
        action = cw_actions.SnsAction(self.alarm_topic)

        def alarm(cid: str, metric: cw.IMetric, description: str) -> cw.Alarm:
            a = cw.Alarm(self, cid, metric=metric, threshold=0, evaluation_periods=1,
                         comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                         treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                         alarm_description=description)
            a.add_alarm_action(action)
            return a

        minute = Duration.minutes(1)
        five = Duration.minutes(5)
        alarm("WatchDeadLettersAlarm", self.watch_dead_letters.metric_approximate_number_of_messages_visible(
            period=five, statistic="Maximum"), "A case watcher's check failed after every retry.")
        for cid, q in (("WatchTasksDlqAlarm", self.watch_tasks_dlq), ("RemindersDlqAlarm", self.reminders_dlq)):
            alarm(cid, q.metric_approximate_number_of_messages_visible(period=five, statistic="Maximum"),
                  f"Messages the Lambda could not process landed in {q.node.id}.")
        alarm("InboundMailFailuresAlarm", self.inbound_mail_failures.metric_approximate_number_of_messages_visible(
            period=five, statistic="Maximum"),
              "An inbound mail failed intake three times; it waits in tenantdesk-inbound-mail-failures.")
        alarm("EscalationNoRecipientAlarm", cw.Metric(namespace="Tenantdesk", metric_name="EscalationNoRecipient",
                                                       dimensions_map={"service": APP}, period=five,
                                                       statistic="Sum"),
              "An escalation found nobody to tell (a property's contacts are missing): see the case's trail.")
        alarm("CaseWatchFailedAlarm", self.state_machine.metric_failed(period=five, statistic="Sum"),
              "A case watcher execution failed: that case is no longer watched.")
        alarm("Api5xxAlarm", cw.Metric(namespace="AWS/ApiGateway", metric_name="5XXError",
                                        dimensions_map={"ApiName": APP, "Stage": "v1"},
                                        period=five, statistic="Sum"),
              "The API answered 5XX.")
        for name, logical in FUNCTIONS.items():
            fn_name = self.chalice.get_resource(logical).ref
            alarm(f"{logical}ErrorsAlarm", cw.Metric(namespace="AWS/Lambda", metric_name="Errors",
                                                      dimensions_map={"FunctionName": fn_name},
                                                      period=minute if name == "api_handler" else five,
                                                      statistic="Sum"),
                  f"The {name} Lambda function raised errors.")

        cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        cdk.CfnOutput(self, "MailBucketName", value=self.mail_bucket.bucket_name)
        cdk.CfnOutput(self, "ReceiptRuleSetName", value=self.rule_set.receipt_rule_set_name)
        cdk.CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn)

    def _function_role(self, name: str, prefix: str) -> iam.Role:
        role = iam.Role(self, f"{FUNCTIONS[name]}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"Tenantdesk {name} Lambda ({self.stage})")
        # Instead of the AWSLambdaBasicExecutionRole managed policy: its own log groups only.
        role.add_to_policy(iam.PolicyStatement(
            sid="Logs", actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.format_arn(service="logs", resource="log-group",
                                       resource_name=f"/aws/lambda/{prefix}-*",
                                       arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME),
                       self.format_arn(service="logs", resource="log-group",
                                       resource_name=f"/aws/lambda/{prefix}-*:log-stream:*",
                                       arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)]))
        _suppress(role, ("AwsSolutions-IAM5", "Every action is named; wildcards are in resource names "
                         "only: this stage's Lambda log groups/streams, SES identities (any verified "
                         "sender of the account), the 'tenantdesk' schedule group's schedules, the "
                         "tables' indexes (index/*) and object-key prefixes (inbound/*, attachments/*)."),
                  children=True)
        return role

    def _package_chalice(self, stage_config: dict) -> Any:
        """Package the app with the pool ARN in its import-time environment.

        app.py attaches the Cognito authorizer only when TD_USER_POOL_ARN is set when
        it is *imported*. ``chalice package`` imports it in this process, so setting the
        variable to the pool's ARN token works: the token's placeholder string lands in
        the generated swagger (providerARNs) and CDK resolves it to Fn::GetAtt at synth.
        A cached import (without the variable) would silently drop the authorizer, so
        app.py and the blueprint are imported afresh.
        """
        from chalice.cdk import Chalice

        # app.py and the blueprints read TD_USER_POOL_ARN when imported.
        fresh = ["app", *(m for m in sys.modules if m.startswith("chalicelib.routes_"))]
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
        os.environ["TD_USER_POOL_ARN"] = self.user_pool.user_pool_arn
        try:
            construct = Chalice(self, "TenantdeskApp", source_dir=str(REPO_ROOT), stage_config=stage_config)
            imported = Path(sys.modules["app"].__file__).resolve()
            if imported != REPO_ROOT / "app.py":
                raise RuntimeError(f"chalice packaged {imported}, not {REPO_ROOT / 'app.py'}")
            return construct
        finally:
            sys.path[:] = saved_path
            for m in [m for m in sys.modules if m == "app" or m.startswith("chalicelib.routes_")]:
                sys.modules.pop(m, None)
            sys.modules.update(saved_mods)
            for name, module in saved_mods.items():  # keep `import chalicelib.routes_x` consistent
                parent, _, child = name.rpartition(".")
                if parent in sys.modules:
                    setattr(sys.modules[parent], child, module)
            os.environ.clear()
            os.environ.update(saved_env)
