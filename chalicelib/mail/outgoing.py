"""Outbound mail as a value: the message, its ids and its safe MIME form (no AWS).

Subjects and bodies are UTF-8 (RFC 2047 encoded-words in headers), so
Simplified and Traditional Chinese survive every mail client. Header values
never carry CR or LF: a tenant's subject cannot inject headers.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x00]+")
MAX_SUBJECT = 200


class SendFailed(Exception):
    """The mail service refused or could not take the message; nothing was sent."""


@dataclass(frozen=True)
class Outgoing:
    sender: str
    to: str
    subject: str
    text: str
    sender_name: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    message_id: str | None = None  # ours; SES may replace it with its own, so record both
    html: str | None = None  # an HTML alternative to ``text`` (scheduled reports)
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, bytes)


def new_message_id(sender: str) -> str:
    return make_msgid(domain=sender.rsplit("@", 1)[-1] or "tenantdesk.example").strip("<>")


def header_safe(value: str, limit: int = MAX_SUBJECT) -> str:
    """One line, no control characters: what may go into a header."""
    return _LINE_BREAKS.sub(" ", value).strip()[:limit]


def _bracket(message_id: str) -> str:
    message_id = header_safe(message_id, 500).strip("<>")
    return f"<{message_id}>"


def build(mail: Outgoing) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=header_safe(mail.sender_name, 100), addr_spec=header_safe(mail.sender, 254))
    msg["To"] = header_safe(mail.to, 254)
    msg["Subject"] = header_safe(mail.subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = _bracket(mail.message_id or new_message_id(mail.sender))
    msg["Auto-Submitted"] = "auto-generated" if mail.in_reply_to is None else "auto-replied"
    if mail.in_reply_to:
        msg["In-Reply-To"] = _bracket(mail.in_reply_to)
    refs = [_bracket(r) for r in mail.references if r]
    if refs:
        msg["References"] = " ".join(refs[-20:])
    msg.set_content(mail.text, charset="utf-8")
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    for filename, mime, data in mail.attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename,
                           params={"charset": "utf-8"} if maintype == "text" else None)
    return msg.as_bytes()


def thread_ids(ids: Iterable[str]) -> list[str]:
    """Lookup keys for message ids a tenant's mail refers to: SES rewrites our
    Message-ID to ``<ses-id@region.amazonses.com>``, so the local part alone
    identifies a message we sent."""
    keys: list[str] = []
    for raw in ids:
        value = raw.strip().strip("<>")
        for key in (value, value.split("@", 1)[0]):
            if key and key not in keys:
                keys.append(key)
    return keys
