"""The owner archive in DynamoDB (the ``records`` table): ``ports.ArchiveStore``.

Items, one partition per property and kind (the key formats live here only):

- structure: ``ARCHIVE#<property>`` / ``BUILDING#<id>``, ``UNIT#<id>``, ``AREA#<id>``;
  a unit is also on the ``lookup`` index under ``ARCHIVE_UNITS#<property>#<building>``
  (its building's units, one Query);
- residents: ``RESIDENTS#<property>`` / ``<resident id>``, on ``lookup`` under
  ``RESIDENT_UNIT#<property>#<unit>`` (a unit's residents);
- the phone index: ``RESIDENT_PHONES#<property>`` / ``<resident id>#<digits>``, one
  item per number of a current resident, on ``lookup`` under
  ``PHONE#<property>#<digits>``: a caller's number is one Query, never a Scan.
  Written in the resident's own transaction, so the index never disagrees
  with the record;
- the tenant index: ``RESIDENT_TENANTS#<property>`` / ``<resident id>``, one item per
  current resident linked to an app account (``tenant_id``), on ``lookup`` under
  ``TENANT_RESIDENTS#<property>#<tenant>``: a tenant's own units are one Query
  (``GET /v1/me/places``). Written in the resident's own transaction;
- the access log: ``ARCHIVE_ACCESS#<property>`` / ``<at>#<random>``, newest first.

Every record write is conditional on the version read (``VersionAttribute``).
"""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb import _connection, _decode_cursor, _encode_cursor
from chalicelib.adapters.models import Models, RecordModel
from chalicelib.domain.errors import VersionConflict

_KIND_PREFIX = {"building": "BUILDING", "unit": "UNIT", "area": "AREA"}
LOOKUP_PAGE = 100


# --- key formats (the only place they are spelled) ------------------------------

def structure_pk(property_id: str) -> str:
    return f"ARCHIVE#{property_id}"


def structure_sk(kind: str, record_id: str) -> str:
    return f"{_KIND_PREFIX[kind]}#{record_id}"


def building_units_key(property_id: str, building_id: str) -> str:
    return f"ARCHIVE_UNITS#{property_id}#{building_id}"


def residents_pk(property_id: str) -> str:
    return f"RESIDENTS#{property_id}"


def unit_residents_key(property_id: str, unit_id: str) -> str:
    return f"RESIDENT_UNIT#{property_id}#{unit_id}"


def phones_pk(property_id: str) -> str:
    return f"RESIDENT_PHONES#{property_id}"


def phone_key(property_id: str, digits: str) -> str:
    return f"PHONE#{property_id}#{digits}"


def tenant_residents_pk(property_id: str) -> str:
    return f"RESIDENT_TENANTS#{property_id}"


def tenant_residents_key(property_id: str, tenant_id: str) -> str:
    return f"TENANT_RESIDENTS#{property_id}#{tenant_id}"


def access_pk(property_id: str) -> str:
    return f"ARCHIVE_ACCESS#{property_id}"


def _record(item: RecordModel) -> dict[str, Any]:
    return {**(item.data or {}), "version": int(item.version)}


def _conflict(what: str, expected: int | None) -> VersionConflict:
    return VersionConflict(f"the {what} was changed by someone else; reload and try again",
                           details={"your_version": expected})


class DynamoArchiveStore:
    def __init__(self, models: Models) -> None:
        self.m = models.Record
        self._connection = _connection(models.Record.Meta.region)

    def _item(self, pk: str, sk: str, record: dict[str, Any], version: int | None, *,
              lookup: tuple[str, str] | None = None) -> RecordModel:
        data = {k: v for k, v in record.items() if k != "version"}
        item = self.m(pk, sk, data=data, lookup_pk=lookup[0] if lookup else None,
                      lookup_sk=lookup[1] if lookup else None)
        if version is not None:  # pynamodb conditions the write on it (unset: must not exist) and writes +1
            item.version = version
        return item

    # --- structure -----------------------------------------------------------

    def get_structure(self, property_id: str, kind: str, record_id: str) -> dict[str, Any] | None:
        try:
            return _record(self.m.get(structure_pk(property_id), structure_sk(kind, record_id), consistent_read=True))
        except self.m.DoesNotExist:
            return None

    def structure(self, property_id: str, kind: str) -> list[dict[str, Any]]:
        prefix = f"{_KIND_PREFIX[kind]}#"
        return [_record(i) for i in self.m.query(structure_pk(property_id), self.m.sk.startswith(prefix),
                                                  consistent_read=True)]

    def units_of_building(self, property_id: str, building_id: str) -> list[dict[str, Any]]:
        return [_record(i) for i in self.m.lookup.query(building_units_key(property_id, building_id))]

    def put_structure(self, property_id: str, kind: str, record: dict[str, Any], *,
                      expected_version: int | None) -> dict[str, Any]:
        record_id = record[f"{kind}_id"]
        lookup = (building_units_key(property_id, record["building_id"]), record_id) if kind == "unit" else None
        item = self._item(structure_pk(property_id), structure_sk(kind, record_id), record, expected_version,
                          lookup=lookup)
        try:
            item.save()
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise _conflict(kind, expected_version) from exc
            raise
        return _record(item)

    # --- residents ------------------------------------------------------------

    def get_resident(self, property_id: str, resident_id: str) -> dict[str, Any] | None:
        try:
            return _record(self.m.get(residents_pk(property_id), resident_id, consistent_read=True))
        except self.m.DoesNotExist:
            return None

    def residents_of_unit(self, property_id: str, unit_id: str) -> list[dict[str, Any]]:
        return [_record(i) for i in self.m.lookup.query(unit_residents_key(property_id, unit_id))]

    def put_resident(self, property_id: str, record: dict[str, Any], *, expected_version: int | None,
                     previous_phones: Sequence[str] = ()) -> dict[str, Any]:
        resident_id = record["resident_id"]
        phones = [] if record.get("moved_out") else list(record.get("phones") or [])
        item = self._item(residents_pk(property_id), resident_id, record, expected_version,
                          lookup=(unit_residents_key(property_id, record["unit_id"]), resident_id))
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(item)
                for digits in set(previous_phones) - set(phones):
                    tx.delete(self.m(phones_pk(property_id), f"{resident_id}#{digits}"), add_version_condition=False)
                for digits in set(phones) - set(previous_phones):
                    pointer = self._item(phones_pk(property_id), f"{resident_id}#{digits}",
                                         {"resident_id": resident_id, "unit_id": record["unit_id"]}, None,
                                         lookup=(phone_key(property_id, digits), resident_id))
                    tx.save(pointer)
                link = self.m(tenant_residents_pk(property_id), resident_id)
                if record.get("tenant_id") and not record.get("moved_out"):
                    # An upsert: the link follows the resident's record, whatever it said before.
                    data = {k: record.get(k) for k in ("resident_id", "unit_id", "role", "tenant_id")}
                    tx.update(link, [self.m.data.set(data),
                                     self.m.lookup_pk.set(tenant_residents_key(property_id, record["tenant_id"])),
                                     self.m.lookup_sk.set(resident_id)], add_version_condition=False)
                else:
                    tx.delete(link, add_version_condition=False)
        except TransactWriteError as exc:
            raise _conflict("resident", expected_version) from exc
        return {**record, "version": (expected_version or 0) + 1}

    def residents_by_phone(self, property_id: str, digits: str, *, limit: int = 20) -> list[dict[str, Any]]:
        pointers = list(self.m.lookup.query(phone_key(property_id, digits), limit=limit))
        if not pointers:
            return []
        keys = [(residents_pk(property_id), p.lookup_sk) for p in pointers]
        found = {i.sk: _record(i) for i in self.m.batch_get(keys)}
        return [found[k] for _, k in keys if k in found]

    def residents_of_tenant(self, property_id: str, tenant_id: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in _record(i).items() if k != "version"}
                for i in self.m.lookup.query(tenant_residents_key(property_id, tenant_id), limit=LOOKUP_PAGE)]

    def get_units(self, property_id: str, unit_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        keys = [(structure_pk(property_id), structure_sk("unit", u)) for u in dict.fromkeys(unit_ids)]
        if not keys:
            return {}
        return {r["unit_id"]: r for r in (_record(i) for i in self.m.batch_get(keys))}

    # --- access log -------------------------------------------------------------

    def append_access(self, property_id: str, entry: dict[str, Any]) -> None:
        # A random tail: two reads in the same microsecond are two entries.
        self._item(access_pk(property_id), f"{entry['at']}#{secrets.token_hex(4)}", entry, None).save()

    def access_log(self, property_id: str, *, limit: int, cursor: str | None = None) -> tuple[list[Any], str | None]:
        scope = f"access:{property_id}"
        result = self.m.query(access_pk(property_id), scan_index_forward=False, limit=limit, page_size=limit,
                              last_evaluated_key=_decode_cursor(scope, cursor))
        items = [{k: v for k, v in _record(i).items() if k != "version"} for i in result]
        return items, _encode_cursor(scope, result.last_evaluated_key)
