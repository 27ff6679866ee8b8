"""Step Functions: starts a case's watcher execution (statemachines/case_watch.asl.json).

Why a task token over SQS and not a Lambda task: the ``Check`` state hands
its token to a queue, and a worker answers with ``SendTaskSuccess``. On AWS the
worker is the Chalice ``on_sqs_message`` handler ``watch_tasks``; locally the
same handler is fed by the local stack's poller. moto can run this pattern
end to end without Docker (it cannot run a Lambda task), so the tests and the
local stack exercise the very ASL file infra deploys, with no moto internals
patched. On AWS it is a standard pattern too.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib import config
from chalicelib.adapters.aws_names import bounded_name
from chalicelib.domain.escalation import wake_time

# Step Functions execution names: 1-80 characters, none of whitespace, brackets, ? * " # % \ ^ | ~ ` $ & , ; : /
# or control characters. A property id may be 64 characters (web._PROPERTY_ID): a longer name would be refused
# at every start, and the case never watched; other characters are replaced all the same, should ids ever widen.
NAME_MAX = 80
NAME_CHARS = "0-9A-Za-z_.@-"


def execution_name(property_id: str, case_id: str, gen: int) -> str:
    """Deterministic, so a retried start can never make a second execution
    (Step Functions refuses a second execution of the same name). A name that
    would not be valid gets a readable prefix and a hash of the whole instead
    (aws_names.bounded_name); plain ids keep the names executions already have."""
    return bounded_name((property_id, case_id), allowed=NAME_CHARS, max_len=NAME_MAX, suffix=f"-g{gen}",
                        hashed=(property_id, case_id, str(gen)))


class Watcher:
    """Starts executions of the case-watch state machine."""

    def __init__(self, sfn: Callable[[], Any]):
        self._sfn = sfn

    def start(self, property_id: str, case_id: str, gen: int, *, sleep_until: datetime) -> None:
        """The execution starts in its Sleep state: its first Check comes at
        ``sleep_until``. A starter that has just stored the case passes the
        time its own decision says nothing is due before (no Check round trip
        to decide the same); one that does not know the case passes now."""
        client = self._sfn()
        decision = {"action": "wait", "until": wake_time(sleep_until)}
        payload = {"property_id": property_id, "case_id": case_id, "gen": gen, "decision": decision,
                   "queue_url": config.watch_queue_url(), "dead_letter_url": config.watch_dead_letter_url()}
        try:
            client.start_execution(stateMachineArn=config.state_machine_arn(),
                                   name=execution_name(property_id, case_id, gen), input=json.dumps(payload))
        except client.exceptions.ExecutionAlreadyExists:
            pass  # started before (a retry, or the sweeper racing the request): that is the goal
