"""The owner archive in memory: ``ports.ArchiveStore`` over plain dicts, the
twin of ``archive_store.DynamoArchiveStore`` for service tests without AWS.

Same contract (tests/contract/test_archive_contract.py runs one suite on
both): version-conditional writes (``VersionConflict``, nothing written), a
resident and their phone index changed together, moved-out residents found by
no phone, copies in and out (records go through JSON, as DynamoDB's do).
"""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.memory import _page
from chalicelib.domain.errors import VersionConflict

KINDS = ("building", "unit", "area")


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(record, ensure_ascii=False))


def _id_of(kind: str, record: dict[str, Any]) -> str:
    return str(record[f"{kind}_id"])


class MemoryArchiveStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._structure: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._residents: dict[tuple[str, str], dict[str, Any]] = {}
        self._phones: dict[tuple[str, str], set[str]] = {}  # (property, digits) -> resident ids
        self._access: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._seq = 0

    @staticmethod
    def _check_version(stored: dict[str, Any] | None, expected: int | None, what: str) -> int:
        current = stored.get("version") if stored else None
        if current != expected:
            raise VersionConflict(f"the {what} was changed by someone else; reload and try again",
                                  details={"current_version": current, "your_version": expected})
        return (expected or 0) + 1

    # --- structure -----------------------------------------------------------

    def get_structure(self, property_id: str, kind: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._structure.get((property_id, kind, record_id))
            return _copy(found) if found else None

    def structure(self, property_id: str, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [_copy(r) for (p, k, _), r in sorted(self._structure.items()) if p == property_id and k == kind]

    def units_of_building(self, property_id: str, building_id: str) -> list[dict[str, Any]]:
        return [u for u in self.structure(property_id, "unit") if u["building_id"] == building_id]

    def put_structure(self, property_id: str, kind: str, record: dict[str, Any], *,
                      expected_version: int | None) -> dict[str, Any]:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        key = (property_id, kind, _id_of(kind, record))
        with self._lock:
            version = self._check_version(self._structure.get(key), expected_version, kind)
            stored = {**_copy(record), "version": version}
            self._structure[key] = stored
            return _copy(stored)

    # --- residents ------------------------------------------------------------

    def get_resident(self, property_id: str, resident_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._residents.get((property_id, resident_id))
            return _copy(found) if found else None

    def residents_of_unit(self, property_id: str, unit_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [_copy(r) for (p, _), r in sorted(self._residents.items())
                    if p == property_id and r["unit_id"] == unit_id]

    def put_resident(self, property_id: str, record: dict[str, Any], *, expected_version: int | None,
                     previous_phones: Sequence[str] = ()) -> dict[str, Any]:
        key = (property_id, record["resident_id"])
        with self._lock:
            version = self._check_version(self._residents.get(key), expected_version, "resident")
            for digits in previous_phones:
                self._phones.get((property_id, digits), set()).discard(record["resident_id"])
            if not record.get("moved_out"):
                for digits in record.get("phones") or []:
                    self._phones.setdefault((property_id, digits), set()).add(record["resident_id"])
            stored = {**_copy(record), "version": version}
            self._residents[key] = stored
            return _copy(stored)

    def residents_by_phone(self, property_id: str, digits: str, *, limit: int = 20) -> list[dict[str, Any]]:
        with self._lock:
            ids = sorted(self._phones.get((property_id, digits), set()))[:limit]
            return [_copy(self._residents[(property_id, i)]) for i in ids]

    def residents_of_tenant(self, property_id: str, tenant_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [{k: r.get(k) for k in ("resident_id", "unit_id", "role", "tenant_id")}
                    for (p, _), r in sorted(self._residents.items())
                    if p == property_id and r.get("tenant_id") == tenant_id and not r.get("moved_out")]

    def get_units(self, property_id: str, unit_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {u: _copy(self._structure[(property_id, "unit", u)]) for u in unit_ids
                    if (property_id, "unit", u) in self._structure}

    # --- access log -------------------------------------------------------------

    def append_access(self, property_id: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            self._access.setdefault(property_id, []).append((f"{entry['at']}#{self._seq:08d}", _copy(entry)))

    def access_log(self, property_id: str, *, limit: int, cursor: str | None = None) -> tuple[list[Any], str | None]:
        with self._lock:
            rows = [([key], entry) for key, entry in self._access.get(property_id, [])]
        return _page(rows, f"access:{property_id}", limit=limit, cursor=cursor, descending=True)
