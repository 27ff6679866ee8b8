"""Per-property report schedules (issue 17, seed 001's reporting calendar: monthly
items by the 25th/28th, weekly quality checks): which report goes to whom, when,
in which language; the EventBridge Scheduler cron expression of each; the period a
fire reports on; and a small parser of those cron expressions, so the local stack
can fire them. Pure: no AWS, times are passed in.

A schedule: ``{"schedule_id", "report": daily|weekly|monthly, "recipients": [...],
"time": "HH:MM" (property-local), "weekday": MON..SUN (weekly), "day": 1..28
(monthly), "lang": zh-Hans|zh-Hant|en, "enabled": bool}``.

Periods: a daily report covers the local day before the fire; a weekly one the
seven days ending the day before; a monthly one the calendar month before the
fire's month (so "monthly by the 25th" reports the previous month). The period's
key (``daily:2026-11-22``, ``weekly:2026-11-16``, ``monthly:2026-11``) with the
schedule id is what makes a retried fire send nothing twice.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import ValidationFailed

REPORTS = ("daily", "weekly", "monthly")
LANGS = ("zh-Hans", "zh-Hant", "en")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MAX_SCHEDULES = 10
MAX_RECIPIENTS = 20
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")


def _invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_report_schedule", details={"field": field})


def check_schedules(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The schedules as stored (defaults filled), or ``422 invalid_report_schedule``
    naming the first wrong field (``schedules[1].day``)."""
    if len(items) > MAX_SCHEDULES:
        raise _invalid(f"at most {MAX_SCHEDULES} report schedules per property", "schedules")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(items):
        at = f"schedules[{i}]"
        sid = str(item.get("schedule_id") or "")
        if not _ID.match(sid) or sid in seen:
            raise _invalid("schedule_id: lower-case letters, digits and '-', unique", f"{at}.schedule_id")
        seen.add(sid)
        report = item.get("report")
        if report not in REPORTS:
            raise _invalid(f"report is one of {', '.join(REPORTS)}", f"{at}.report")
        recipients = [str(r).strip() for r in item.get("recipients") or []]
        if not recipients or len(recipients) > MAX_RECIPIENTS or not all(_EMAIL.match(r) for r in recipients):
            raise _invalid(f"1 to {MAX_RECIPIENTS} mail addresses", f"{at}.recipients")
        time_text = str(item.get("time") or "08:00")
        if not _TIME.match(time_text):
            raise _invalid("time is HH:MM, property-local", f"{at}.time")
        lang = item.get("lang") or "zh-Hans"
        if lang not in LANGS:
            raise _invalid(f"lang is one of {', '.join(LANGS)}", f"{at}.lang")
        row: dict[str, Any] = {"schedule_id": sid, "report": report, "recipients": list(dict.fromkeys(recipients)),
                               "time": time_text, "lang": lang, "enabled": bool(item.get("enabled", True))}
        if report == "weekly":
            weekday = str(item.get("weekday") or "MON").upper()
            if weekday not in WEEKDAYS:
                raise _invalid("weekday is MON..SUN", f"{at}.weekday")
            row["weekday"] = weekday
        if report == "monthly":
            day = item.get("day", 25)
            # 1..28: every month has the day (seed 001: monthly items by the 25th / 28th).
            if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 28:
                raise _invalid("day is 1..28 (every month has it)", f"{at}.day")
            row["day"] = day
        out.append(row)
    return out


def cron_expression(schedule: dict[str, Any]) -> str:
    """EventBridge Scheduler's ``cron(minutes hours day-of-month month day-of-week year)``,
    read in the property's zone (``ScheduleExpressionTimezone``)."""
    hour, minute = (int(p) for p in schedule["time"].split(":"))
    if schedule["report"] == "daily":
        return f"cron({minute} {hour} * * ? *)"
    if schedule["report"] == "weekly":
        return f"cron({minute} {hour} ? * {schedule['weekday']} *)"
    return f"cron({minute} {hour} {schedule['day']} * ? *)"


def period(report: str, fired_local: date) -> tuple[str, date, date]:
    """``(key, first day, last day)`` of what a fire on ``fired_local`` reports on."""
    yesterday = fired_local - timedelta(days=1)
    if report == "daily":
        return f"daily:{yesterday.isoformat()}", yesterday, yesterday
    if report == "weekly":
        first = yesterday - timedelta(days=6)
        return f"weekly:{first.isoformat()}", first, yesterday
    last = fired_local.replace(day=1) - timedelta(days=1)
    return f"monthly:{last.strftime('%Y-%m')}", last.replace(day=1), last


# --- cron expressions (the subset EventBridge accepts), for the local stack ---------------

_DOW_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTH_NAMES = {m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
                                                   "OCT", "NOV", "DEC"))}


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """Values of one cron field; ``None`` for ``*`` / ``?`` (any)."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.split(","):
        step, stepped = 1, "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _value(a, names), _value(b, names)
        else:
            first = _value(part, names)
            last = high if stepped else first  # "0/15": from 0, every 15
        if not low <= first <= high or not low <= last <= high or step < 1:
            raise ValueError(f"cron field {text!r} out of range")
        values.update(range(first, last + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    return names[text.upper()] if names and text.upper() in names else int(text)


def parse_cron(expression: str) -> list[set[int] | None]:
    """``cron(m h dom mon dow year)`` → the six fields' values (``None``: any).
    Raises ``ValueError`` for anything else (``L``, ``W``, ``#`` are not supported)."""
    match = re.fullmatch(r"cron\((.+)\)", expression.strip())
    parts = match.group(1).split() if match else []
    if len(parts) != 6:
        raise ValueError(f"not a six-field cron expression: {expression!r}")
    bounds = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTH_NAMES), (1, 7, _DOW_NAMES),
              (1970, 2199, None)]
    return [_field(p, lo, hi, names) for p, (lo, hi, names) in zip(parts, bounds, strict=True)]


def _matches(fields: list[set[int] | None], local: datetime) -> bool:
    minute, hour, dom, month, dow, year = fields
    aws_dow = (local.isoweekday() % 7) + 1  # SUN=1 .. SAT=7
    checks = ((minute, local.minute), (hour, local.hour), (dom, local.day), (month, local.month),
              (dow, aws_dow), (year, local.year))
    return all(allowed is None or value in allowed for allowed, value in checks)


def last_fire(expression: str, zone: str, after: datetime, until: datetime) -> datetime | None:
    """The latest time in ``(after, until]`` the expression fires (whole local
    minutes in ``zone``), in UTC; ``None`` if it does not fire in between.
    Walks minutes: meant for the local stack's short intervals (at most 62 days)."""
    if after.tzinfo is None or until.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    fields = parse_cron(expression)
    tz = ZoneInfo(zone)
    start = max(after, until - timedelta(days=62))
    t = until.astimezone(timezone.utc).replace(second=0, microsecond=0)
    while t > start:
        if _matches(fields, t.astimezone(tz)):
            return t
        t -= timedelta(minutes=1)
    return None
