"""The case watcher (Step Functions) and EventBridge Scheduler for callback reminders."""
from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from nag_util import suppress

from chalicelib.resources import ResourceNames

ASL_FILE = Path(__file__).resolve().parents[1] / "statemachines" / "case_watch.asl.json"


class Watcher:
    """The schedule group and the role Scheduler delivers reminders with; the case-watch
    state machine, from the same ASL file the tests run, with a role that may only send to
    its two queues. Created in the stack's scope: logical ids stay the deployed ones."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames, *, watch_tasks: sqs.IQueue,
                 watch_dead_letters: sqs.IQueue, reminders: sqs.IQueue) -> None:
        self.schedule_group_name = names.schedule_group
        self.schedule_group = scheduler.CfnScheduleGroup(stack, "ScheduleGroup", name=names.schedule_group)
        self.scheduler_role = iam.Role(
            stack, "SchedulerRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account}}),
            description="EventBridge Scheduler: deliver callback reminders to the reminders queue")
        self.scheduler_role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"], resources=[reminders.queue_arn]))

        self.sfn_role = iam.Role(stack, "CaseWatchRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                                 description="Case watcher: only sqs:SendMessage to its two queues")
        self.sfn_role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"],
            resources=[watch_tasks.queue_arn, watch_dead_letters.queue_arn]))
        self.state_machine = sfn.StateMachine(
            stack, "CaseWatch", state_machine_name=names.state_machine,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(ASL_FILE.read_text(encoding="utf-8")),
            role=self.sfn_role, removal_policy=RemovalPolicy.DESTROY)
        suppress(self.state_machine,
                 ("AwsSolutions-SF1", "The role is deliberately limited to sqs:SendMessage on two "
                  "queues; CloudWatch Logs delivery needs logs:*Delivery on '*'. Standard workflows "
                  "keep each execution's full history for 90 days, and the ExecutionsFailed alarm "
                  "and the dead-letter queue alarm cover failures."),
                 ("AwsSolutions-SF2", "X-Ray would need xray:Put* on '*' in the deliberately minimal "
                  "role; the watcher's work is traced in the Lambda that answers the task token."))
