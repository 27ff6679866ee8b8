"""Mail intake: the bucket for raw inbound mail and attachments, and SES receiving."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from aws_cdk import aws_sns as sns
from nag_util import suppress

from chalicelib.resources import ResourceNames


class Mail:
    """The mail bucket (CloudFormation names it: bucket names are global) and an SES rule
    set with one rule that stores mail under ``inbound/`` and notifies the inbound topic.
    Created in the stack's scope: logical ids stay the deployed ones."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames, *, topic: sns.ITopic,
                 mail_domain: str | None, prod: bool) -> None:
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
            ],
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
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
