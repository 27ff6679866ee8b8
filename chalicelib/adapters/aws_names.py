"""Names AWS resources must have, made from our ids: Step Functions executions and
EventBridge Scheduler schedules (adapters/stepfunctions.py, scheduler.py). Both take a
limited alphabet and length; a property id may be 64 characters (web._PROPERTY_ID), so a
name made of it may not fit. Deterministic either way: a retry finds the same name."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache


@lru_cache(maxsize=8)
def _patterns(allowed: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    return re.compile(f"[{allowed}]+"), re.compile(f"[^{allowed}]")


def bounded_name(parts: Sequence[str], *, allowed: str, max_len: int, suffix: str = "",
                 hashed: Sequence[str] | None = None) -> str:
    """``parts`` joined by '-', then ``suffix``, when that is a valid name (``allowed``: a
    regex character class; at most ``max_len``); otherwise a readable prefix with the other
    characters replaced by '_' and a hash of ``hashed`` (default ``parts``) before the
    suffix, so distinct ids never share a name and the same ids always get it."""
    plain = "-".join(parts) + suffix
    ok, other = _patterns(allowed)
    if len(plain) <= max_len and ok.fullmatch(plain):
        return plain
    digest = hashlib.sha256("\x1f".join(hashed if hashed is not None else parts).encode()).hexdigest()[:16]
    tail = f"-{digest}{suffix}"
    return other.sub("_", "-".join(parts))[:max_len - len(tail)] + tail
