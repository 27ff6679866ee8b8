"""Every escalation path, run by moto's Step Functions executing the repo's
own ASL file (statemachines/case_watch.asl.json), with the real
``watch_tasks`` handler answering the task tokens.

Time is driven, not slept: the case clock starts in the past (2025), and
when an execution wakes from a Wait the harness moves the clock to the time
the watcher asked to wake at. moto passes a Wait whose timestamp is in the
real past at once, so a three-day window takes milliseconds.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

from chalicelib import config
from chalicelib.adapters.stepfunctions import Watcher
from chalicelib.adapters.watch_stream import stream_filter
from chalicelib.domain.auth import Principal
from chalicelib.domain.cases import iso
from chalicelib.domain.escalation import wake_time as sfn_time
from chalicelib.services.case_watch import WatchService
from devstack.streams import StreamReader, deliver
from tests.conftest import FakeClock

ASL = Path(__file__).resolve().parents[2] / "statemachines" / "case_watch.asl.json"
PAST = datetime(2025, 6, 2, 2, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Shanghai
TENANT = Principal("tenant-1", "tenant", frozenset({"P1"}), name="李女士")
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}), name="前台")
ADMIN = Principal("admin-0", "admin", frozenset({"P1"}))
CONTACTS = {"manager": "manager@riverside.example", "director": "director@riverside.example",
            "on_duty": "control-room@riverside.example", "front_desk": "desk@riverside.example"}


class Harness:
    """Runs the watch queue's tasks through the real handler, moving time."""

    def __init__(self, client, clock, sfn, sqs, queue_url, answers):
        self.client, self.clock, self.sfn, self.sqs, self.queue_url = client, clock, sfn, sqs, queue_url
        self.answers = answers  # (case_id, gen) -> last answer
        self.checks = 0
        # The meta table's stream, from the test's start, to the app's watch_stream handler.
        self.stream = StreamReader(boto3.client("dynamodb", region_name=config.region()),
                                   boto3.client("dynamodbstreams", region_name=config.region()),
                                   config.meta_table(), start="TRIM_HORIZON")

    def drain_stream(self) -> list:
        """Deliver what the stream holds to ``watch_stream``, as Lambda's event
        source mapping does: the watchers the outbox records ask for start."""
        lost = []
        while records := self.stream.read():
            lost += deliver(lambda event, _ctx: self.client.lambda_.invoke("watch_stream", event).payload,
                            records, self.stream.arn, config.region(), None, pattern=stream_filter())
        return lost

    def wake_time(self, task: dict) -> datetime:
        last = self.answers.get((task["case_id"], task["gen"]))
        if last and last.get("until"):
            return max(self.clock.now, datetime.fromisoformat(last["until"].replace("Z", "+00:00")))
        return self.clock.now

    def step(self, timeout: float = 10.0) -> dict | None:
        """Deliver one Check task; returns its task body, or None if none came.
        moto passes every Wait on a past timestamp at once, so several
        executions' Checks can be waiting together: the one due first in case
        time goes first, as it would on AWS."""
        deadline = time.monotonic() + timeout
        swept = False
        messages: list[dict] = []
        while time.monotonic() < deadline:
            self.drain_stream()
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if messages:
                time.sleep(0.2)  # let Checks that are on their way arrive too
                messages += self.sqs.receive_message(QueueUrl=self.queue_url,
                                                     MaxNumberOfMessages=10).get("Messages", [])
                break
            if not swept and time.monotonic() > deadline - timeout / 2:
                # A start can fail (moto's Step Functions occasionally does under
                # concurrent executions): the outbox schedule runs, as on AWS.
                self.client.lambda_.invoke("watch_outbox", self.client.events.generate_cw_event(
                    source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
                swept = True
            time.sleep(0.02)
        else:
            return None
        message = min(messages, key=lambda m: self.wake_time(json.loads(m["Body"])))
        for other in messages:
            if other is not message:
                self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=other["ReceiptHandle"],
                                                   VisibilityTimeout=0)
        task = json.loads(message["Body"])
        self.clock.now = self.wake_time(task)  # its Wait state has just ended: it is that time now
        event = self.client.events.generate_sqs_event(message_bodies=[message["Body"]],
                                                      queue_name="tenantdesk-watch-tasks")
        self.client.lambda_.invoke("watch_tasks", event)
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self.checks += 1
        return task

    def run_until(self, condition, max_checks: int = 30) -> None:
        for _ in range(max_checks):
            if condition():
                return
            assert self.step() is not None, "no Check task arrived"
        assert condition(), f"not reached after {max_checks} checks"

    def executions(self, status=None):
        arn = config.state_machine_arn()
        found = self.sfn.list_executions(stateMachineArn=arn)["executions"]
        return [e for e in found if status is None or e["status"] == status]

    def wait_for_status(self, name: str, status: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["name"] == name and e["status"] == status for e in self.executions()):
                return
            time.sleep(0.05)
        raise AssertionError(f"{name} never reached {status}: {self.executions()}")


@pytest.fixture
def watched(aws, svc, store, mailbox, monkeypatch, tmp_path):
    """The state machine from the repo's ASL, its queues, and the app wired to start it."""
    from moto.core.config import default_user_config

    from chalicelib import runtime
    from devstack.moto_compat import allow_concurrent_executions
    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
    allow_concurrent_executions(monkeypatch.setattr)
    sqs = boto3.client("sqs", region_name=config.region())
    sfn = boto3.client("stepfunctions", region_name=config.region())
    # Queue names unique per test: moto's execution threads outlive its reset,
    # and a previous test's watcher must never post into this test's queue.
    suffix = tmp_path.name[-12:].replace("_", "-")
    queue_url = sqs.create_queue(QueueName=f"watch-tasks-{suffix}")["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName=f"watch-dead-letters-{suffix}")["QueueUrl"]
    arn = sfn.create_state_machine(name="tenantdesk-case-watch", definition=ASL.read_text(encoding="utf-8"),
                                   roleArn="arn:aws:iam::123456789012:role/tenantdesk-case-watch")["stateMachineArn"]
    monkeypatch.setenv("TD_STATE_MACHINE_ARN", arn)
    monkeypatch.setenv("TD_WATCH_QUEUE_URL", queue_url)
    monkeypatch.setenv("TD_WATCH_DLQ_URL", dlq_url)
    clock = FakeClock(PAST)
    svc.clock = clock
    svc._properties.clear()
    svc.watcher = Watcher(lambda: sfn)
    svc.put_property(ADMIN, "P1", {"name": "滨江花园", "email": "service@riverside.example", "contacts": CONTACTS,
                                   "departments": ["engineering", "cleaning"]})
    answers = {}
    original = WatchService.check

    def recording(self, property_id, case_id, gen, **kwargs):
        answer = original(self, property_id, case_id, gen, **kwargs)
        answers[(case_id, gen)] = answer
        return answer

    monkeypatch.setattr(WatchService, "check", recording)
    original_start = Watcher.start

    def recording_start(self, property_id, case_id, gen, *, sleep_until):
        # The starter decided "wait until" itself: the first Check comes then.
        answers[(case_id, gen)] = {"action": "wait", "until": sfn_time(sleep_until)}
        return original_start(self, property_id, case_id, gen, sleep_until=sleep_until)

    monkeypatch.setattr(Watcher, "start", recording_start)
    runtime.reset()
    runtime._service = svc
    runtime.set_clock(clock)
    from chalice.test import Client

    from app import app
    with Client(app, stage_name="local") as client:
        harness = Harness(client, clock, sfn, sqs, queue_url, answers)
        yield harness
    for execution in harness.executions("RUNNING"):
        sfn.stop_execution(executionArn=execution["executionArn"])
    runtime.reset()


def submit(svc, **params):
    body = {"channel": "app", "unit": "3栋1201", "content": "客厅空调不制冷", **params}
    return svc.submit(TENANT, "P1", body, None)[0]


def trail(store, case):
    return [(e.action, e.data) for e in store.events(store.get_case("P1", case.case_id))]


def escalations(store, case):
    return [d for a, d in trail(store, case) if a == "escalate"]


def mail_to(messages):
    return [(str(m["To"]), str(m["Subject"])) for m in messages]


def asl_validator(path: Path):
    import subprocess

    from tests.needs import asl_validator as installed
    command = installed()  # outside CI, a missing npm tool skips only these tests (tests/needs.py)
    return subprocess.run([command, "--json-path", str(path)], capture_output=True, text=True, timeout=60)


def test_asl_file_is_a_valid_state_machine_definition():
    """Checked by a real validator (asl-validator, installed by ./dev test)."""
    result = asl_validator(ASL)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_does_reject_a_broken_definition(tmp_path):
    broken = json.loads(ASL.read_text(encoding="utf-8"))
    broken["States"]["Sleep"]["Next"] = "NoSuchState"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    assert asl_validator(path).returncode != 0


def test_missed_handoff_escalates_to_the_manager_and_mails_them(watched, svc, store, mailbox):
    case = submit(svc)
    assert watched.executions() == []  # the submit only wrote the outbox record
    assert watched.drain_stream() == []  # the table's stream hands it to watch_stream, which starts it
    [execution] = watched.executions()
    assert execution["name"] == f"P1-{case.case_id}-g1"
    watched.run_until(lambda: escalations(store, case))
    [escalation] = escalations(store, case)
    assert escalation["deadline"] == "handoff" and escalation["automatic"]
    assert watched.clock.now == case.deadlines["handoff"].due  # fired on time, not late
    watched.run_until(lambda: mailbox())
    assert mail_to(mailbox()) == [("manager@riverside.example", f"[{case.case_id}] 升级提醒：未在时限内移交责任人")]
    stored = store.get_case("P1", case.case_id)
    assert stored.tier == "manager" and stored.escalations["handoff"]["notified"]
    assert trail(store, case)[-1][0] == "escalation_notified"


def entered_states(harness, name):
    arn = next(e["executionArn"] for e in harness.executions() if e["name"] == name)
    events = harness.sfn.get_execution_history(executionArn=arn)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def test_a_new_case_sleeps_first_and_the_first_check_comes_at_the_deadline(watched, svc, store):
    """The submit has just decided from the stored case that nothing is due
    before the hand-off deadline: the execution sleeps until then instead of
    sending a Check to decide the same."""
    case = submit(svc)
    task = watched.step()
    assert (task["case_id"], task["gen"]) == (case.case_id, 1) and task["started"]  # $$.Execution.StartTime
    assert entered_states(watched, f"P1-{case.case_id}-g1")[:2] == ["Sleep", "Check"]
    assert watched.clock.now == case.deadlines["handoff"].due  # the first look is the deadline itself


def test_a_start_that_does_not_know_the_case_checks_at_once(watched, svc, store):
    """The outbox sweeper has only the ids: its execution's first Check comes now."""
    case = submit(svc)
    assert svc.start_watch("P1", case.case_id, 7)
    watched.run_until(lambda: watched.answers.get((case.case_id, 7), {}).get("action") == "done")
    watched.wait_for_status(f"P1-{case.case_id}-g7", "SUCCEEDED")
    assert entered_states(watched, f"P1-{case.case_id}-g7") == ["Sleep", "Check", "Decide", "Done"]


def test_an_execution_near_the_one_year_limit_hands_over_to_a_new_generation(watched, svc, store):
    """Step Functions ends a Standard execution after a year: a case still
    open after 330 days gets a fresh watcher, recorded on its trail."""
    case = submit(svc)
    service = WatchService(svc, lambda: None, lambda: None)
    young = iso(watched.clock.now - timedelta(days=329))
    assert service.check("P1", case.case_id, 1, started=young)["action"] == "wait"
    old = iso(watched.clock.now - timedelta(days=331))
    assert service.check("P1", case.case_id, 1, started=old) == {"action": "done"}
    stored = store.get_case("P1", case.case_id)
    assert stored.watch_gen == 2 and trail(store, case)[-1] == ("watch_renewed", {"gen": 2, "reason": "execution_age"})
    watched.drain_stream()  # the renewal's outbox record reaches watch_stream
    assert f"P1-{case.case_id}-g2" in [e["name"] for e in watched.executions()]
    assert store.meta_partition("WATCH_OUTBOX", limit=10)[0] == []  # started, so nothing left to sweep
    watched.run_until(lambda: escalations(store, case))  # the new generation watches like the old one
    assert escalations(store, case)[0]["deadline"] == "handoff"


def test_missed_reply_escalates_per_window(watched, svc, store, mailbox):
    case = submit(svc)
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint", "cause": "business_affected",
                                                   "department": "engineering"})
    svc.act(DESK, "P1", case.case_id, "assign", {"assignee": "eng-1"})
    watched.run_until(lambda: escalations(store, case))
    [escalation] = escalations(store, case)
    assert escalation["deadline"] == "response"
    due = store.get_case("P1", case.case_id).deadlines["response"].due
    assert watched.clock.now == due == PAST + timedelta(hours=1)


def test_major_complaint_goes_to_the_manager_at_once_and_not_to_the_director(watched, svc, store, mailbox):
    case = submit(svc)
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint", "severity": "major",
                                                   "department": "engineering"})
    stored = store.get_case("P1", case.case_id)
    assert stored.tier == "manager" and stored.watch_gen == 2  # a new watcher looks at once
    watched.run_until(lambda: mailbox())
    assert [to for to, _ in mail_to(mailbox())] == ["manager@riverside.example"]  # the manager judges (003 4.7.1)
    assert all("重大投诉" in subject for _, subject in mail_to(mailbox()))
    assert watched.clock.now == PAST  # no time had to pass
    # The superseded first watcher ends by itself at its next look.
    watched.run_until(lambda: watched.answers.get((case.case_id, 1), {}).get("action") == "done")
    watched.wait_for_status(f"P1-{case.case_id}-g1", "SUCCEEDED")


def test_missed_callback_after_resolution_escalates(watched, svc, store, mailbox):
    case = submit(svc)
    for action, params in [("classify", {"kind": "request", "department": "engineering"}),
                           ("assign", {"assignee": "eng-1"}), ("respond", {"message": "马上来"}),
                           ("resolve", {"resolution": "已修好"})]:
        svc.act(DESK, "P1", case.case_id, action, params)
    watched.run_until(lambda: escalations(store, case))
    [escalation] = escalations(store, case)
    assert escalation["deadline"] == "callback"
    assert watched.clock.now == PAST + timedelta(hours=3)  # 3 working hours from Monday 10:00


def test_a_call_answered_at_the_desk_before_hand_off_is_never_escalated_for_the_hand_off(watched, svc, store,
                                                                                        mailbox):
    case = submit(svc)  # the watcher sleeps until the 10-minute hand-off deadline
    svc.act(DESK, "P1", case.case_id, "respond", {"message": "物业费可以在App缴纳", "via": "phone"})
    task = watched.step()
    assert (task["case_id"], task["gen"]) == (case.case_id, 1)
    assert watched.clock.now == case.deadlines["handoff"].due  # it looked when the hand-off fell due...
    assert watched.answers[(case.case_id, 1)]["action"] == "wait"  # ...found it met, and went back to sleep
    assert escalations(store, case) == [] and mailbox() == []
    assert store.get_case("P1", case.case_id).tier == "front_desk"


def test_a_call_resolved_on_the_spot_is_watched_for_its_callback_not_its_hand_off(watched, svc, store, mailbox):
    case = submit(svc)
    svc.act(DESK, "P1", case.case_id, "resolve", {"resolution": "已当场为业主重置门禁卡"})
    watched.run_until(lambda: escalations(store, case))
    [escalation] = escalations(store, case)
    assert escalation["deadline"] == "callback"
    assert watched.clock.now == PAST + timedelta(hours=3)  # 3 working hours from Monday 10:00


def test_a_moved_deadline_is_honoured(watched, svc, store):
    case = submit(svc)
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint", "department": "engineering"})
    svc.act(DESK, "P1", case.case_id, "assign", {"assignee": "eng-1"})
    watched.run_until(lambda: watched.answers.get((case.case_id, 1), {}).get("until")
                      == "2025-06-03T02:00:00Z")  # waiting for the 1-working-day reply
    svc.act(DESK, "P1", case.case_id, "classify", {"cause": "equipment_facility"})  # now 3 working days
    # ... while the 1-working-day feedback stays in force beside it (deadlines.tracked_windows)
    watched.run_until(lambda: any(e["deadline"] == "response" for e in escalations(store, case)), max_checks=15)
    found = escalations(store, case)
    assert (found[0]["deadline"], found[0]["due"]) == ("feedback", "2025-06-03T02:00:00.000000Z")
    assert (found[-1]["deadline"], found[-1]["due"]) == ("response", "2025-06-05T02:00:00.000000Z")
    assert watched.clock.now == datetime(2025, 6, 5, 2, 0, tzinfo=timezone.utc)


def test_closing_mid_wait_ends_the_execution_without_escalating(watched, svc, store):
    case = submit(svc)  # the watcher sleeps from its start until the hand-off deadline
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "consultation"})
    svc.act(DESK, "P1", case.case_id, "answer", {"message": "物业费可以在App缴纳"})
    watched.run_until(lambda: watched.answers.get((case.case_id, 1), {}).get("action") == "done")
    watched.wait_for_status(f"P1-{case.case_id}-g1", "SUCCEEDED")
    assert escalations(store, case) == []


def test_after_hours_escalation_goes_to_the_control_room(watched, svc, store, mailbox):
    watched.clock.now = datetime(2025, 6, 1, 18, 0, tzinfo=timezone.utc)  # Monday 02:00 Shanghai
    submit(svc)
    watched.run_until(lambda: mailbox())
    assert [to for to, _ in mail_to(mailbox())] == ["control-room@riverside.example"]


def test_a_lost_start_is_made_good_by_the_outbox(watched, svc, store):
    real = svc.watcher

    class Throttled:
        def start(self, *args):
            raise RuntimeError("ThrottlingException: Rate exceeded")

    svc.watcher = Throttled()
    case = submit(svc)
    lost = watched.drain_stream()  # the stream consumer fails, is retried three times, gives up
    assert [r["eventName"] for r in lost] == ["INSERT"]
    assert watched.executions() == []
    rows, _ = store.meta_partition("WATCH_OUTBOX", limit=10)
    assert [data["case_id"] for _, data in rows] == [case.case_id]
    svc.watcher = real  # the throttling passes; the schedule runs the sweeper
    sweep = watched.client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                    detail={}, resources=[])
    assert watched.client.lambda_.invoke("watch_outbox", sweep).payload["started"] == 0  # still the stream's
    watched.clock.advance(minutes=3)  # past OUTBOX_SWEEP_AGE: the record is the sweeper's now
    watched.client.lambda_.invoke("watch_outbox", sweep)
    assert [e["name"] for e in watched.executions()] == [f"P1-{case.case_id}-g1"]
    assert store.meta_partition("WATCH_OUTBOX", limit=10)[0] == []
    assert WatchService(svc, lambda: None, lambda: None).sweep_outbox() == 0  # nothing left to start
    watched.run_until(lambda: escalations(store, case))  # and it watches like any other


def test_a_retried_start_is_accepted_as_already_started():
    """AWS refuses a second execution of the same name (moto does not, see
    ../shared/README.md), so the start is idempotent by name; this checks we
    treat AWS's refusal as success."""
    class AlreadyExists(Exception):
        pass

    class FakeSfn:
        exceptions = type("E", (), {"ExecutionAlreadyExists": AlreadyExists})
        names: list[str] = []

        def start_execution(self, stateMachineArn, name, input):
            if name in self.names:
                raise AlreadyExists(name)
            self.names.append(name)

    sfn = FakeSfn()
    watcher = Watcher(lambda: sfn)
    for gen in (1, 1, 2):
        watcher.start("P1", "TD-20250602-0001", gen, sleep_until=PAST)
    assert sfn.names == ["P1-TD-20250602-0001-g1", "P1-TD-20250602-0001-g2"]


def test_a_check_that_keeps_failing_is_retried_then_dead_lettered_and_watching_goes_on(watched, svc, store,
                                                                                        monkeypatch):
    """Slow (about 80 s of moto's real retry intervals: 5, 10, 20, 40 s)."""
    case = submit(svc)

    def broken(self, *args):
        raise RuntimeError("DynamoDB is down")

    monkeypatch.setattr(WatchService, "check", broken)
    for attempt in range(5):  # the first try and the four retries of the ASL's Retry
        assert watched.step(timeout=60) is not None, f"attempt {attempt + 1} never came"
    dlq = config.watch_dead_letter_url()
    deadline = time.monotonic() + 30
    messages = []
    while not messages and time.monotonic() < deadline:
        messages = watched.sqs.receive_message(QueueUrl=dlq).get("Messages", [])
        time.sleep(0.2)
    [message] = messages
    parked = json.loads(message["Body"])
    assert parked["case_id"] == case.case_id and parked["error"]["Error"] == "WatchCheckFailed"
    assert watched.executions("RUNNING")  # it waits and then checks again: the case stays watched


def test_a_closed_case_reopened_within_the_period_is_watched_again_and_its_new_window_escalates(
        watched, svc, store, mailbox):
    case = submit(svc)
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "consultation"})
    svc.act(DESK, "P1", case.case_id, "answer", {"message": "物业费可以在App缴纳"})
    watched.run_until(lambda: watched.answers.get((case.case_id, 1), {}).get("action") == "done")
    watched.wait_for_status(f"P1-{case.case_id}-g1", "SUCCEEDED")  # closed: nobody watches it
    watched.clock.now = PAST + timedelta(days=2)
    reopened = svc.act(TENANT, "P1", case.case_id, "reopen", {"reason": "App里找不到缴费入口"})
    assert reopened.status == "in_progress" and reopened.watch_gen == 2
    watched.run_until(lambda: escalations(store, case))
    [escalation] = escalations(store, case)
    assert escalation["deadline"] == "response"  # the new 10-minute window, not the old hand-off
    assert watched.clock.now == PAST + timedelta(days=2, minutes=10)


# --- nights, weekends and department managers (issue 13, items 4 and 6) ---------------------------
SATURDAY_0200 = datetime(2025, 6, 6, 18, 0, tzinfo=timezone.utc)  # Saturday 7 June 2025, 02:00 in Shanghai
MONDAY_0800 = datetime(2025, 6, 9, 0, 0, tzinfo=timezone.utc)
MONDAY_1000 = datetime(2025, 6, 9, 2, 0, tzinfo=timezone.utc)
DIGEST = "夜间升级汇总"


def test_a_case_received_at_2am_on_saturday_mails_only_the_control_room_and_climbs_again_on_monday(
        watched, svc, store, mailbox):
    watched.clock.now = SATURDAY_0200
    case = submit(svc)
    watched.run_until(lambda: mailbox())
    assert watched.clock.now == SATURDAY_0200 + timedelta(minutes=10)  # the on-duty desk's hand-off window
    assert [to for to, _ in mail_to(mailbox())] == ["control-room@riverside.example"]
    stored = store.get_case("P1", case.case_id)
    assert stored.tier == "manager" and stored.escalations["handoff"]["deferred_to"] == "manager@riverside.example"
    # The manager's two hours count working time: nobody is raised over during the weekend.
    watched.run_until(lambda: len(escalations(store, case)) >= 2, max_checks=10)
    assert watched.clock.now == MONDAY_1000
    assert store.get_case("P1", case.case_id).tier == "director"
    watched.run_until(lambda: len(mailbox()) >= 2)
    assert mail_to(mailbox())[1][0] == "director@riverside.example"  # in working time: the director, directly


def test_the_manager_gets_the_weekends_escalations_in_one_digest_with_mondays_first_handover(
        watched, svc, store, mailbox):
    from chalicelib import runtime
    watched.clock.now = SATURDAY_0200
    case = submit(svc)
    watched.run_until(lambda: mailbox())
    for _ in range(2):  # the hourly job runs again: the digest is not sent twice
        runtime.reports().run_due(MONDAY_0800 + timedelta(minutes=5), ["P1"])
    digests = [(to, subject) for to, subject in mail_to(mailbox()) if DIGEST in subject]
    assert [to for to, _ in digests] == ["manager@riverside.example"]
    [message] = [m for m in mailbox() if DIGEST in str(m["Subject"])]
    assert case.case_id in message.get_body(("plain",)).get_content()


def test_a_major_complaint_at_2am_on_saturday_reaches_its_department_manager_at_once_and_the_director_on_monday(
        watched, svc, store, mailbox):
    svc.put_property(ADMIN, "P1", {"name": "滨江花园", "email": "service@riverside.example", "contacts": CONTACTS,
                                   "departments": ["engineering", "cleaning"],
                                   "department_contacts": {"engineering": {
                                       "manager": "eng-manager@riverside.example"}}})
    watched.clock.now = SATURDAY_0200
    case = submit(svc)
    svc.act(DESK, "P1", case.case_id, "classify", {"kind": "complaint", "severity": "major",
                                                   "department": "engineering"})
    svc.act(DESK, "P1", case.case_id, "assign", {"assignee": "eng-1"})
    watched.run_until(lambda: len(mailbox()) >= 2)
    assert watched.clock.now == SATURDAY_0200  # urgent: at once, through the on-duty desk (000 篇3 3.3)
    assert sorted(to for to, _ in mail_to(mailbox())) == ["control-room@riverside.example",
                                                          "eng-manager@riverside.example"]
    # Nobody judged it (no manager acted): the director takes it after the step, in working time.
    watched.run_until(lambda: escalations(store, case), max_checks=10)
    assert watched.clock.now == MONDAY_1000
    assert escalations(store, case)[0]["reason"] == "major_not_judged"
    watched.run_until(lambda: len(mailbox()) >= 3)
    assert mail_to(mailbox())[2][0] == "director@riverside.example"


# --- the promised time and waiting on the tenant (issue 13) ------------------------------

def promised(svc, clock, hours_ahead: int):
    """A complaint handed on and answered at once, promising the tenant a time
    ``hours_ahead`` of now (Shanghai, on the day)."""
    case = submit(svc)
    ids = ("P1", case.case_id)
    svc.act(DESK, *ids, "classify", {"kind": "complaint", "cause": "equipment_facility", "department": "engineering"})
    svc.act(DESK, *ids, "assign", {"assignee": "eng-1"})
    due = clock.now + timedelta(hours=hours_ahead)
    return svc.act(DESK, *ids, "respond", {"message": "下午上门", "promised_by": due.isoformat()}), due


def test_a_missed_promise_reminds_the_owner_before_and_escalates_after(watched, svc, store, mailbox):
    case, due = promised(svc, watched.clock, 4)
    watched.run_until(lambda: [e for e in escalations(store, case) if e["deadline"] == "promise"])
    assert watched.clock.now == due  # fired on time
    notices = [d for a, d in trail(store, case) if a == "watch_notice"]
    assert notices == [{"notice": "promise_reminder", "due": iso(due)}]
    watched.run_until(lambda: len(mailbox()) >= 2)
    assert mail_to(mailbox()) == [
        ("desk@riverside.example", f"[{case.case_id}] 提醒：告知业主的解决时间将到"),
        ("manager@riverside.example", f"[{case.case_id}] 升级提醒：未在告知业主的时间内解决")]


def test_a_paused_promise_does_not_fire_while_waiting_and_fires_later_by_the_wait(watched, svc, store):
    case, due = promised(svc, watched.clock, 4)
    watched.clock.now += timedelta(hours=1)
    svc.act(DESK, "P1", case.case_id, "await_tenant", {"reason": "access", "message": "请问几点方便入户？"})
    watched.step()  # the look planned for the reminder: the case is waiting, nothing fires
    assert not escalations(store, case) and not [a for a, _ in trail(store, case) if a == "watch_notice"]
    watched.clock.now = due + timedelta(hours=1)  # the tenant answers an hour after the old promise: 4 hours waited
    svc.act(TENANT, "P1", case.case_id, "message", {"text": "明天上午十点可以"})
    watched.run_until(lambda: [e for e in escalations(store, case) if e["deadline"] == "promise"])
    assert watched.clock.now == due + timedelta(hours=4)
    stored = store.get_case("P1", case.case_id)
    assert stored.escalations["tenant_answered"]["notified"]  # the answer reached the owner as a new item


def test_a_case_waiting_on_the_tenant_too_long_comes_back_to_the_front_desk_at_the_waits_end(
        watched, svc, store, mailbox):
    case = submit(svc)
    ids = ("P1", case.case_id)
    svc.act(DESK, *ids, "classify", {"kind": "complaint", "cause": "equipment_facility", "department": "engineering"})
    svc.act(DESK, *ids, "assign", {"assignee": "eng-1"})
    svc.act(DESK, *ids, "start", {})  # no reply yet, so no promised time: the wait is all that runs out
    waiting = svc.act(DESK, *ids, "await_tenant", {"reason": "access", "message": "请问几点方便入户？"})
    assert waiting.status == "awaiting_tenant"
    ends = waiting.deadlines["waiting"].due
    assert ends == datetime(2025, 6, 5, 2, 0, tzinfo=timezone.utc)  # 3 working days from Monday 10:00
    watched.run_until(lambda: [a for a, _ in trail(store, case) if a == "watch_notice"], max_checks=10)
    assert watched.clock.now == ends  # at the wait's end, not before and not at a later heartbeat
    stored = store.get_case(*ids)
    assert stored.status == "in_progress" and stored.pause is None  # back to what it was when it began to wait
    notices = [d for a, d in trail(store, case) if a == "watch_notice"]
    assert [n["notice"] for n in notices] == ["awaiting_tenant_expired"]
    watched.run_until(lambda: mailbox())
    assert mail_to(mailbox()) == [("desk@riverside.example", f"[{case.case_id}] 提醒：等待业主回复超时，转回前台")]
    assert stored.tier == "front_desk" and not escalations(store, case)  # a notice, nobody raised
    # Its windows run again, moved by the three working days waited: the 1-working-day feedback is next.
    watch = (case.case_id, store.get_case(*ids).watch_gen)
    assert watched.answers[watch] == {"action": "wait", "until": "2025-06-06T02:00:00Z"}
