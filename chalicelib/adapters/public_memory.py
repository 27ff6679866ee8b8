"""The in-memory twin of ``adapters.public_store.DynamoPublicFormStore``
(``ports.PublicFormStore``): plain dicts behind a lock, for service tests
without any AWS library; tests/contract holds both to the same contract."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.public_form import Submission
from chalicelib.services.ports import QuotaExceeded

if TYPE_CHECKING:
    from chalicelib.domain.quotas import Quota


class MemoryPublicFormStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[tuple[str, str], Submission] = {}
        self._counters: dict[tuple[str, str, datetime], int] = {}

    def create_submission(self, sub: Submission, *, quotas: Sequence[Quota] = ()) -> None:
        at = (sub.property_id, sub.submission_id)
        with self._lock:
            if at in self._subs:
                raise VersionConflict("a submission with this id exists", code="busy_retry")
            for quota in quotas:
                if self._counters.get((quota.name, quota.key, quota.window_start), 0) >= quota.limit:
                    raise QuotaExceeded(quota.name)
            for quota in quotas:
                key = (quota.name, quota.key, quota.window_start)
                self._counters[key] = self._counters.get(key, 0) + 1
            self._subs[at] = replace(sub, version=1)

    def get_submission(self, property_id: str, submission_id: str) -> Submission | None:
        with self._lock:
            return self._subs.get((property_id, submission_id))

    def save_submission(self, sub: Submission, *, expected_version: int) -> None:
        at = (sub.property_id, sub.submission_id)
        with self._lock:
            current = self._subs.get(at)
            if current is None or current.version != expected_version:
                raise VersionConflict("the submission was changed at the same time; try again", code="busy_retry")
            self._subs[at] = replace(sub, version=expected_version + 1)
