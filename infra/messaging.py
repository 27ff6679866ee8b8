"""SQS queues and the inbound-mail SNS topic."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from nag_util import suppress

from chalicelib.resources import ResourceNames


class Messaging:
    """The watch and reminder queues with their dead-letter queues, the two failure queues
    an operator inspects, and the topic SES notifies (app.inbound_mail subscribes to it).
    Created in the stack's scope: logical ids stay the deployed ones."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames) -> None:
        def queue(cid: str, name: str, *, dlq: sqs.IQueue | None = None, visibility=Duration.seconds(60),
                  retention=Duration.days(4)) -> sqs.Queue:
            return sqs.Queue(
                stack, cid, queue_name=name, encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True, visibility_timeout=visibility, retention_period=retention,
                dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=dlq) if dlq else None,
                removal_policy=RemovalPolicy.DESTROY)

        # Where the state machine parks checks that failed every retry (TD_WATCH_DLQ_URL).
        self.watch_dead_letters = queue("WatchDeadLetters", names.watch_dead_letters,
                                        retention=Duration.days(14))
        # Redrive targets for the queues a Lambda consumes.
        self.watch_tasks_dlq = queue("WatchTasksDlq", names.watch_queue_dlq, retention=Duration.days(14))
        self.reminders_dlq = queue("RemindersDlq", names.reminder_queue_dlq, retention=Duration.days(14))
        # Lambda's default timeout under Chalice is 60 s; the visibility timeout covers it
        # (AWS recommends 6x the function timeout for SQS event sources).
        self.watch_tasks = queue("WatchTasks", names.watch_queue, dlq=self.watch_tasks_dlq,
                                 visibility=Duration.minutes(6))
        self.reminders = queue("Reminders", names.reminder_queue, dlq=self.reminders_dlq,
                               visibility=Duration.minutes(6))
        # S3 ObjectCreated notifications of stored attachments (infra/mail_intake.py) ->
        # app's make_thumbnails; a notification it keeps failing on is parked for a look.
        self.thumbnails_dlq = queue("ThumbnailsDlq", names.thumbnail_queue_dlq, retention=Duration.days(14))
        self.thumbnails = queue("Thumbnails", names.thumbnail_queue, dlq=self.thumbnails_dlq,
                                visibility=Duration.minutes(6))
        # SNS invokes inbound_mail asynchronously: Lambda tries an event three times (1 + 2
        # retries) and then drops it unless the function has an on-failure destination.
        # Here the failed event lands with its error (the SNS notification is in
        # requestPayload); an alarm fires on the first one (replay: infra/README.md).
        self.inbound_mail_failures = queue("InboundMailFailures", names.inbound_mail_failures,
                                           retention=Duration.days(14))
        suppress(self.inbound_mail_failures, ("AwsSolutions-SQS3", "This queue is itself the "
                 "on-failure destination of the inbound_mail Lambda (a Lambda destination, not an SQS "
                 "redrive, so cdk-nag cannot see it); nothing consumes it: an alarm fires on the first "
                 "message and an operator replays it."))
        # The watch_stream consumer's on-failure destination: a stream batch it failed on after
        # every retry is described here (shard, sequence numbers); the outbox sweep starts those
        # watchers anyway, the alarm says the stream path is failing.
        self.watch_stream_failures = queue("WatchStreamFailures", names.watch_stream_failures,
                                           retention=Duration.days(14))
        suppress(self.watch_stream_failures, ("AwsSolutions-SQS3", "This queue is itself the "
                 "on-failure destination of the watch_stream event source mapping (not an SQS redrive, so "
                 "cdk-nag cannot see it); nothing consumes it: an alarm fires on the first message."))
        suppress(self.watch_dead_letters, ("AwsSolutions-SQS3", "This queue is itself the dead-letter "
                 "queue of the case watcher (its DeadLetter state sends here, not an SQS redrive, so "
                 "cdk-nag cannot see it); nothing consumes it: an alarm fires on the first message and "
                 "an operator inspects it."))

        # SES -> topic -> inbound_mail Lambda.
        self.inbound_topic = sns.Topic(stack, "InboundMailTopic", topic_name=names.inbound_topic,
                                       display_name="Tenantdesk inbound mail", enforce_ssl=True)
        self.inbound_topic.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowSesPublish", actions=["sns:Publish"],
            principals=[iam.ServicePrincipal("ses.amazonaws.com")],
            resources=[self.inbound_topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}}))
