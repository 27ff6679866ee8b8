"""The in-memory twin of ``notify_store.DynamoNotifications`` (mixed into
``memory.MemoryStore``): same ids, order, conditions and outbox semantics,
checked by tests/contract."""
from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.domain import notify
from chalicelib.domain.cases import Change, iso
from chalicelib.domain.errors import BadRequest
from chalicelib.services.ports import Delivery, FeedPage


def _feed_id(n: notify.Notification) -> str:
    return f"{iso(n.at)}#{n.property_id}#{n.case_id}#{n.seq:06d}"


def _outbox_id(d: Delivery) -> str:
    return f"{iso(d.due)}#{d.notification.tenant_id}#{_feed_id(d.notification)}"


class MemoryNotifications:
    """``ports.NotificationStore`` in memory."""

    _lock: threading.RLock

    def __init__(self) -> None:
        self._feed: dict[str, dict[str, tuple[notify.Notification, bool]]] = {}
        self._prefs: dict[str, dict[str, Any]] = {}
        self._devices: dict[str, dict[str, dict[str, Any]]] = {}
        self._webpush: dict[str, dict[str, dict[str, Any]]] = {}
        self._deliveries: dict[str, Delivery] = {}

    def _add_notifications(self, change: Change | None) -> None:
        """Called inside the change's write, after every condition held."""
        n = notify.for_change(change) if change is not None else None
        if n is None:
            return
        if not notify.is_visitor(n.tenant_id):  # a web-form visitor has no feed: told by mail only
            self._feed.setdefault(n.tenant_id, {})[_feed_id(n)] = (n, False)
        first = Delivery(n, n.at)
        self._deliveries[_outbox_id(first)] = first

    def feed_page(self, tenant_id: str, *, limit: int, cursor: str | None) -> FeedPage:
        """As DynamoDB's: the first page carries the unread count and the
        preferences; a later page no count and the first page's language."""
        from chalicelib.adapters.memory import _decode, _encode
        scope = f"feed:{tenant_id}"
        after = _decode(scope, cursor)
        if after is not None and (len(after) != 2 or not all(isinstance(v, str) for v in after)):
            raise BadRequest("the cursor is not one this listing gave out", code="invalid_cursor")
        with self._lock:
            mine = self._feed.get(tenant_id, {})
            rows = sorted(((sk, n, read) for sk, (n, read) in mine.items()), key=lambda r: r[0], reverse=True)
            if after is None:
                prefs = copy.deepcopy(self._prefs.get(tenant_id))
                unread: int | None = sum(not read for _, read in mine.values())
            else:
                rows = [r for r in rows if r[0] < after[0]]
                prefs, unread = ({"lang": after[1]} if after[1] else None), None
        page, more = rows[:limit], len(rows) > limit
        lang = (prefs or {}).get("lang") or ""
        return FeedPage(page, _encode(scope, [page[-1][0], lang]) if more and page else None, unread, prefs)

    def notifications(self, tenant_id: str, *, limit: int,
                      cursor: str | None) -> tuple[list[tuple[str, notify.Notification, bool]], str | None]:
        page = self.feed_page(tenant_id, limit=limit, cursor=cursor)
        return page.rows, page.next_cursor

    def unread_notifications(self, tenant_id: str) -> int:
        with self._lock:
            return sum(not read for _, read in self._feed.get(tenant_id, {}).values())

    def unknown_notifications(self, tenant_id: str, ids: Sequence[str]) -> list[str]:
        with self._lock:
            mine = self._feed.get(tenant_id, {})
            return [i for i in list(dict.fromkeys(ids))[:100] if i not in mine]

    def _mark(self, tenant_id: str, sk: str) -> bool:
        mine = self._feed.get(tenant_id, {})
        if sk not in mine or mine[sk][1]:
            return False
        mine[sk] = (mine[sk][0], True)
        return True

    def mark_notifications_read(self, tenant_id: str, ids: Sequence[str]) -> int:
        with self._lock:
            return sum(self._mark(tenant_id, sk) for sk in dict.fromkeys(ids))

    def mark_notifications_read_up_to(self, tenant_id: str, up_to: str, *, limit: int) -> int:
        with self._lock:
            unread = sorted(sk for sk, (_, read) in self._feed.get(tenant_id, {}).items() if not read and sk <= up_to)
            return sum(self._mark(tenant_id, sk) for sk in unread[:limit])

    def notify_settings(self, tenant_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]],
                                                      list[dict[str, Any]]]:
        with self._lock:
            prefs = self._prefs.get(tenant_id)
            devices = [copy.deepcopy(d) for _, d in sorted(self._devices.get(tenant_id, {}).items())]
            subs = [copy.deepcopy(w) for _, w in sorted(self._webpush.get(tenant_id, {}).items())]
            return copy.deepcopy(prefs), devices, subs

    def put_notify_preferences(self, tenant_id: str, prefs: dict[str, Any]) -> None:
        with self._lock:
            self._prefs[tenant_id] = copy.deepcopy(prefs)

    def put_device(self, tenant_id: str, record: dict[str, Any]) -> None:
        with self._lock:
            self._devices.setdefault(tenant_id, {})[record["id"]] = copy.deepcopy(record)

    def delete_device(self, tenant_id: str, device_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._devices.get(tenant_id, {}).pop(device_id, None)

    def put_webpush(self, tenant_id: str, record: dict[str, Any]) -> None:
        with self._lock:
            self._webpush.setdefault(tenant_id, {})[record["id"]] = copy.deepcopy(record)

    def delete_webpush(self, tenant_id: str, subscription_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._webpush.get(tenant_id, {}).pop(subscription_id, None)

    def due_deliveries(self, now: datetime, *, limit: int) -> list[Delivery]:
        with self._lock:
            due = sorted(k for k, d in self._deliveries.items() if d.due <= now)
            return [copy.deepcopy(self._deliveries[k]) for k in due[:limit]]

    def reschedule_delivery(self, old: Delivery, new: Delivery) -> bool:
        with self._lock:
            if self._deliveries.pop(_outbox_id(old), None) is None:
                return False
            self._deliveries[_outbox_id(new)] = copy.deepcopy(new)
            return True

    def finish_delivery(self, delivery: Delivery) -> bool:
        with self._lock:
            return self._deliveries.pop(_outbox_id(delivery), None) is not None

    def tenant_record(self, property_id: str, tenant_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = getattr(self, "_tenants", {}).get((property_id, tenant_id))
            return copy.deepcopy(found)
