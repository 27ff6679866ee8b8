"""Being told: the tenant's notification feed, their devices, Web Push
subscriptions and preferences, and the delivery of each notification by
mobile push (SNS), Web Push and email, off the request path.

Notifications themselves are made by the store with the change that causes
them (``notify.for_change``, the same transaction); this service reads them,
marks them read, and drains the delivery outbox (the ``deliver_notifications``
schedule). A delivery is claimed first (moved a few minutes ahead by a
conditional write, so two workers never both send it), then sent on every
channel the tenant keeps on; what succeeded is remembered per target, so a
retry sends only what failed. Quiet hours move a delivery to their end.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import config
from chalicelib.domain import auth, notify
from chalicelib.domain.cases import iso
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.properties import Property
from chalicelib.observability import logger, record_metric
from chalicelib.services.ports import Delivery, PushFailed, PushStale

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.ports import Storage

Clock = Callable[[], datetime]
CLAIM = timedelta(minutes=5)  # a claimed delivery is another worker's again after this
MAX_ATTEMPTS = 6
READ_UP_TO_BATCH = 100
DEFAULT_TZ = "Asia/Shanghai"


def _target_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _b64url_len(value: str) -> int:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        return -1


class NotificationService:
    def __init__(self, store: Storage, clock: Clock, properties: Callable[[str], Property], *,
                 push: Any = None, webpush: Any = None, mailer: Callable[[], Any] | None = None,
                 vapid_public_key: str | None = None, allow_local_push: bool = False):
        self.store = store
        self.clock = clock
        self.properties = properties
        self.push = push  # adapters.push.SnsPush, or None: no mobile push configured
        self.webpush = webpush  # adapters.push.WebPush, or None: no VAPID key
        self.mailer = mailer
        self.vapid_public_key = vapid_public_key
        self.allow_local_push = allow_local_push

    def _tz(self, property_id: str) -> str:
        try:
            return self.properties(property_id).policy.timezone
        except NotFound:
            return DEFAULT_TZ

    def _prefs(self, tenant_id: str) -> notify.Preferences:
        stored, _, _ = self.store.notify_settings(tenant_id)
        return notify.Preferences.from_dict(stored)

    # --- the feed ---------------------------------------------------------------

    def feed(self, principal: auth.Principal, *, limit: int, cursor: str | None) -> dict[str, Any]:
        """The tenant's notifications, newest first, in their language, and how many
        are unread: ONE Query per page (the store's feed head). A later page
        (``cursor``) has ``unread_count`` null: the first page's count stands."""
        auth.authorize(principal, "notify.read")
        page = self.store.feed_page(principal.subject, limit=limit, cursor=cursor)
        prefs = notify.Preferences.from_dict(page.prefs)
        items = []
        for nid, n, read in page.rows:
            text = notify.render(n, notify.pick_lang(prefs.lang, n.lang), self._tz(n.property_id))
            items.append({"id": nid, "kind": n.kind, "property_id": n.property_id, "case_id": n.case_id,
                          "at": n.to_dict()["at"], "read": read, **text})
        return {"items": items, "next_cursor": page.next_cursor, "unread_count": page.unread_count}

    def mark_read(self, principal: auth.Principal, *, ids: list[str], up_to: str | None) -> dict[str, int]:
        """Mark notifications read by id (every id must be the caller's, else 404
        and nothing changes) and/or everything at or before ``up_to``."""
        auth.authorize(principal, "notify.read")
        if not ids and not up_to:
            raise ValidationFailed("name the notifications: ids or up_to", details={"field": "ids"})
        marked = 0
        if ids:
            unknown = self.store.unknown_notifications(principal.subject, ids)
            if unknown:
                raise NotFound("no such notification", code="notification_not_found", details={"ids": unknown})
            marked += self.store.mark_notifications_read(principal.subject, ids)
        if up_to:
            for _ in range(10):
                done = self.store.mark_notifications_read_up_to(principal.subject, up_to, limit=READ_UP_TO_BATCH)
                marked += done
                if done < READ_UP_TO_BATCH:
                    break
        return {"marked": marked, "unread_count": self.store.unread_notifications(principal.subject)}

    # --- preferences --------------------------------------------------------------

    def preferences(self, principal: auth.Principal) -> dict[str, Any]:
        auth.authorize(principal, "notify.settings")
        return self._prefs(principal.subject).to_dict()

    def put_preferences(self, principal: auth.Principal, params: dict[str, Any]) -> dict[str, Any]:
        auth.authorize(principal, "notify.settings")
        prefs = notify.Preferences.from_dict(params)
        self.store.put_notify_preferences(principal.subject, prefs.to_dict())
        return prefs.to_dict()

    # --- devices and Web Push subscriptions ------------------------------------------------

    def register_device(self, principal: auth.Principal, platform: str, token: str) -> dict[str, Any]:
        """A phone's FCM or APNs token becomes an SNS platform endpoint (the same
        token again is the same device: idempotent)."""
        auth.authorize(principal, "notify.settings")
        if self.push is None or platform not in self.push.applications:
            raise ValidationFailed(f"push to {platform} is not configured here", code="push_unavailable",
                                   details={"field": "platform"})
        device_id = _target_id(platform, token)
        try:
            arn = self.push.register(platform, token, principal.subject)
        except PushStale:
            raise ValidationFailed("the push service refused this device token", code="invalid_device_token",
                                   details={"field": "token"}) from None
        record = {"id": device_id, "platform": platform, "endpoint_arn": arn,
                  "registered_at": iso(self.clock())}
        self.store.put_device(principal.subject, record)
        return {"id": device_id, "platform": platform, "registered_at": record["registered_at"]}

    def delete_device(self, principal: auth.Principal, device_id: str) -> None:
        auth.authorize(principal, "notify.settings")
        record = self.store.delete_device(principal.subject, device_id)
        if record is None:
            raise NotFound("no such device", code="device_not_found")
        self._forget_endpoint(record)

    def _forget_endpoint(self, record: dict[str, Any]) -> None:
        if self.push is None or not record.get("endpoint_arn"):
            return
        try:
            self.push.unregister(record["endpoint_arn"])
        except Exception:  # noqa: BLE001 - the device is gone from our side; SNS's copy is harmless
            logger.warning("push endpoint not deleted", extra={"device_id": record.get("id")})

    def subscribe_webpush(self, principal: auth.Principal, endpoint: str, keys: dict[str, str]) -> dict[str, Any]:
        """A browser's push subscription: only a known push service's https
        endpoint (SSRF), and keys of the right size (P-256 point, 16-byte secret)."""
        auth.authorize(principal, "notify.settings")
        notify.check_push_endpoint(endpoint, allow_local=self.allow_local_push)
        if _b64url_len(keys.get("p256dh", "")) != 65 or _b64url_len(keys.get("auth", "")) != 16:
            raise ValidationFailed("keys.p256dh is a P-256 public key and keys.auth 16 bytes, base64url",
                                   code="invalid_push_keys", details={"field": "keys"})
        record = {"id": _target_id(endpoint), "endpoint": endpoint,
                  "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]},
                  "subscribed_at": iso(self.clock())}
        self.store.put_webpush(principal.subject, record)
        return {"id": record["id"], "subscribed_at": record["subscribed_at"]}

    def delete_webpush(self, principal: auth.Principal, subscription_id: str) -> None:
        auth.authorize(principal, "notify.settings")
        if self.store.delete_webpush(principal.subject, subscription_id) is None:
            raise NotFound("no such subscription", code="subscription_not_found")

    def webpush_key(self, principal: auth.Principal) -> dict[str, str]:
        """The applicationServerKey a browser subscribes with."""
        auth.authorize(principal, "notify.settings")
        if not self.vapid_public_key:
            raise NotFound("Web Push is not configured here", code="webpush_unavailable")
        return {"public_key": self.vapid_public_key}

    # --- delivery (the deliver_notifications schedule) -----------------------------------------

    def deliver_due(self, *, limit: int = 50) -> dict[str, Any]:
        """Deliver every due notification; returns counts and what was sent
        (the local stack prints it as ``push |`` lines)."""
        counts = {"delivered": 0, "waiting": 0, "retrying": 0, "dropped": 0}
        sent: list[dict[str, str]] = []
        for delivery in self.store.due_deliveries(self.clock(), limit=limit):
            try:
                outcome = self._deliver(delivery, sent)
            except Exception:  # noqa: BLE001 - one bad delivery must not stop the others; it stays claimed
                logger.exception("notification delivery failed", extra={"case_id": delivery.notification.case_id})
                outcome = "retrying"
            if outcome:
                counts[outcome] += 1
        return {**counts, "sent": sent}

    def _deliver(self, delivery: Delivery, sent: list[dict[str, str]]) -> str | None:
        n, now = delivery.notification, self.clock()
        claimed = replace(delivery, due=now + CLAIM)
        if not self.store.reschedule_delivery(delivery, claimed):
            return None  # another worker has it
        stored, devices, subs = self.store.notify_settings(n.tenant_id)
        prefs = notify.Preferences.from_dict(stored)
        tz = self._tz(n.property_id)
        when = notify.deliver_at(now, prefs, tz)
        if when > now:
            self.store.reschedule_delivery(claimed, replace(claimed, due=when))
            return "waiting"
        lang = notify.pick_lang(prefs.lang, n.lang)
        text = notify.render(n, lang, tz)
        done, failed = set(claimed.done), False
        targets: list[tuple[str, Callable[[], str]]] = []
        if prefs.channels.get("push") and self.push is not None:
            targets += [(f"push:{d['id']}", self._push_sender(n, d, text, sent)) for d in devices]
        if prefs.channels.get("webpush") and self.webpush is not None:
            targets += [(f"webpush:{s['id']}", self._webpush_sender(n, s, text, sent)) for s in subs]
        if prefs.channels.get("email") and self.mailer is not None and not notify.already_mailed(n):
            targets.append(("email", self._mail_sender(n, lang, text, sent)))
        for key, send in targets:
            if key in done:
                continue
            outcome = send()
            if outcome == "failed":
                failed = True
            else:  # sent, stale (removed) or nothing to do
                done.add(key)
        if not failed:
            self.store.finish_delivery(claimed)
            record_metric("NotificationDelivered", property_id=n.property_id, case_id=n.case_id)
            return "delivered"
        attempts = claimed.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            logger.error("notification delivery given up", extra={"case_id": n.case_id, "seq": n.seq,
                                                                    "tenant_id": n.tenant_id, "attempts": attempts})
            self.store.finish_delivery(claimed)
            return "dropped"
        backoff = timedelta(minutes=2 ** (attempts - 1))
        self.store.reschedule_delivery(claimed, replace(claimed, due=now + backoff, attempts=attempts,
                                                        done=tuple(sorted(done))))
        return "retrying"

    def _payload(self, n: notify.Notification, text: dict[str, str]) -> dict[str, Any]:
        return {"title": text["title"], "body": notify.short(text["body"]), "kind": n.kind,
                "property_id": n.property_id, "case_id": n.case_id}

    def _push_sender(self, n: notify.Notification, device: dict[str, Any], text: dict[str, str],
                     sent: list[dict[str, str]]) -> Callable[[], str]:
        def send() -> str:
            payload = self._payload(n, text)
            try:
                self.push.send(device["endpoint_arn"], device["platform"], payload["title"], payload["body"],
                               {"case_id": n.case_id, "property_id": n.property_id, "kind": n.kind})
            except PushStale:
                logger.info("stale push endpoint removed", extra={"device_id": device["id"]})
                self.store.delete_device(n.tenant_id, device["id"])
                self._forget_endpoint(device)
                return "stale"
            except PushFailed as exc:
                logger.warning("push failed", extra={"device_id": device["id"], "detail": str(exc)[:200]})
                return "failed"
            sent.append({"channel": "push", "to": device["endpoint_arn"], "title": payload["title"],
                         "body": payload["body"]})
            return "sent"
        return send

    def _webpush_sender(self, n: notify.Notification, sub: dict[str, Any], text: dict[str, str],
                        sent: list[dict[str, str]]) -> Callable[[], str]:
        def send() -> str:
            payload = self._payload(n, text)
            try:
                # Checked again at send time: a subscription stored under other rules is never followed.
                notify.check_push_endpoint(sub["endpoint"], allow_local=self.allow_local_push)
                self.webpush.send(sub, payload)
            except (PushStale, ValidationFailed):
                logger.info("stale web push subscription removed", extra={"subscription_id": sub["id"]})
                self.store.delete_webpush(n.tenant_id, sub["id"])
                return "stale"
            except PushFailed as exc:
                logger.warning("web push failed", extra={"subscription_id": sub["id"], "detail": str(exc)[:200]})
                return "failed"
            sent.append({"channel": "webpush", "to": sub["endpoint"], "title": payload["title"],
                         "body": payload["body"]})
            return "sent"
        return send

    def _address(self, n: notify.Notification) -> str | None:
        """Where a notification's mail goes: the tenant record's address, or for a
        web-form visitor the address they verified (on the case's reporter)."""
        if not notify.is_visitor(n.tenant_id):
            tenant = self.store.tenant_record(n.property_id, n.tenant_id)
            return (tenant or {}).get("email") or None
        try:
            reporter = self.store.get_case(n.property_id, n.case_id).reporter or {}
        except NotFound:
            return None
        return reporter.get("email") if reporter.get("visitor") else None

    def _mail_sender(self, n: notify.Notification, lang: str, text: dict[str, str],
                     sent: list[dict[str, str]]) -> Callable[[], str]:
        def send() -> str:
            from chalicelib.mail.outgoing import Outgoing, SendFailed  # the email package: senders only
            address = self._address(n)
            if not address:
                return "none"
            try:
                prop = self.properties(n.property_id)
                sender, name = prop.email or config.mail_from(), prop.name
            except NotFound:
                sender, name = config.mail_from(), ""
            assert self.mailer is not None
            try:
                self.mailer().send(Outgoing(sender=sender, sender_name=name, to=address,
                                            subject=f"[{n.case_id}] {text['title']}", text=text["body"]))
            except SendFailed as exc:
                logger.warning("notification mail failed", extra={"case_id": n.case_id, "detail": str(exc)[:200]})
                return "failed"
            sent.append({"channel": "email", "to": address, "title": text["title"], "body": text["body"]})
            return "sent"
        return send
