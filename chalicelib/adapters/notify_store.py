"""Tenant notifications in DynamoDB (the ``records`` table): the feed, its
unread marker, delivery targets and preferences, and the delivery outbox.
``DynamoStore`` mixes this in; the key formats below live here only.

- a tenant's feed, newest first: ``FEED#<tenant>``, sort key
  ``<event time>#<property>#<case>#<seq>`` (the id clients see). Written in the
  change's own transaction, conditional on not existing: one per event;
- the feed's head, in the same partition: sort key ``~HEAD`` ("~" sorts after
  every timestamp, so a newest-first Query returns it first). It holds the
  unread count (``counter``: ADD 1 in the transaction that adds a notification,
  ADD -n in the transaction that marks n read, conditional on each of those n
  still being unread and on the count staying >= 0) and the tenant's
  preferences (``data``). The first feed page is ONE Query (Limit = page + 1)
  returning the head and the page; a later page is one Query from the cursor,
  which carries the language the first page rendered in; it has no unread count;
- unread ones: the sparse index ``lookup`` (``UNREAD#<tenant>``, same sort key),
  present until read; marking read removes it by a conditional update (``up_to``
  finds them there);
- where and how to tell a tenant: ``NOTIFY_TO#<tenant>`` with ``PREFS``,
  ``DEVICE#<id>``, ``WEBPUSH#<id>``: one Query reads them all (the delivery's
  read). Preferences are written to ``PREFS`` and the head in one transaction;
- the delivery outbox: ``NOTIFY_OUTBOX``, sort key ``<due>#<feed key>``; a
  reschedule (quiet hours, retry) is a delete and a put in one transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DeleteError, PutError, QueryError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.models import RecordModel
from chalicelib.domain import notify
from chalicelib.domain.cases import Change, iso, parse_iso
from chalicelib.domain.errors import BadRequest
from chalicelib.services.ports import Delivery, FeedPage

if TYPE_CHECKING:
    from pynamodb.connection import Connection

    from chalicelib.adapters.models import MetaModel, Models
    from chalicelib.adapters.transact import Transaction

OUTBOX = "NOTIFY_OUTBOX"
PREFS = "PREFS"
HEAD = "~HEAD"  # the feed's head: sorts after (newest-first: before) every feed item
MARK_BATCH = 50  # read-marks per transaction (+ the head: well under DynamoDB's 100 actions)


def feed_pk(tenant_id: str) -> str:
    return f"FEED#{tenant_id}"


def unread_pk(tenant_id: str) -> str:
    return f"UNREAD#{tenant_id}"


def feed_sk(n: notify.Notification) -> str:
    return f"{iso(n.at)}#{n.property_id}#{n.case_id}#{n.seq:06d}"


def targets_pk(tenant_id: str) -> str:
    return f"NOTIFY_TO#{tenant_id}"


def device_sk(device_id: str) -> str:
    return f"DEVICE#{device_id}"


def webpush_sk(subscription_id: str) -> str:
    return f"WEBPUSH#{subscription_id}"


def outbox_sk(d: Delivery) -> str:
    return f"{iso(d.due)}#{d.notification.tenant_id}#{feed_sk(d.notification)}"


def _delivery(data: dict[str, Any]) -> Delivery:
    return Delivery(notify.Notification.from_dict(data["notification"]), parse_iso(data["due"]),
                    int(data.get("attempts", 0)), tuple(data.get("done") or ()))


def _delivery_doc(d: Delivery) -> dict[str, Any]:
    return {"notification": d.notification.to_dict(), "due": iso(d.due), "attempts": d.attempts,
            "done": list(d.done)}


def notification_items(model: type[RecordModel], change: Change | None) -> list[RecordModel]:
    """The feed entry and the outbox record a change makes (none for most)."""
    n = notify.for_change(change) if change is not None else None
    if n is None:
        return []
    sk = feed_sk(n)
    first = Delivery(n, n.at)
    outbox = model(OUTBOX, outbox_sk(first), data=_delivery_doc(first))
    if notify.is_visitor(n.tenant_id):
        return [outbox]  # a web-form visitor: no account, so no feed; told by mail only
    return [model(feed_pk(n.tenant_id), sk, lookup_pk=unread_pk(n.tenant_id), lookup_sk=sk, data=n.to_dict()),
            outbox]


class DynamoNotifications:
    """``ports.NotificationStore`` on the records table (mixed into DynamoStore)."""

    m: Models
    _connection: Connection

    def _write_notifications(self, tx: Transaction, change: Change | None) -> int:
        """Add the change's notification items to ``tx`` (each must not exist) and
        one to the tenant's unread count (an update: pynamodb sends it after the
        puts, before any later update such as the quota); how many operations."""
        items = notification_items(self.m.Record, change)
        record = self.m.Record
        for item in items:
            tx.save(item, condition=record.pk.does_not_exist())
        if not items or items[0].pk == OUTBOX:
            return len(items)  # nothing, or a visitor's outbox record alone: no feed, no unread count
        tx.update(record(items[0].pk, HEAD), actions=[record.counter.add(1)], add_version_condition=False)
        return len(items) + 1

    # --- the feed ---------------------------------------------------------------

    def feed_page(self, tenant_id: str, *, limit: int, cursor: str | None) -> FeedPage:
        from chalicelib.adapters.dynamodb import _decode_cursor, _encode_cursor
        scope = f"feed:{tenant_id}"
        pk = feed_pk(tenant_id)
        after = _decode_cursor(scope, cursor)
        if after is not None and not (isinstance(after.get("sk"), str) and isinstance(after.get("l", ""), str)):
            raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor")
        start = {"pk": {"S": pk}, "sk": {"S": after["sk"]}} if after is not None else None
        wanted = limit if after is not None else limit + 1  # the first page reads the head too
        result = self.m.Record.query(pk, scan_index_forward=False, limit=wanted, page_size=wanted,
                                     last_evaluated_key=start)
        head, items = None, []
        try:
            for item in result:
                if item.sk == HEAD:
                    head = item
                else:
                    items.append(item)
        except QueryError as exc:
            raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor") from exc
        more = len(items) > limit or result.last_evaluated_key is not None
        items = items[:limit]
        if after is None:
            prefs = (head.data or None) if head is not None else None
            unread: int | None = max(int(head.counter or 0), 0) if head is not None else 0
        else:
            prefs, unread = ({"lang": after["l"]} if after.get("l") else None), None
        lang = (prefs or {}).get("lang") or ""
        next_cursor = _encode_cursor(scope, {"sk": items[-1].sk, "l": lang}) if more and items else None
        rows = [(i.sk, notify.Notification.from_dict(i.data or {}), i.lookup_pk is None) for i in items]
        return FeedPage(rows, next_cursor, unread, prefs)

    def notifications(self, tenant_id: str, *, limit: int,
                      cursor: str | None) -> tuple[list[tuple[str, notify.Notification, bool]], str | None]:
        page = self.feed_page(tenant_id, limit=limit, cursor=cursor)
        return page.rows, page.next_cursor

    def unread_notifications(self, tenant_id: str) -> int:
        record = self.m.Record
        found = list(record.query(feed_pk(tenant_id), record.sk == HEAD, consistent_read=True))
        return max(int(found[0].counter or 0), 0) if found else 0

    def unknown_notifications(self, tenant_id: str, ids: Sequence[str]) -> list[str]:
        wanted = list(dict.fromkeys(ids))[:100]
        found = {i.sk for i in self.m.Record.batch_get([(feed_pk(tenant_id), sk) for sk in wanted if sk != HEAD],
                                                       attributes_to_get=["pk", "sk"])}
        return [sk for sk in wanted if sk not in found]

    def _mark_batch(self, tenant_id: str, sks: list[str]) -> int:
        """Mark ``sks`` read and take exactly their number off the unread count,
        in one transaction: each conditional on still being unread, the head on
        the count staying >= 0. Those read meanwhile (or not this tenant's) are
        dropped and the rest tried again, so a concurrent mark never counts one twice."""
        record, pk = self.m.Record, feed_pk(tenant_id)
        pending = list(sks)
        for _ in range(len(sks) + 5):
            if not pending:
                return 0
            try:
                with TransactWrite(connection=self._connection) as tx:
                    for sk in pending:
                        tx.update(record(pk, sk), actions=[record.lookup_pk.remove(), record.lookup_sk.remove()],
                                  condition=record.lookup_pk.exists(), add_version_condition=False)
                    tx.update(record(pk, HEAD), actions=[record.counter.add(-len(pending))],
                              condition=record.counter >= len(pending), add_version_condition=False)
            except TransactWriteError as exc:
                reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
                gone = {sk for sk, code in zip(pending, reasons, strict=False) if code == "ConditionalCheckFailed"}
                if gone:
                    pending = [sk for sk in pending if sk not in gone]
                elif len(reasons) > len(pending) and reasons[len(pending)] == "ConditionalCheckFailed":
                    self._recount_unread(tenant_id)  # the count was off (older data): set it from the index
                # else a TransactionConflict with a concurrent mark or notification: try again
                continue
            return len(pending)
        raise RuntimeError("notifications could not be marked read: too much contention")

    def _recount_unread(self, tenant_id: str) -> None:
        record = self.m.Record
        count = record.lookup.count(unread_pk(tenant_id))
        record(feed_pk(tenant_id), HEAD).update(actions=[record.counter.set(count)], add_version_condition=False)

    def mark_notifications_read(self, tenant_id: str, ids: Sequence[str]) -> int:
        wanted = [sk for sk in dict.fromkeys(ids) if sk != HEAD]
        return sum(self._mark_batch(tenant_id, wanted[i:i + MARK_BATCH]) for i in range(0, len(wanted), MARK_BATCH))

    def mark_notifications_read_up_to(self, tenant_id: str, up_to: str, *, limit: int) -> int:
        record = self.m.Record
        unread = [i.sk for i in record.lookup.query(unread_pk(tenant_id), record.lookup_sk <= up_to, limit=limit,
                                                    page_size=limit)]
        return self.mark_notifications_read(tenant_id, unread)

    # --- targets and preferences ------------------------------------------------------

    def notify_settings(self, tenant_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]],
                                                      list[dict[str, Any]]]:
        prefs, devices, subs = None, [], []
        for item in self.m.Record.query(targets_pk(tenant_id), consistent_read=True):
            if item.sk == PREFS:
                prefs = item.data or {}
            elif item.sk.startswith(device_sk("")):
                devices.append(item.data or {})
            elif item.sk.startswith(webpush_sk("")):
                subs.append(item.data or {})
        return prefs, devices, subs

    def _put_target(self, tenant_id: str, sk: str, data: dict[str, Any]) -> None:
        self.m.Record(targets_pk(tenant_id), sk, data=data).save(add_version_condition=False)

    def _delete_target(self, tenant_id: str, sk: str) -> dict[str, Any] | None:
        record = self.m.Record
        found = list(record.query(targets_pk(tenant_id), record.sk == sk, consistent_read=True))
        if not found:
            return None
        try:
            found[0].delete(condition=record.pk.exists(), add_version_condition=False)
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None  # removed meanwhile
            raise
        return found[0].data or {}

    def put_notify_preferences(self, tenant_id: str, prefs: dict[str, Any]) -> None:
        record = self.m.Record
        with TransactWrite(connection=self._connection) as tx:
            tx.update(record(targets_pk(tenant_id), PREFS), actions=[record.data.set(prefs)],
                      add_version_condition=False)
            # an update, so the head's counter (a concurrent notification's ADD) is left alone
            tx.update(record(feed_pk(tenant_id), HEAD), actions=[record.data.set(prefs)],
                      add_version_condition=False)

    def put_device(self, tenant_id: str, record: dict[str, Any]) -> None:
        self._put_target(tenant_id, device_sk(record["id"]), record)

    def delete_device(self, tenant_id: str, device_id: str) -> dict[str, Any] | None:
        return self._delete_target(tenant_id, device_sk(device_id))

    def put_webpush(self, tenant_id: str, record: dict[str, Any]) -> None:
        self._put_target(tenant_id, webpush_sk(record["id"]), record)

    def delete_webpush(self, tenant_id: str, subscription_id: str) -> dict[str, Any] | None:
        return self._delete_target(tenant_id, webpush_sk(subscription_id))

    # --- the delivery outbox -------------------------------------------------------------

    def due_deliveries(self, now: datetime, *, limit: int) -> list[Delivery]:
        record = self.m.Record
        # "~" sorts after every character of the rest of the key: everything due at ``now``.
        return [_delivery(i.data or {}) for i in record.query(OUTBOX, record.sk <= f"{iso(now)}~", limit=limit,
                                                               page_size=limit, consistent_read=True)]

    def reschedule_delivery(self, old: Delivery, new: Delivery) -> bool:
        record = self.m.Record
        try:
            if outbox_sk(new) == outbox_sk(old):
                record(OUTBOX, outbox_sk(new), data=_delivery_doc(new)).save(condition=record.pk.exists(),
                                                                             add_version_condition=False)
                return True
            with TransactWrite(connection=self._connection) as tx:
                tx.delete(record(OUTBOX, outbox_sk(old)), condition=record.pk.exists(), add_version_condition=False)
                tx.save(record(OUTBOX, outbox_sk(new), data=_delivery_doc(new)))
        except (TransactWriteError, PutError):
            return False  # another worker took or moved it
        return True

    def finish_delivery(self, delivery: Delivery) -> bool:
        record = self.m.Record
        try:
            record(OUTBOX, outbox_sk(delivery)).delete(condition=record.pk.exists(), add_version_condition=False)
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def tenant_record(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        from chalicelib.adapters.dynamodb import tenant_key
        key = tenant_key(property_id, tenant_id)
        item = self.get_meta([key]).get(key)
        return item.data if item is not None else None

    def get_meta(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], MetaModel]:
        raise NotImplementedError  # DynamoStore's

