"""Tenantdesk on AWS: one CDK stack per stage (dev, prod).

The Chalice app (repo root) is packaged by ``chalice.cdk.Chalice`` at synth time and
included as a SAM template; everything it talks to is created here and handed to it
through stage environment variables (chalicelib/config.py reads them lazily).

Names come from chalicelib/resources.py: ``tenantdesk-<stage>-...`` for every resource,
so several stages can share an account and region. app.py subscribes to the inbound
topic and the two consumed queues by *name*; functions.py packages it with
TD_RESOURCE_PREFIX set so those names are the stage's (and checks that they are).

The parts (tables.py, messaging.py, mail_intake.py, watcher.py, identity.py,
functions.py, api_gateway.py, alarms.py) are plain classes that create their resources
in this stack's scope, not child constructs: the logical ids (and so the deployed
resources) stay what they were when all of it lived in this one file.
"""
from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from alarms import Alarms
from api_gateway import Api
from constructs import Construct
from functions import FUNCTIONS, Functions
from identity import Auth
from mail_intake import Mail
from messaging import Messaging
from tables import Tables
from watcher import Watcher

from chalicelib.resources import APP, STAGES, for_stage


class TenantdeskStack(cdk.Stack):
    """Everything for one stage. The construct id is the stage name on purpose:
    chalice.cdk.Chalice takes its Chalice stage name from its scope's path, so
    ``.chalice/config.json``'s dev/prod stage settings apply as well."""

    def __init__(self, scope: Construct, stage: str, *, mail_domain: str | None = None,
                 alarm_email: str | None = None, app_origins: list[str] | None = None,
                 web_app_url: str | None = None, **kwargs: Any) -> None:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}: use one of {STAGES}")
        super().__init__(scope, stage, stack_name=f"{APP}-{stage}",
                         description=f"Tenantdesk complaint handling ({stage})", **kwargs)
        self.stage = stage
        prod = stage == "prod"
        self.names = names = for_stage(stage)

        self.tables = Tables(self, names, prod=prod)
        self.messaging = Messaging(self, names)
        self.mail = Mail(self, names, topic=self.messaging.inbound_topic, mail_domain=mail_domain, prod=prod,
                         thumbnails=self.messaging.thumbnails, app_origins=app_origins)
        self.watcher = Watcher(self, names, watch_tasks=self.messaging.watch_tasks,
                               watch_dead_letters=self.messaging.watch_dead_letters,
                               reminders=self.messaging.reminders)
        self.auth = Auth(self, names, prod=prod, **({"web_app_url": web_app_url} if web_app_url else {}))
        self.functions = Functions(self, names, stage=stage, mail_domain=mail_domain, parts=self)
        self.api = Api(self.functions.chalice)
        m = self.messaging
        self.alarms = Alarms(self, names, alarm_email=alarm_email, watch_dead_letters=m.watch_dead_letters,
                             watch_tasks_dlq=m.watch_tasks_dlq, reminders_dlq=m.reminders_dlq,
                             inbound_mail_failures=m.inbound_mail_failures,
                             watch_stream_failures=m.watch_stream_failures,
                             state_machine=self.watcher.state_machine, functions=FUNCTIONS,
                             chalice=self.functions.chalice)

        cdk.CfnOutput(self, "UserPoolId", value=self.auth.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.auth.client.user_pool_client_id)
        cdk.CfnOutput(self, "AppClientId", value=self.auth.app_client.user_pool_client_id)
        cdk.CfnOutput(self, "HostedUiUrl", value=self.auth.domain.base_url())
        cdk.CfnOutput(self, "MailBucketName", value=self.mail.bucket.bucket_name)
        cdk.CfnOutput(self, "ReceiptRuleSetName", value=self.mail.rule_set.receipt_rule_set_name)
        cdk.CfnOutput(self, "StateMachineArn", value=self.watcher.state_machine.state_machine_arn)
