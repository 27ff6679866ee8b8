"""Wiring: the one place that builds AWS-backed objects, once, on first use.

Import stays cheap (nothing is created at import), a warm Lambda reuses what
it built, and tests swap the clock or reset the wiring when they change config.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

_service = None
_clock: Callable[[], datetime] | None = None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def clock() -> datetime:
    return (_clock or utc_now)()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Tests and the local stack may drive time; production uses the wall clock."""
    global _clock
    _clock = fn


def service():
    global _service
    if _service is None:
        from chalicelib.models import bind
        from chalicelib.service import CaseService
        from chalicelib.store import DynamoStore
        _service = CaseService(DynamoStore(bind()), clock)
    return _service


def reset() -> None:
    global _service, _clock
    _service = None
    _clock = None
