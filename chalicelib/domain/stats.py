"""Daily statistics of a property and their monthly rollup: pure functions over
cases and audit events, no AWS, no clock.

A day is a property-local calendar day, ``[local 00:00, next local 00:00)``,
given to these functions as UTC instants (see :func:`day_window`).

Definitions (the figures of one day):

``received`` / ``by_kind`` / ``by_category`` / ``by_channel`` / ``by_department``
    Cases created in the day, counted by their classification *when the
    figures are computed* (a case classified later is counted as it was then;
    ``unclassified`` / ``unassigned`` for a value not set yet).
    ``received_after_hours``: those created outside working time.

``on_time[window]`` for ``handoff``, ``response`` and ``callback``
    Among the deadlines of that window whose due time falls in the day:
    ``met_on_time`` (met at or before due), ``met_late`` (met after due),
    ``missed`` (unmet and already past due at computation time) and
    ``pending`` (unmet and not yet due: only while the day is still running).
    ``rate = met_on_time / (met_on_time + met_late + missed)``, i.e. met on time
    among the deadlines that are either met or already past due; ``null`` when
    there are none. Once the day is over every deadline due in it is met or
    past due, so a final day's rate no longer changes. Deadlines are the
    cases' current ones (a reclassification that moved a deadline replaces the
    old one) *and* every window a reopen replaced (``Case.earlier_deadlines``):
    a reopened case's first response window, met or missed, still counts.

``reopened`` / ``repeats``
    ``reopen`` events in the day (``reopened.from_closed``: of cases already
    closed), and cases created in the day that repeat a closed one
    (``Case.repeat_of``: the problem came back after the reopen period).

``escalations``
    ``escalate`` audit events in the day (by staff or the deadline watcher),
    grouped ``by_tier`` by the tier the case moved to
    (``event.changes["tier"]["to"]``; see ``handover.escalation_tier``).

``callbacks``
    ``reached``: callback events in the day that reached the tenant;
    ``attempts``: all callback events in the day; ``resolved``: ``resolve``
    events in the day. ``rate = reached / resolved`` (``null`` without
    resolutions). It is a flow ratio of the day, so a single day can exceed 1
    (yesterday's resolutions called back today); over a month it is the share
    of resolutions followed by a successful callback.

``ratings``
    ``rate`` events in the day: ``count``, ``sum``, ``by_score`` and
    ``average = sum / count`` (``null`` without ratings).

``duplicates``
    Of the cases received: ``by_channel`` how many are duplicates (linked, merged,
    or a duplicate suggestion standing: :func:`duplicate_figures`) and the rate;
    ``repeats_by_category`` / ``repeats_by_unit`` how many repeat a closed case.

The monthly rollup (:func:`rollup`) adds the daily counts and recomputes each
rate and average from the summed counts, never by averaging daily rates.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from chalicelib.domain import cases as case_rules
from chalicelib.domain import deadlines, handover
from chalicelib.domain.cases import Case, Event, iso
from chalicelib.domain.duplicates import place_key
from chalicelib.domain.handover import unique_latest

WINDOWS = ("handoff", "response", "callback")
UNCLASSIFIED = "unclassified"
UNASSIGNED = "unassigned"
SCORES = ("1", "2", "3", "4", "5")


def day_window(day: date, policy: deadlines.Policy) -> tuple[datetime, datetime]:
    """``[local midnight of day, local midnight of the next day)`` in UTC."""
    start = datetime.combine(day, time(0), tzinfo=policy.tz).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=policy.tz).astimezone(timezone.utc)
    return start, end


def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def _rate(numerator: int, denominator: int, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def _zeroed(keys: Iterable[str]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def _count(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def _on_time_block(met_on_time: int, met_late: int, missed: int, pending: int) -> dict[str, Any]:
    return {"due": met_on_time + met_late + missed + pending, "met_on_time": met_on_time, "met_late": met_late,
            "missed": missed, "pending": pending, "rate": _rate(met_on_time, met_on_time + met_late + missed)}




def _windows(case: Case, window: str) -> list[case_rules.Deadline]:
    """Every ``window`` deadline the case has had: those a reopen replaced, then its current one."""
    found = [case_rules.Deadline.from_dict(d) for d in case.earlier_deadlines if d.get("name") == window]
    current = case.deadlines.get(window)
    return found + ([current] if current is not None else [])


def daily_stats(*, property_id: str, day: date, policy: deadlines.Policy, cases: Iterable[Case],
                events: Mapping[str, Sequence[Event]], now: datetime) -> dict[str, Any]:
    """The figures of ``day`` as known at ``now`` (module docstring for definitions).

    ``cases`` must hold every case created in the day and every case with a
    deadline due in it; ``events`` maps ``case.key`` to the audit trail of
    every case that had an event in the day."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start, end = day_window(day, policy)
    everything = unique_latest(cases)

    received = [c for c in everything if start <= c.created_at < end]
    by_kind = _zeroed(case_rules.KINDS)
    by_category = _zeroed(case_rules.CATEGORIES)
    by_channel = _zeroed(case_rules.CHANNELS)
    by_department: dict[str, int] = {}
    after_hours = 0
    for case in received:
        _count(by_kind, case.kind or UNCLASSIFIED)
        _count(by_category, case.category or UNCLASSIFIED)
        _count(by_channel, case.channel)
        _count(by_department, case.department or UNASSIGNED)
        if not deadlines.is_working_time(case.created_at, policy):
            after_hours += 1

    on_time = {}
    for window in WINDOWS:
        met_on_time = met_late = missed = pending = 0
        for d in (d for case in everything for d in _windows(case, window)):
            if not start <= d.due < end:
                continue
            if d.met_at is not None:
                if d.met_at <= d.due:
                    met_on_time += 1
                else:
                    met_late += 1
            elif now > d.due:
                missed += 1
            else:
                pending += 1
        on_time[window] = _on_time_block(met_on_time, met_late, missed, pending)

    by_tier: dict[str, int] = {}
    attempts = reached = resolved = 0
    reopened = reopened_closed = 0
    rating_count = rating_sum = 0
    by_score = _zeroed(SCORES)
    for trail in events.values():
        for event in trail:
            if not start <= event.at < end:
                continue
            if event.action == "escalate":
                _count(by_tier, handover.escalation_tier(event))
            elif event.action in ("callback", "confirm"):  # confirm: the tenant answered it in the app
                attempts += 1
                reached += 1 if event.data.get("reached") else 0
            elif event.action == "resolve":
                resolved += 1
            elif event.action == "reopen":
                reopened += 1
                reopened_closed += 1 if event.data.get("reopened_from") == "closed" else 0
            elif event.action == "rate" and isinstance(event.data.get("score"), int):
                score = event.data["score"]
                rating_count += 1
                rating_sum += score
                _count(by_score, str(score))

    return {
        "property_id": property_id,
        "day": day.isoformat(),
        "timezone": policy.timezone,
        "start": iso(start),
        "end": iso(end),
        "computed_at": iso(now),
        "final": now >= end,
        "received": len(received),
        "received_after_hours": after_hours,
        **report_figures(start=start, end=end, now=now, policy=policy, cases=everything, events=events),
        "by_kind": by_kind,
        "by_category": by_category,
        "by_channel": by_channel,
        "by_department": dict(sorted(by_department.items())),
        "on_time": on_time,
        "reopened": {"total": reopened, "from_closed": reopened_closed},
        "repeats": sum(1 for case in received if case.repeat_of),
        "escalations": {"total": sum(by_tier.values()), "by_tier": dict(sorted(by_tier.items()))},
        "callbacks": {"attempts": attempts, "reached": reached, "resolved": resolved,
                      "rate": _rate(reached, resolved)},
        "ratings": {"count": rating_count, "sum": rating_sum, "by_score": by_score,
                    "average": _rate(rating_sum, rating_count, 2)},
        "duplicates": duplicate_figures(received),
    }


def _add(total: dict[str, int], part: Mapping[str, int]) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0) + int(value)


def rollup(*, property_id: str, year: int, month: int, dailies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Monthly figures: the sums of the daily documents given (one per day, any
    order), with rates and the average recomputed from the summed counts."""
    ordered = sorted(dailies, key=lambda d: d["day"])
    received = after_hours = 0
    by: dict[str, dict[str, int]] = {name: {} for name in ("by_kind", "by_category", "by_channel", "by_department")}
    on_time = {w: {"met_on_time": 0, "met_late": 0, "missed": 0, "pending": 0} for w in WINDOWS}
    by_tier: dict[str, int] = {}
    callbacks = {"attempts": 0, "reached": 0, "resolved": 0}
    ratings = {"count": 0, "sum": 0}
    reopened = {"total": 0, "from_closed": 0}
    repeats = 0
    by_score = _zeroed(SCORES)
    for daily in ordered:
        received += daily["received"]
        after_hours += daily.get("received_after_hours", 0)
        for name in by:
            _add(by[name], daily.get(name) or {})
        for window in WINDOWS:
            block = (daily.get("on_time") or {}).get(window) or {}
            for part in on_time[window]:
                on_time[window][part] += int(block.get(part, 0))
        _add(by_tier, (daily.get("escalations") or {}).get("by_tier") or {})
        for part in callbacks:
            callbacks[part] += int((daily.get("callbacks") or {}).get(part, 0))
        for part in ratings:
            ratings[part] += int((daily.get("ratings") or {}).get(part, 0))
        _add(by_score, (daily.get("ratings") or {}).get("by_score") or {})
        _add(reopened, daily.get("reopened") or {})  # dailies stored before these figures count none
        repeats += int(daily.get("repeats", 0))
    return {
        "property_id": property_id,
        "month": f"{year:04d}-{month:02d}",
        "days": [d["day"] for d in ordered],
        "received": received,
        "received_after_hours": after_hours,
        **rollup_report_figures(ordered),
        **{name: dict(sorted(counts.items())) if name == "by_department" else counts for name, counts in by.items()},
        "on_time": {w: _on_time_block(**parts) for w, parts in on_time.items()},
        "reopened": reopened,
        "repeats": repeats,
        "escalations": {"total": sum(by_tier.values()), "by_tier": dict(sorted(by_tier.items()))},
        "callbacks": {**callbacks, "rate": _rate(callbacks["reached"], callbacks["resolved"])},
        "ratings": {**ratings, "by_score": by_score, "average": _rate(ratings["sum"], ratings["count"], 2)},
        "duplicates": rollup_duplicate_figures([d.get("duplicates") or {} for d in ordered]),
    }


# --- the report figures (issue 17): satisfaction, reopen rate, on time per department
# and window, top categories with their shares, after-hours volume --------------------
#
# ``satisfaction``: answers the tenants gave, from callbacks that reached them
# (``satisfied`` true/false) and ratings (a score of ``SATISFIED_SCORE`` or more
# is satisfied): ``rate = satisfied / answers`` over both, and per source.
# ``reopen_rate``: reopen events / resolve events in the period (a flow ratio,
# like the callback rate). ``on_time_by_window``: the ``on_time`` blocks of
# ``REPORT_WINDOWS`` (feedback, the 1 working day, among them);
# ``on_time_by_department``: the same per the case's department, and
# ``response_by_cause``: the response window per the case's cause.
# ``top_categories``: the received cases' categories, most first, with their share
# of the received (seed 002's table). ``after_hours``: cases received outside the
# property's working time (its hours, weekends, holidays and make-up days,
# ``deadlines.is_working_time``), their share and categories.

REPORT_WINDOWS = ("handoff", "feedback", "response", "callback")
SATISFIED_SCORE = 4
_PARTS = ("met_on_time", "met_late", "missed", "pending")


def _tally(block: dict[str, int], deadline: case_rules.Deadline, now: datetime) -> None:
    if deadline.met_at is not None:
        block["met_on_time" if deadline.met_at <= deadline.due else "met_late"] += 1
    elif now > deadline.due:
        block["missed"] += 1
    else:
        block["pending"] += 1


def _blocks(counts: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, Any]]:
    return {name: _on_time_block(**{p: int(c.get(p, 0)) for p in _PARTS}) for name, c in sorted(counts.items())}


def _shares(counts: Mapping[str, int], total: int) -> list[dict[str, Any]]:
    """Categories with at least one case, most first (ties by name), with their share."""
    ranked = sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0]))
    return [{"category": k, "count": v, "share": _rate(v, total)} for k, v in ranked]


def _satisfaction(callback_answers: int, callback_satisfied: int, ratings: int,
                  ratings_satisfied: int) -> dict[str, Any]:
    answers, satisfied = callback_answers + ratings, callback_satisfied + ratings_satisfied
    return {"answers": answers, "satisfied": satisfied, "rate": _rate(satisfied, answers),
            "callbacks": {"answers": callback_answers, "satisfied": callback_satisfied,
                          "rate": _rate(callback_satisfied, callback_answers)},
            "ratings": {"answers": ratings, "satisfied": ratings_satisfied, "rate": _rate(ratings_satisfied, ratings)}}


def report_figures(*, start: datetime, end: datetime, now: datetime, policy: deadlines.Policy,
                   cases: Iterable[Case], events: Mapping[str, Sequence[Event]]) -> dict[str, Any]:
    """The report's figures of ``[start, end)`` (see the comment above); part of
    :func:`daily_stats`, summed by :func:`rollup_report_figures`."""
    everything = unique_latest(cases)
    received = [c for c in everything if start <= c.created_at < end]
    by_window: dict[str, dict[str, int]] = {w: _zeroed(_PARTS) for w in REPORT_WINDOWS}
    by_department: dict[str, dict[str, dict[str, int]]] = {}
    by_cause: dict[str, dict[str, int]] = {}
    for case in everything:
        for window in REPORT_WINDOWS:
            for d in _windows(case, window):
                if not start <= d.due < end:
                    continue
                _tally(by_window[window], d, now)
                dept = by_department.setdefault(case.department or UNASSIGNED,
                                                {w: _zeroed(_PARTS) for w in REPORT_WINDOWS})
                _tally(dept[window], d, now)
                if window == "response":
                    _tally(by_cause.setdefault(case.cause or UNCLASSIFIED, _zeroed(_PARTS)), d, now)
    cb_answers = cb_satisfied = rated = rated_satisfied = reopened = resolved = 0
    for trail in events.values():
        for event in trail:
            if not start <= event.at < end:
                continue
            if event.action == "callback" and event.data.get("reached") and \
                    isinstance(event.data.get("satisfied"), bool):
                cb_answers += 1
                cb_satisfied += 1 if event.data["satisfied"] else 0
            elif event.action == "rate" and isinstance(event.data.get("score"), int):
                rated += 1
                rated_satisfied += 1 if event.data["score"] >= SATISFIED_SCORE else 0
            elif event.action == "reopen":
                reopened += 1
            elif event.action == "resolve":
                resolved += 1
    categories: dict[str, int] = {}
    after_hours: dict[str, int] = {}
    for case in received:
        _count(categories, case.category or UNCLASSIFIED)
        if not deadlines.is_working_time(case.created_at, policy):
            _count(after_hours, case.category or UNCLASSIFIED)
    out_of_hours = sum(after_hours.values())
    return {
        "satisfaction": _satisfaction(cb_answers, cb_satisfied, rated, rated_satisfied),
        "reopen_rate": {"reopened": reopened, "resolved": resolved, "rate": _rate(reopened, resolved)},
        "on_time_by_window": _blocks(by_window),
        "on_time_by_department": {dept: _blocks(windows) for dept, windows in sorted(by_department.items())},
        "response_by_cause": _blocks(by_cause),
        "top_categories": _shares(categories, len(received)),
        "after_hours": {"received": out_of_hours, "share": _rate(out_of_hours, len(received)),
                        "by_category": dict(sorted(after_hours.items()))},
    }


def _sum_blocks(total: dict[str, dict[str, int]], blocks: Mapping[str, Mapping[str, Any]]) -> None:
    for name, block in (blocks or {}).items():
        into = total.setdefault(name, _zeroed(_PARTS))
        for part in _PARTS:
            into[part] += int(block.get(part, 0))


def rollup_report_figures(dailies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The report figures over several days (any order): counts summed, every rate and
    share recomputed from the sums. Days stored before these figures count none."""
    sat = {"cb_answers": 0, "cb_satisfied": 0, "rated": 0, "rated_satisfied": 0}
    reopen = {"reopened": 0, "resolved": 0}
    by_window: dict[str, dict[str, int]] = {w: _zeroed(_PARTS) for w in REPORT_WINDOWS}
    by_department: dict[str, dict[str, dict[str, int]]] = {}
    by_cause: dict[str, dict[str, int]] = {}
    categories: dict[str, int] = {}
    after_hours: dict[str, int] = {}
    received = 0
    for daily in dailies:
        received += int(daily.get("received", 0))
        s = daily.get("satisfaction") or {}
        sat["cb_answers"] += int((s.get("callbacks") or {}).get("answers", 0))
        sat["cb_satisfied"] += int((s.get("callbacks") or {}).get("satisfied", 0))
        sat["rated"] += int((s.get("ratings") or {}).get("answers", 0))
        sat["rated_satisfied"] += int((s.get("ratings") or {}).get("satisfied", 0))
        for part in reopen:
            reopen[part] += int((daily.get("reopen_rate") or {}).get(part, 0))
        _sum_blocks(by_window, daily.get("on_time_by_window") or {})
        for dept, windows in (daily.get("on_time_by_department") or {}).items():
            _sum_blocks(by_department.setdefault(dept, {w: _zeroed(_PARTS) for w in REPORT_WINDOWS}), windows)
        _sum_blocks(by_cause, daily.get("response_by_cause") or {})
        _add(categories, daily.get("by_category") or {})  # every stored day has these
        _add(after_hours, (daily.get("after_hours") or {}).get("by_category") or {})
    out_of_hours = sum(after_hours.values())
    return {
        "satisfaction": _satisfaction(sat["cb_answers"], sat["cb_satisfied"], sat["rated"], sat["rated_satisfied"]),
        "reopen_rate": {**reopen, "rate": _rate(reopen["reopened"], reopen["resolved"])},
        "on_time_by_window": _blocks(by_window),
        "on_time_by_department": {dept: _blocks(windows) for dept, windows in sorted(by_department.items())},
        "response_by_cause": _blocks(by_cause),
        "top_categories": _shares(categories, received),
        "after_hours": {"received": out_of_hours, "share": _rate(out_of_hours, received),
                        "by_category": dict(sorted(after_hours.items()))},
    }


# --- duplicates and repeats (chalicelib/domain/duplicates.py) ----------------------------

def _is_duplicate(case: Case) -> bool:
    """Staff linked or merged it, or a duplicate suggestion still stands on it."""
    return bool(case.follows or case.merged_into
                or any(s.get("kind") == "duplicate" for s in case.possible_duplicates))


def _rated(counts: Mapping[str, Mapping[str, int]], part: str) -> dict[str, dict[str, Any]]:
    return {key: {"received": c["received"], part: c[part], "rate": _rate(c[part], c["received"])}
            for key, c in sorted(counts.items())}


def duplicate_figures(received: Iterable[Case]) -> dict[str, Any]:
    """Of the cases received in a period: the duplicate rate by channel (the seed's
    41.2% "handled twice" to shrink) and the repeat rate (``repeat_of``: the problem
    came back after a closed case) by category and by unit/area (units with a repeat)."""
    by_channel: dict[str, dict[str, int]] = {}
    by_category: dict[str, dict[str, int]] = {}
    by_unit: dict[str, dict[str, int]] = {}
    for case in received:
        channel = by_channel.setdefault(case.channel, {"received": 0, "duplicates": 0})
        channel["received"] += 1
        channel["duplicates"] += int(_is_duplicate(case))
        category = by_category.setdefault(case.category or UNCLASSIFIED, {"received": 0, "repeats": 0})
        category["received"] += 1
        category["repeats"] += int(bool(case.repeat_of))
        unit = by_unit.setdefault(place_key(case.unit, case.location), {"received": 0, "repeats": 0})
        unit["received"] += 1
        unit["repeats"] += int(bool(case.repeat_of))
    return _duplicate_block(by_channel, by_category, by_unit)


def _duplicate_block(by_channel: Mapping[str, Mapping[str, int]], by_category: Mapping[str, Mapping[str, int]],
                     by_unit: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    received = sum(c["received"] for c in by_channel.values())
    dups = sum(c["duplicates"] for c in by_channel.values())
    repeats = sum(c["repeats"] for c in by_category.values())
    return {"received": received, "duplicates": dups, "duplicate_rate": _rate(dups, received),
            "repeats": repeats, "repeat_rate": _rate(repeats, received),
            "by_channel": _rated(by_channel, "duplicates"), "repeats_by_category": _rated(by_category, "repeats"),
            "repeats_by_unit": _rated({k: v for k, v in by_unit.items() if v["repeats"]}, "repeats")}


def rollup_duplicate_figures(blocks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The sums of daily ``duplicate_figures``, rates recomputed from the sums. (A unit's
    figures count only days it had a repeat: the daily block keeps only those.)"""
    sums: dict[str, dict[str, dict[str, int]]] = {"by_channel": {}, "repeats_by_category": {},
                                                   "repeats_by_unit": {}}
    for block in blocks:
        for name, total in sums.items():
            for key, figures in (block.get(name) or {}).items():
                into = total.setdefault(key, {})
                for part, value in figures.items():
                    if part != "rate":
                        into[part] = into.get(part, 0) + int(value)
    for name, part in (("by_channel", "duplicates"), ("repeats_by_category", "repeats"),
                       ("repeats_by_unit", "repeats")):
        for figures in sums[name].values():
            figures.setdefault("received", 0)
            figures.setdefault(part, 0)
    return _duplicate_block(sums["by_channel"], sums["repeats_by_category"], sums["repeats_by_unit"])
