"""The case library's storage (``ports.LibraryStore``) on DynamoDB through
pynamodb (the ``records`` table); its in-memory twin for service tests is
``adapters/library_memory.py``, and tests/contract holds both to one contract.

Layout in the ``records`` table, one partition per property (the library is
kept per property; the only place these key formats are spelled):

- an entry: pk ``LIB#<property>``, sk ``ENTRY#<entry id>``, its state in
  ``data``, its use count in ``counter`` (an atomic ADD that leaves ``version``
  alone, so counting a use never clashes with an editor); while staff see it
  (approved, not retired) it is in the sparse ``lookup`` index as
  ``LIBCAT#<property>#<category>`` / ``<approved at>#<entry id>``, so the
  suggestions for a case are one Query on its category;
- its versions: pk ``LIB#<property>``, sk ``LIBVER#<entry id>#<number>``, written
  in the same TransactWriteItems as the entry.
"""
from __future__ import annotations

from functools import lru_cache

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.models import Models, RecordModel
from chalicelib.domain.cases import iso
from chalicelib.domain.errors import Conflict, NotFound, VersionConflict
from chalicelib.domain.library import EntryChange, LibraryEntry, Version

NUMBER_DIGITS = 6


def lib_pk(property_id: str) -> str:
    return f"LIB#{property_id}"


def entry_sk(entry_id: str) -> str:
    return f"ENTRY#{entry_id}"


def version_sk(entry_id: str, number: int) -> str:
    return f"LIBVER#{entry_id}#{number:0{NUMBER_DIGITS}d}"


def category_pk(property_id: str, category: str) -> str:
    return f"LIBCAT#{property_id}#{category}"


def category_sk(entry: LibraryEntry) -> str | None:
    if not entry.visible or entry.approved_at is None:
        return None
    return f"{iso(entry.approved_at)}#{entry.entry_id}"


def _unknown(entry_id: str) -> NotFound:
    return NotFound("no such entry in this property's library", code="unknown_entry",
                    details={"entry_id": entry_id})


def _reasons(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r else None for r in exc.cancellation_reasons or []]


@lru_cache(maxsize=4)
def _connection(region: str) -> Connection:
    return Connection(region=region)


class DynamoLibraryStore:
    """``ports.LibraryStore`` on the ``records`` table."""

    def __init__(self, models: Models) -> None:
        self.m = models
        self._connection = _connection(models.Record.Meta.region)

    @staticmethod
    def _entry(item: RecordModel) -> LibraryEntry:
        return LibraryEntry.from_dict(item.data or {}, int(item.version or 0), int(item.counter or 0))

    def get_entry(self, property_id: str, entry_id: str) -> LibraryEntry:
        try:
            return self._entry(self.m.Record.get(lib_pk(property_id), entry_sk(entry_id), consistent_read=True))
        except DoesNotExist:
            raise _unknown(entry_id) from None

    def entries_of(self, property_id: str) -> list[LibraryEntry]:
        items = self.m.Record.query(lib_pk(property_id), self.m.Record.sk.startswith(entry_sk("")),
                                    consistent_read=True)
        return [self._entry(i) for i in items]

    def versions(self, property_id: str, entry_id: str) -> list[Version]:
        items = self.m.Record.query(lib_pk(property_id), self.m.Record.sk.startswith(f"LIBVER#{entry_id}#"),
                                    consistent_read=True)
        return [Version.from_dict(i.data or {}) for i in items]

    def _version_item(self, entry: LibraryEntry, version: Version) -> RecordModel:
        return self.m.Record(lib_pk(entry.property_id), version_sk(entry.entry_id, version.number),
                             data=version.to_dict())

    def create_entry(self, change: EntryChange) -> None:
        entry = change.entry
        sk = category_sk(entry)
        head = self.m.Record(lib_pk(entry.property_id), entry_sk(entry.entry_id), data=entry.to_dict(), counter=0,
                             lookup_pk=category_pk(entry.property_id, entry.category) if sk else None, lookup_sk=sk)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(head)  # version unset: the entry must not exist
                if change.new_version is not None:
                    tx.save(self._version_item(entry, change.new_version))
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in _reasons(exc):
                raise Conflict("an entry with this id exists", code="entry_exists",
                               details={"entry_id": entry.entry_id}) from exc
            raise

    def save_entry(self, change: EntryChange, *, expected_version: int) -> None:
        entry = change.entry
        record = self.m.Record
        sk = category_sk(entry)
        head = record(lib_pk(entry.property_id), entry_sk(entry.entry_id))
        head.version = expected_version  # pynamodb conditions the update on it and adds 1
        actions: list[Action] = [record.data.set(entry.to_dict())]
        if sk:
            actions += [record.lookup_pk.set(category_pk(entry.property_id, entry.category)),
                        record.lookup_sk.set(sk)]
        else:
            actions += [record.lookup_pk.remove(), record.lookup_sk.remove()]
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.update(head, actions=actions)  # an update: the use counter is left alone
                if change.new_version is not None:
                    tx.save(self._version_item(entry, change.new_version))
        except TransactWriteError as exc:
            reasons = _reasons(exc)
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                current = self.get_entry(entry.property_id, entry.entry_id)
                raise VersionConflict("the entry was changed by someone else; reload and try again",
                                      details={"current_version": current.version,
                                               "your_version": expected_version}) from exc
            raise

    def approved_in(self, property_id: str, category: str) -> list[LibraryEntry]:
        return [self._entry(i) for i in self.m.Record.lookup.query(category_pk(property_id, category))]

    def count_use(self, property_id: str, entry_id: str) -> int:
        record = self.m.Record
        # Through the table connection, not Model.update: that one would also set ``version``.
        try:
            out = record._get_connection().update_item(
                lib_pk(property_id), entry_sk(entry_id), actions=[record.counter.add(1)],
                condition=record.lookup_pk.exists(), return_values="UPDATED_NEW")
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                self.get_entry(property_id, entry_id)  # NotFound(unknown_entry) when absent
                raise Conflict("only an approved entry is used", code="entry_not_approved",
                               details={"entry_id": entry_id}) from exc
            raise
        return int(out["Attributes"]["counter"]["N"])
