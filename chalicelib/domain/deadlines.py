"""Response deadlines promised by the operator's procedure.

Every deadline is computed in the property's own time zone against a
working-day calendar (weekends, public holidays and China-style make-up
working days). Domain code never reads the clock: callers pass every instant
in. All datetimes must be timezone-aware; every result is in UTC.

Conventions (see the tests for worked examples):

* ``minutes`` / ``hours`` are plain elapsed time: the on-duty desk works around
  the clock, so these are computed in UTC and are exact across DST changes.
* ``working_days`` first moves the start into working time, then steps that
  many working days forward keeping the local time of day.
* ``working_hours`` counts only time inside ``[work_start, work_end)`` on
  working days. A count that runs out exactly at ``work_end`` is due at close
  of business that day (Fri 15:00 + 3 working hours = Fri 18:00), which is how
  a tenant reads the promise. Every ``working_*`` deadline therefore lies on a
  working day within ``[work_start, work_end]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain.errors import ValidationFailed

UNITS = ("minutes", "hours", "working_hours", "working_days")
WINDOW_NAMES = (
    "handoff",
    "consultation",
    "reply_business_affected",
    "reply_outside_control",
    "reply_equipment_facility",
    "feedback",
    "callback",
    # The time a response promises the tenant (``promise``) is at most this far
    # ahead unless the category has its own limit (``promise_by_category``);
    # ``awaiting_tenant``: how long a case may wait on the tenant before it
    # comes back to the front desk (chalicelib/domain/cases.py, ``await_tenant``).
    "promise",
    "awaiting_tenant",
)
# The commercial-property plan's steps (seed 002: acknowledge within 30 min,
# diagnose within 2 h, tell the tenant the plan within 4 h). Off unless a
# property's policy turns them on, through ``preset: "commercial"`` or its
# ``windows``. What meets each one is ``tracked_windows``'s docstring.
OPTIONAL_WINDOW_NAMES = ("acknowledge", "diagnosis", "plan")
POLICY_KEYS = frozenset(
    {"timezone", "weekend", "holidays", "extra_working_days", "work_start", "work_end", "windows",
     "escalation_step", "handover_times", "reopen_period", "preset", "promise_by_category", "promise_reminder",
     "callback_attempts"}
)
# Callback attempts a property may require before a manager may close a case as unreachable.
MAX_CALLBACK_ATTEMPTS = 20
# A property hands over a few times a day at most; more is a typo, not a roster.
MAX_HANDOVERS = 6
# Bounds the work add_window can be asked to do; no real procedure promises
# more than this in any unit, and a typo like 1e9 must not hang a request.
MAX_AMOUNT = 100_000
# A calendar with no working day in ten years is broken, not merely sparse;
# stop scanning instead of looping forever.
MAX_SCAN_DAYS = 3660

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_RE = re.compile(r"\d{2}:\d{2}(:\d{2})?")


@cache
def _zone(name: str) -> ZoneInfo:
    """Loaded zones are cached: Policy is frozen, so it cannot cache on itself."""
    return ZoneInfo(name)


@dataclass(frozen=True)
class Window:
    """A promised response time: ``amount`` of ``unit`` (one of UNITS)."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        # Catch programming errors at construction; from_dict reports the same
        # problems to API callers as ValidationFailed before we get here.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError(f"window amount must be a positive int, got {self.amount!r}")
        if self.unit not in UNITS:
            raise ValueError(f"window unit must be one of {UNITS}, got {self.unit!r}")


# A preset is a named set of window defaults; the property's own ``windows``
# still override it. "standard" is the mall/residential procedure (seed 003);
# "commercial" adds the commercial-property plan's three steps (seed 002).
PRESETS: dict[str, dict[str, Window]] = {
    "standard": {},
    "commercial": {"acknowledge": Window(30, "minutes"), "diagnosis": Window(2, "hours"),
                   "plan": Window(4, "hours")},
}


@dataclass(frozen=True)
class Policy:
    """A property's calendar and the response windows it promises.

    ``extra_working_days`` are working days even when they fall on a weekend;
    ``holidays`` are never working days, whatever else says.

    Two parts of the escalation procedure vary by property too, so they live
    here and not as module constants: ``escalation_step``, how long a higher
    tier has to act on a missed deadline before the next tier hears of it
    (chalicelib/domain/escalation.py), and ``handover_times``, the property-local times
    customer service and the control room hand over (chalicelib/domain/handover.py):
    a mall staffed 10:00-22:00 hands over at 10:00 and 22:00.
    """

    timezone: str = "Asia/Shanghai"
    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    work_start: time = time(8, 0)
    work_end: time = time(18, 0)
    handoff: Window = Window(10, "minutes")
    consultation: Window = Window(10, "minutes")
    reply_business_affected: Window = Window(1, "hours")
    reply_outside_control: Window = Window(2, "working_days")
    reply_equipment_facility: Window = Window(3, "working_days")
    feedback: Window = Window(1, "working_days")
    callback: Window = Window(3, "working_hours")
    escalation_step: Window = Window(2, "hours")
    handover_times: tuple[time, ...] = (time(8, 0), time(18, 0))
    # How long after closing a tenant whose problem is back may reopen the case;
    # later, the new case links to the old one as a repeat (chalicelib/domain/cases.py).
    reopen_period: Window = Window(7 * 24, "hours")
    preset: str = "standard"
    acknowledge: Window | None = None
    diagnosis: Window | None = None
    plan: Window | None = None
    # The operator's procedure (seed 001, 003 4.7.1): a response that does not
    # resolve tells the tenant when it will be solved. ``promise`` is the
    # default limit of that time, ``promise_by_category`` overrides it per
    # category (as (category, window) pairs: the policy is frozen); the owner
    # is reminded ``promise_reminder`` (minutes or hours) before it.
    promise: Window = Window(3, "working_days")
    promise_by_category: tuple[tuple[str, Window], ...] = ()
    promise_reminder: Window = Window(2, "hours")
    awaiting_tenant: Window = Window(3, "working_days")
    # Unanswered follow-up calls before a manager may close as "unreachable".
    callback_attempts: int = 3

    def promise_limit(self, category: str | None) -> Window:
        """The furthest a promise to the tenant may lie for a case of ``category``."""
        return dict(self.promise_by_category).get(category or "", self.promise)

    @property
    def promise_reminder_lead(self) -> timedelta:
        """How long before a promised time the owner is reminded of it."""
        return timedelta(minutes=self.promise_reminder.amount * (60 if self.promise_reminder.unit == "hours" else 1))

    @property
    def tz(self) -> ZoneInfo:
        """The property's time zone."""
        return _zone(self.timezone)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Policy:
        """Build a policy from its JSON shape, overriding the defaults.

        Every key is optional. Anything malformed raises
        ``ValidationFailed(code="invalid_policy", details={"field": ...})``.
        """
        if d is None:
            return cls()
        if not isinstance(d, dict):
            _invalid("policy", "policy must be an object")
        for key in d:
            if key not in POLICY_KEYS:
                _invalid(str(key), f"unknown policy key {key!r}")

        kwargs: dict[str, Any] = {}
        if "preset" in d:
            if d["preset"] not in PRESETS:
                _invalid("preset", f"preset must be one of {', '.join(PRESETS)}")
            kwargs["preset"] = d["preset"]
            kwargs.update(PRESETS[d["preset"]])
        if "timezone" in d:
            kwargs["timezone"] = _parse_timezone(d["timezone"])
        if "weekend" in d:
            kwargs["weekend"] = _parse_weekend(d["weekend"])
        for key in ("holidays", "extra_working_days"):
            if key in d:
                kwargs[key] = _parse_dates(key, d[key])
        for key in ("work_start", "work_end"):
            if key in d:
                kwargs[key] = _parse_time(key, d[key])
        if "windows" in d:
            kwargs.update(_parse_windows(d["windows"]))
        if "escalation_step" in d:
            kwargs["escalation_step"] = _parse_window("escalation_step", d["escalation_step"])
        if "handover_times" in d:
            kwargs["handover_times"] = _parse_handover_times(d["handover_times"])
        if "reopen_period" in d:
            kwargs["reopen_period"] = _parse_window("reopen_period", d["reopen_period"])
        if "promise_by_category" in d:
            kwargs["promise_by_category"] = _parse_promise_by_category(d["promise_by_category"])
        if "promise_reminder" in d:
            kwargs["promise_reminder"] = _parse_window("promise_reminder", d["promise_reminder"])
            if kwargs["promise_reminder"].unit not in ("minutes", "hours"):
                _invalid("promise_reminder.unit", "promise_reminder is in minutes or hours")
        if "callback_attempts" in d:
            attempts = d["callback_attempts"]
            if (isinstance(attempts, bool) or not isinstance(attempts, int)
                    or not 1 <= attempts <= MAX_CALLBACK_ATTEMPTS):
                _invalid("callback_attempts", f"callback_attempts must be an integer 1..{MAX_CALLBACK_ATTEMPTS}")
            kwargs["callback_attempts"] = attempts

        policy = cls(**kwargs)
        if policy.work_end <= policy.work_start:
            _invalid("work_end", "work_end must be later than work_start")
        # Only the obviously empty calendar can be rejected up front; a sparse
        # one is caught by the scan limit in add_window.
        if len(policy.weekend) == 7 and not (policy.extra_working_days - policy.holidays):
            _invalid("weekend", "the calendar has no working days")
        return policy

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; ``Policy.from_dict(p.to_dict()) == p``."""
        windows = {name: getattr(self, name) for name in WINDOW_NAMES + OPTIONAL_WINDOW_NAMES}
        return {
            "preset": self.preset,
            "timezone": self.timezone,
            "weekend": sorted(self.weekend),
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "extra_working_days": sorted(d.isoformat() for d in self.extra_working_days),
            "work_start": _format_time(self.work_start),
            "work_end": _format_time(self.work_end),
            "windows": {name: {"amount": w.amount, "unit": w.unit} for name, w in windows.items() if w is not None},
            "escalation_step": {"amount": self.escalation_step.amount, "unit": self.escalation_step.unit},
            "handover_times": [_format_time(t) for t in self.handover_times],
            "reopen_period": {"amount": self.reopen_period.amount, "unit": self.reopen_period.unit},
            "promise_by_category": {name: {"amount": w.amount, "unit": w.unit} for name, w in self.promise_by_category},
            "promise_reminder": {"amount": self.promise_reminder.amount, "unit": self.promise_reminder.unit},
            "callback_attempts": self.callback_attempts,
        }


# --- from_dict helpers -------------------------------------------------------

def _invalid(field: str, message: str) -> NoReturn:
    raise ValidationFailed(message, code="invalid_policy", details={"field": field})


def _parse_timezone(value: Any) -> str:
    if not isinstance(value, str):
        _invalid("timezone", "timezone must be a string")
    try:
        _zone(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        _invalid("timezone", f"unknown time zone {value!r}")
    return value


def _parse_weekend(value: Any) -> frozenset[int]:
    if not isinstance(value, list):
        _invalid("weekend", "weekend must be a list of weekdays (Monday=0)")
    for day in value:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            _invalid("weekend", f"weekday must be an integer 0..6, got {day!r}")
    return frozenset(value)


def _parse_dates(field: str, value: Any) -> frozenset[date]:
    if not isinstance(value, list):
        _invalid(field, f"{field} must be a list of YYYY-MM-DD dates")
    parsed: set[date] = set()
    for item in value:
        # fromisoformat alone also accepts forms like "20261001"; the API
        # promises exactly one spelling.
        if not isinstance(item, str) or not _DATE_RE.fullmatch(item):
            _invalid(field, f"dates must be YYYY-MM-DD, got {item!r}")
        try:
            parsed.add(date.fromisoformat(item))
        except ValueError:
            _invalid(field, f"not a real date: {item!r}")
    return frozenset(parsed)


def _parse_time(field: str, value: Any) -> time:
    if not isinstance(value, str) or not _TIME_RE.fullmatch(value):
        _invalid(field, f"{field} must be HH:MM, got {value!r}")
    try:
        return time.fromisoformat(value)
    except ValueError:
        _invalid(field, f"not a real time of day: {value!r}")


def _format_time(t: time) -> str:
    return t.isoformat(timespec="seconds" if t.second else "minutes")


def _parse_windows(value: Any) -> dict[str, Window]:
    if not isinstance(value, dict):
        _invalid("windows", "windows must be an object")
    windows = {}
    for name, spec in value.items():
        field = f"windows.{name}"
        if name not in WINDOW_NAMES and name not in OPTIONAL_WINDOW_NAMES:
            _invalid(field, f"unknown window {name!r}")
        windows[name] = _parse_window(field, spec)
    return windows


def _parse_window(field: str, spec: Any) -> Window:
    if not isinstance(spec, dict) or set(spec) != {"amount", "unit"}:
        _invalid(field, "a window is exactly {\"amount\": int, \"unit\": str}")
    amount, unit = spec["amount"], spec["unit"]
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        _invalid(f"{field}.amount", f"amount must be an integer 1..{MAX_AMOUNT}")
    if unit not in UNITS:
        _invalid(f"{field}.unit", f"unit must be one of {', '.join(UNITS)}")
    return Window(amount, unit)


def _parse_promise_by_category(value: Any) -> tuple[tuple[str, Window], ...]:
    if not isinstance(value, dict):
        _invalid("promise_by_category", "promise_by_category must be an object: category -> window")
    for name in value:
        if not isinstance(name, str) or not 0 < len(name) <= 64:
            _invalid("promise_by_category", f"not a category: {name!r}")
    return tuple(sorted((name, _parse_window(f"promise_by_category.{name}", spec)) for name, spec in value.items()))


def _parse_handover_times(value: Any) -> tuple[time, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_HANDOVERS:
        _invalid("handover_times", f"handover_times must be a list of 1..{MAX_HANDOVERS} times HH:MM")
    times = [_parse_time("handover_times", item) for item in value]
    if len(set(times)) != len(times):
        _invalid("handover_times", "handover_times must not repeat a time")
    return tuple(sorted(times))


# --- calendar ----------------------------------------------------------------

def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {at!r}")


def _local(d: date, t: time, policy: Policy) -> datetime:
    """Wall-clock time ``t`` on day ``d`` at the property, as UTC.

    Built with combine() rather than by adding timedeltas to a local datetime,
    because aware arithmetic in zoneinfo ignores DST changes in between.
    """
    return datetime.combine(d, t, tzinfo=policy.tz).astimezone(timezone.utc)


def _next_working_day(d: date, policy: Policy) -> date:
    """The first working day strictly after ``d``."""
    for offset in range(1, MAX_SCAN_DAYS + 1):
        candidate = d + timedelta(days=offset)
        if is_working_day(candidate, policy):
            return candidate
    raise ValueError(f"no working day within {MAX_SCAN_DAYS} days after {d.isoformat()}")


def is_working_day(d: date, policy: Policy) -> bool:
    """Whether ``d`` is a working day: holidays beat make-up days beat weekends."""
    if d in policy.holidays:
        return False
    if d in policy.extra_working_days:
        return True
    return d.weekday() not in policy.weekend


def is_working_time(at: datetime, policy: Policy) -> bool:
    """Whether ``at`` falls on a working day within ``[work_start, work_end)`` locally."""
    _require_aware(at)
    local = at.astimezone(policy.tz)
    return is_working_day(local.date(), policy) and policy.work_start <= local.time() < policy.work_end


def next_working_start(at: datetime, policy: Policy) -> datetime:
    """``at`` (in UTC) if it is working time, else the start of the next working period."""
    _require_aware(at)
    if is_working_time(at, policy):
        return at.astimezone(timezone.utc)
    local = at.astimezone(policy.tz)
    day = local.date()
    if is_working_day(day, policy) and local.time() < policy.work_start:
        return _local(day, policy.work_start, policy)
    return _local(_next_working_day(day, policy), policy.work_start, policy)


def add_window(start: datetime, window: Window, policy: Policy) -> datetime:
    """The deadline ``window`` after ``start`` under ``policy``, in UTC."""
    _require_aware(start)
    if window.unit == "minutes":
        return start.astimezone(timezone.utc) + timedelta(minutes=window.amount)
    if window.unit == "hours":
        return start.astimezone(timezone.utc) + timedelta(hours=window.amount)
    if window.unit == "working_days":
        return _add_working_days(start, window.amount, policy)
    if window.unit == "working_hours":
        return _add_working_hours(start, window.amount, policy)
    raise ValueError(f"unknown window unit {window.unit!r}")


def _add_working_days(start: datetime, amount: int, policy: Policy) -> datetime:
    local = next_working_start(start, policy).astimezone(policy.tz)
    day, time_of_day = local.date(), local.time()
    for _ in range(amount):
        day = _next_working_day(day, policy)
    return _local(day, time_of_day, policy)


def _add_working_hours(start: datetime, amount: int, policy: Policy) -> datetime:
    # A count that runs out exactly at work_end is due at close of business
    # that day, as a tenant would read "within 3 working hours".
    return add_working_time(start, timedelta(hours=amount), policy)


def add_working_time(start: datetime, amount: timedelta, policy: Policy) -> datetime:
    """``amount`` of working time after ``start``: only time inside
    ``[work_start, work_end)`` on working days counts (Sat 02:00 + 2 h = Mon 10:00)."""
    _require_aware(start)
    remaining = amount
    cursor = next_working_start(start, policy)
    while True:
        day = cursor.astimezone(policy.tz).date()
        available = _local(day, policy.work_end, policy) - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        cursor = _local(_next_working_day(day, policy), policy.work_start, policy)


def working_time_between(start: datetime, end: datetime, policy: Policy) -> timedelta:
    """How much working time lies between ``start`` and ``end`` (zero if ``end`` is
    not later): Fri 17:00 to Mon 09:30 is 1 h 30 min with 09:00-18:00 working hours."""
    _require_aware(start)
    _require_aware(end)
    total = timedelta(0)
    cursor = next_working_start(start, policy)
    while cursor < end:
        day = cursor.astimezone(policy.tz).date()
        day_end = _local(day, policy.work_end, policy)
        total += min(day_end, end) - cursor
        cursor = _local(_next_working_day(day, policy), policy.work_start, policy)
    return total


def escalation_due(at: datetime, policy: Policy) -> datetime:
    """When the next tier hears of a case that reached a tier at ``at``: the
    property's ``escalation_step`` counted in working time, so nobody is raised
    over at night or at the weekend (a step given in working days or working
    hours counts as it says). The on-duty desk is told at once, whatever the hour;
    this is only when the *next* tier's clock runs out."""
    step = policy.escalation_step
    if step.unit in ("minutes", "hours"):
        return add_working_time(at, timedelta(**{step.unit: step.amount}), policy)
    return add_window(at, step, policy)


def response_window(policy: Policy, kind: str | None, cause: str | None) -> Window:
    """The window the procedure promises for a case of this kind and cause.

    Consultations are answered at once whatever the cause; otherwise the cause
    decides, and anything unrecognised gets the general feedback window.
    """
    if kind == "consultation":
        return policy.consultation
    if cause == "business_affected":
        return policy.reply_business_affected
    if cause == "outside_control":
        return policy.reply_outside_control
    if cause == "equipment_facility":
        return policy.reply_equipment_facility
    return policy.feedback


CAUSE_WINDOWS = frozenset({"business_affected", "outside_control", "equipment_facility"})


def tracked_windows(policy: Policy, kind: str | None, cause: str | None) -> dict[str, Window]:
    """Every response window a case of this kind and cause is held to, by deadline name.

    * ``response``: ``response_window``, the cause-based reply (1 h / 2 / 3 days).
    * ``feedback``: the 1-working-day feedback on the day's opinions, suggestions
      and complaints (seed 003, 3.4). It stays in force beside a cause-based
      window, never replaced by it: a cause of 3 working days still owes the
      tenant feedback within one. Without a recognised cause it *is* the response
      window, so it is not tracked twice; consultations are answered at once.
      A reply to the tenant meets both (any channel; see cases.respond), so a late
      first reply shows as a missed feedback even when the 3-day reply was on time.
    * the commercial plan's optional steps, only where the policy turns them on
      (seed 002), for anything but a consultation: ``acknowledge`` (30 min from
      receipt) is met by the hand-off (assign) or a first response, whichever
      comes first; ``diagnosis`` (2 h from receipt) by starting work or a
      classification that names the cause; ``plan`` (4 h from the response
      clock's start: receipt, or the reopening) by a response to the tenant,
      which tells them the plan.

    The hand-off and the callback windows are not here: they hang on other facts
    (receipt, resolution) and are always tracked (cases.recompute_deadlines).
    """
    windows = {"response": response_window(policy, kind, cause)}
    if kind == "consultation":
        return windows
    if cause in CAUSE_WINDOWS:
        windows["feedback"] = policy.feedback
    for name in OPTIONAL_WINDOW_NAMES:
        window = getattr(policy, name)
        if window is not None:
            windows[name] = window
    return windows
