"""CloudWatch alarms, all to one SNS topic (optionally mailed to an operator)."""
from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn

from chalicelib.resources import APP, ResourceNames


class Alarms:
    """Any message in a dead-letter or failure queue, a failed watcher execution, an
    escalation that reached nobody, API 5XX, Lambda errors per function, and the
    watch_stream consumer's iterator age. Created in
    the stack's scope: logical ids stay the deployed ones."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames, *, alarm_email: str | None,
                 watch_dead_letters: sqs.Queue, watch_tasks_dlq: sqs.Queue, reminders_dlq: sqs.Queue,
                 inbound_mail_failures: sqs.Queue, watch_stream_failures: sqs.Queue, state_machine: sfn.StateMachine,
                 functions: dict[str, str], chalice: Any) -> None:
        self.topic = sns.Topic(stack, "AlarmTopic", topic_name=names.alarm_topic, enforce_ssl=True)
        if alarm_email:
            sns.Subscription(stack, "AlarmEmail", topic=self.topic, protocol=sns.SubscriptionProtocol.EMAIL,
                             endpoint=alarm_email)
        action = cw_actions.SnsAction(self.topic)

        def alarm(cid: str, metric: cw.IMetric, description: str) -> cw.Alarm:
            a = cw.Alarm(stack, cid, metric=metric, threshold=0, evaluation_periods=1,
                         comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                         treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                         alarm_description=description)
            a.add_alarm_action(action)
            return a

        minute = Duration.minutes(1)
        five = Duration.minutes(5)
        alarm("WatchDeadLettersAlarm", watch_dead_letters.metric_approximate_number_of_messages_visible(
            period=five, statistic="Maximum"), "A case watcher's check failed after every retry.")
        for cid, q in (("WatchTasksDlqAlarm", watch_tasks_dlq), ("RemindersDlqAlarm", reminders_dlq)):
            alarm(cid, q.metric_approximate_number_of_messages_visible(period=five, statistic="Maximum"),
                  f"Messages the Lambda could not process landed in {q.node.id}.")
        alarm("InboundMailFailuresAlarm", inbound_mail_failures.metric_approximate_number_of_messages_visible(
            period=five, statistic="Maximum"),
              f"An inbound mail failed intake three times; it waits in {names.inbound_mail_failures}.")
        alarm("WatchStreamFailuresAlarm", watch_stream_failures.metric_approximate_number_of_messages_visible(
            period=five, statistic="Maximum"),
              f"The watch_stream consumer gave up on stream records (see {names.watch_stream_failures}); "
              "the outbox sweep starts those watchers, but every start now waits for it.")
        # The stream consumer falling behind: its oldest unprocessed record's age. A healthy
        # consumer keeps it near a second; a minute means watchers start late (or the sweep does).
        stream_fn = chalice.get_resource(functions["watch_stream"]).ref
        iterator_age = cw.Alarm(
            stack, "WatchStreamIteratorAgeAlarm", threshold=60_000, evaluation_periods=3,
            metric=cw.Metric(namespace="AWS/Lambda", metric_name="IteratorAge",
                             dimensions_map={"FunctionName": stream_fn}, period=minute, statistic="Maximum"),
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description="The watch_stream consumer is more than a minute behind the meta table's stream "
                              "for three minutes: case watchers start late.")
        iterator_age.add_alarm_action(action)
        alarm("EscalationNoRecipientAlarm", cw.Metric(namespace="Tenantdesk", metric_name="EscalationNoRecipient",
                                                       dimensions_map={"service": APP}, period=five,
                                                       statistic="Sum"),
              "An escalation found nobody to tell (a property's contacts are missing): see the case's trail.")
        alarm("CaseWatchFailedAlarm", state_machine.metric_failed(period=five, statistic="Sum"),
              "A case watcher execution failed: that case is no longer watched.")
        alarm("Api5xxAlarm", cw.Metric(namespace="AWS/ApiGateway", metric_name="5XXError",
                                        dimensions_map={"ApiName": APP, "Stage": "v1"},
                                        period=five, statistic="Sum"),
              "The API answered 5XX.")
        for name, logical in functions.items():
            fn_name = chalice.get_resource(logical).ref
            alarm(f"{logical}ErrorsAlarm", cw.Metric(namespace="AWS/Lambda", metric_name="Errors",
                                                      dimensions_map={"FunctionName": fn_name},
                                                      period=minute if name == "api_handler" else five,
                                                      statistic="Sum"),
                  f"The {name} Lambda function raised errors.")
