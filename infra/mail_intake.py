"""Mail intake: the bucket for raw inbound mail and attachments, and SES receiving."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from nag_util import suppress

from chalicelib.resources import ResourceNames


class Mail:
    """The mail bucket (CloudFormation names it: bucket names are global) and an SES rule
    set with one rule that stores mail under ``inbound/`` and notifies the inbound topic.
    The same bucket takes photo uploads: browsers POST them under ``uploads/`` (presigned
    by the API; CORS allows the app's origins), checked ones are copied under
    ``attachments/``, and every object stored there is announced on the thumbnail queue.
    Created in the stack's scope: logical ids stay the deployed ones."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames, *, topic: sns.ITopic,
                 mail_domain: str | None, prod: bool, thumbnails: sqs.IQueue,
                 app_origins: list[str] | None = None) -> None:
        # The origins a browser posts uploads from: the app's own (-c app_origins=https://app.example.com,...),
        # else any API Gateway origin of this region (the console is served by the API). CORS only lets a
        # browser read S3's answer; what may be stored is decided by the presigned POST's policy.
        origins = app_origins or [f"https://*.execute-api.{stack.region}.amazonaws.com"]
        self.bucket = s3.Bucket(
            stack, "MailBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True, versioned=False,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="inbound-expire", prefix="inbound/", expiration=Duration.days(365)),
                s3.LifecycleRule(id="attachments-ia", prefix="attachments/", transitions=[
                    s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                                  transition_after=Duration.days(30))]),
                # Staged uploads: a checked one is copied under attachments/ at once; one never
                # completed (or never posted) is gone the next day.
                s3.LifecycleRule(id="uploads-expire", prefix="uploads/", expiration=Duration.days(1),
                                 abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.POST], allowed_origins=origins,
                              allowed_headers=["*"], max_age=3000),
                  s3.CorsRule(allowed_methods=[s3.HttpMethods.GET], allowed_origins=origins, max_age=3000)],
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        # Thumbnails: every object stored under attachments/ (a mail's, a checked upload's) is
        # announced on the queue app.make_thumbnails consumes. (Chalice's on_s3_event cannot
        # change the notifications of a bucket it did not create; CDK's notification custom
        # resource can, and grants S3 SendMessage on the queue for this bucket only.)
        self.bucket.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.SqsDestination(thumbnails),
                                           s3.NotificationKeyFilter(prefix="attachments/"))
        handler = next(c for c in stack.node.children if c.node.id.startswith("BucketNotificationsHandler"))
        suppress(handler, ("AwsSolutions-IAM4", "CDK's own bucket-notifications custom resource (it sets the "
                           "mail bucket's S3 -> SQS notification at deploy time): its role has only the basic "
                           "Lambda execution policy besides s3:PutBucketNotification."),
                 ("AwsSolutions-IAM5", "CDK's bucket-notifications custom resource: s3:PutBucketNotification "
                  "on the buckets it manages; CDK generates the policy."),
                 ("AwsSolutions-L1", "CDK's bucket-notifications custom resource: CDK pins its runtime."),
                 children=True)
        suppress(self.bucket, ("AwsSolutions-S1", "Access to mail objects is by the Lambda roles "
                 "only and is recorded by CloudTrail; a separate access-log bucket adds cost and a "
                 "second bucket to govern without adding an audit trail we would read."))

        # SES receiving: rule set with one rule, S3 action (+ SNS notification).
        self.rule_set = ses.ReceiptRuleSet(stack, "ReceiptRuleSet", receipt_rule_set_name=names.receipt_rule_set)
        self.rule_set.add_rule(
            "StoreInbound",
            receipt_rule_name=names.receipt_rule,
            recipients=[mail_domain] if mail_domain else None,
            scan_enabled=True,
            # OPTIONAL: a tenant's mail server without TLS must still reach us; a complaint
            # bounced for transport reasons is a complaint lost.
            tls_policy=ses.TlsPolicy.OPTIONAL,
            actions=[ses_actions.S3(bucket=self.bucket, object_key_prefix="inbound/", topic=topic)],
        )
