"""Configuration, read lazily from environment variables that infra (or the
local stack, or a test) sets. Nothing is read at import time: Chalice stage
variables exist only while a handler runs under ``chalice.test.Client``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from chalicelib import resources

DEFAULT_PREFIX = resources.APP


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def resource_prefix() -> str:
    """The prefix of every resource name (chalicelib/resources.py): infra sets
    ``tenantdesk-<stage>``; locally it is ``tenantdesk``."""
    return _env(resources.PREFIX_VARIABLE, DEFAULT_PREFIX) or DEFAULT_PREFIX


def names() -> resources.ResourceNames:
    return resources.ResourceNames(resource_prefix())


def table_prefix() -> str:
    """Tables may have a prefix of their own (the local stack's ``tenantdesk-local``,
    a test's private tables); by default the resources' prefix."""
    return _env("TD_TABLE_PREFIX") or resource_prefix()


def _tables() -> resources.ResourceNames:
    return resources.ResourceNames(table_prefix())


def cases_table() -> str:
    return _env("TD_CASES_TABLE") or _tables().cases_table


def events_table() -> str:
    return _env("TD_EVENTS_TABLE") or _tables().events_table


def meta_table() -> str:
    return _env("TD_META_TABLE") or _tables().meta_table


def replies_table() -> str:
    return _env("TD_REPLIES_TABLE") or _tables().replies_table


def records_table() -> str:
    """The front office's records: key register, handover logbook, owner archive."""
    return _env("TD_RECORDS_TABLE") or _tables().records_table


def mail_bucket() -> str:
    """Raw inbound mail (SES receipt rule S3 action) and stored attachments."""
    return _env("TD_MAIL_BUCKET") or _tables().mail_bucket


def mail_from() -> str:
    """Sender of acknowledgements and replies when a property has no inbox address."""
    return _env("TD_MAIL_FROM") or "service@tenantdesk.example"


def mail_acks_per_hour() -> int:
    """The loop breaker: at most this many acknowledgements to one address in
    any hour (a person rarely writes more; an auto-responder loop always does)."""
    try:
        return max(0, int(_env("TD_MAIL_ACKS_PER_HOUR", "5") or 5))
    except ValueError:
        return 5


def state_machine_arn() -> str | None:
    """The case-watch state machine (infra, or the local stack, creates it)."""
    return _env("TD_STATE_MACHINE_ARN")


def watch_queue_url() -> str:
    return _env("TD_WATCH_QUEUE_URL") or ""


def watch_dead_letter_url() -> str:
    return _env("TD_WATCH_DLQ_URL") or ""


def schedule_group() -> str:
    return _env("TD_SCHEDULE_GROUP") or names().schedule_group


def reminder_queue_arn() -> str | None:
    """Where callback reminder schedules deliver (None: reminders are off)."""
    return _env("TD_REMINDER_QUEUE_ARN")


def scheduler_role_arn() -> str:
    return _env("TD_SCHEDULER_ROLE_ARN") or ""


def event_bus() -> str:
    return _env("TD_EVENT_BUS") or names().event_bus


# SES has no endpoint in every region (none in ap-east-1, Hong Kong), so the
# default home is Singapore, which has all the services we use.
def region() -> str:
    return _env("AWS_REGION") or _env("AWS_DEFAULT_REGION") or "ap-southeast-1"


def auth_mode() -> str:
    """``local``: HS256 bearer tokens signed with a dev key, and, when a user pool is
    configured (``TD_USER_POOL_ID``), the pool's RS256 tokens verified here with its JWKS.
    ``cognito_jwt``: only the pool's tokens, verified here (no API Gateway authorizer).
    ``cognito``: API Gateway's Cognito authorizer has verified the caller and
    hands us its claims; bearer tokens are not checked again here."""
    return (_env("TD_AUTH_MODE", "local") or "local").lower()


def dev_key_file() -> Path:
    # Beside the checkout, wherever the command runs from; absent on Lambda.
    return Path(_env("TD_DEV_KEY_FILE") or Path(__file__).resolve().parents[1] / ".tenantdesk" / "dev-key")


def auth_secret() -> str | None:
    """The local HS256 signing key: ``TD_AUTH_SECRET`` or the key file the local stack wrote."""
    secret = _env("TD_AUTH_SECRET")
    if secret:
        return secret
    path = dev_key_file()
    if path.exists():
        return path.read_text(encoding="utf-8").strip() or None
    return None


def max_body_bytes() -> int:
    return int(_env("TD_MAX_BODY_BYTES", "65536") or 65536)


# --- sign-in (Cognito): chalicelib/http/identity.py, chalicelib/adapters/cognito.py ---------------

def user_pool_id() -> str | None:
    """The Cognito user pool the API invites tenants into and whose tokens it may verify
    itself (infra sets it; the local stack creates a pool on moto and sets it)."""
    return _env("TD_USER_POOL_ID")


def user_pool_client_ids() -> tuple[str, ...]:
    """App clients whose tokens the API accepts (``aud`` of an ID token), comma-separated."""
    return tuple(c.strip() for c in (_env("TD_USER_POOL_CLIENT_IDS") or "").split(",") if c.strip())


def cognito_issuer() -> str | None:
    """The ``iss`` of the pool's tokens. moto issues the same URL as AWS, so it is never overridden."""
    pool = user_pool_id()
    if not pool:
        return None
    home = pool.split("_", 1)[0] if "_" in pool else region()  # a pool id starts with its region
    return f"https://cognito-idp.{home}.amazonaws.com/{pool}"


def cognito_jwks_url() -> str | None:
    """Where the pool's signing keys are: on AWS beside the issuer; locally moto serves them at
    ``<moto>/<pool id>/.well-known/jwks.json`` (the local stack sets ``TD_COGNITO_JWKS_URL``)."""
    issuer = cognito_issuer()
    return _env("TD_COGNITO_JWKS_URL") or (f"{issuer}/.well-known/jwks.json" if issuer else None)
# --- tenant notifications (chalicelib/services/notify_service.py) --------------------

def push_applications() -> dict[str, str]:
    """SNS platform application ARN per platform (``fcm``, ``apns``), from
    ``TD_PUSH_APPS`` (JSON): infra creates them per stage, the local stack in moto.
    A platform without one refuses device registration (422 ``push_unavailable``)."""
    try:
        apps = json.loads(_env("TD_PUSH_APPS", "{}") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in apps.items()} if isinstance(apps, dict) else {}


def vapid_key_file() -> Path:
    """Beside the local signing key (``dev_key_file``): the local stack makes it on its first run."""
    return Path(_env("TD_VAPID_KEY_FILE") or dev_key_file().parent / "vapid-private.pem")


def vapid_private_key() -> str | None:
    """The Web Push (VAPID) private key, PEM: ``TD_VAPID_PRIVATE_KEY`` (a secret in
    AWS) or the file the local stack made; None turns Web Push off."""
    key = _env("TD_VAPID_PRIVATE_KEY")
    if key:
        return key
    path = vapid_key_file()
    return path.read_text(encoding="utf-8") if path.exists() else None


def vapid_subject() -> str:
    """Who push services contact about our pushes (VAPID ``sub``)."""
    return _env("TD_VAPID_SUBJECT") or f"mailto:{mail_from()}"


def webpush_allow_local() -> bool:
    """Admit Web Push endpoints on http://127.0.0.1 (the local stack and tests only)."""
    return _env("TD_WEBPUSH_ALLOW_LOCAL") == "1"


def public_sms() -> bool:
    """Send the public web form's codes by SMS too (SNS; needs SMS set up in the account)."""
    return _env("TD_PUBLIC_SMS") == "1"


def public_base_url() -> str | None:
    """Where visitors open the public web form (the QR codes' URLs), e.g. https://service.example.cn."""
    return _env("TD_PUBLIC_BASE_URL")
