"""Being told, in the local stack: the SNS platform applications (FCM, APNs)
created in moto, a local VAPID key pair for Web Push (kept in .tenantdesk/
like the dev key), and the delivery schedule fired every few seconds, each
push printed as a ``push |`` line (mail goes out through SES: ``mail |``).

moto keeps every message published to a platform endpoint; no phone receives
it. Web Push goes for real to the subscription's endpoint, which locally may
only be http://127.0.0.1 (a receiver of your own: see README)."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, TextIO

from chalicelib.resources import LOCAL

DELIVER_EVERY_SECONDS = 5.0
APPLICATIONS = {"fcm": ("GCM", {"PlatformCredential": "local-fcm-server-key"}),
                "apns": ("APNS", {"PlatformCredential": "local-apns-key", "PlatformPrincipal": "local-apns-cert"})}


def load_or_create_vapid_key(path: Path) -> str:
    from chalicelib.adapters.push import new_private_key
    if path.exists() and path.read_text(encoding="utf-8").strip():
        return path.read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_private_key()
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def setup() -> dict[str, str]:
    """Platform applications and the VAPID key; the settings the app reads."""
    from chalicelib import config
    from devstack.mail import _client
    sns = _client("sns")
    apps = {name: sns.create_platform_application(Name=f"{LOCAL.prefix}-push-{name}", Platform=platform,
                                                  Attributes=attributes)["PlatformApplicationArn"]
            for name, (platform, attributes) in APPLICATIONS.items()}
    load_or_create_vapid_key(config.vapid_key_file())
    return {"TD_PUSH_APPS": json.dumps(apps), "TD_VAPID_KEY_FILE": str(config.vapid_key_file()),
            "TD_WEBPUSH_ALLOW_LOCAL": "1"}


def push_line(sent: dict[str, Any]) -> str:
    kind = "sns" if sent["channel"] == "push" else sent["channel"]
    return f"push | {kind} → {sent['to']}  「{sent['title']}」 {sent['body']}\n"


def delivery_worker(out: TextIO, every: float = DELIVER_EVERY_SECONDS):
    """Fire ``deliver_notifications`` (every minute on AWS) and print what went."""
    def loop(stopping: threading.Event) -> None:
        from devstack.engine import handler, scheduled_event
        from devstack.mail import _context
        handle = handler("deliver_notifications")
        while not stopping.wait(every):
            try:
                result = handle(scheduled_event("deliver_notifications"), _context("deliver_notifications")) or {}
            except Exception as exc:  # noqa: BLE001 - reported; the next run tries again
                out.write(f"push | delivery failed: {exc!r}\n")
                out.flush()
                continue
            for sent in result.get("sent") or []:
                if sent["channel"] != "email":  # mail shows as a `mail |` line when SES takes it
                    out.write(push_line(sent))
            if result.get("sent"):
                out.flush()
    return loop


def forget_seeded_deliveries(store: Any, now: Any) -> int:
    """The demo data's notifications stay in the tenants' feeds, but are not
    delivered: months of history would otherwise go out as mail at start-up."""
    from datetime import timedelta
    forgotten = 0
    while batch := store.due_deliveries(now + timedelta(days=3660), limit=100):
        forgotten += sum(store.finish_delivery(d) for d in batch)
    return forgotten
