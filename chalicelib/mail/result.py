"""What ``parse()`` returns or raises: ``ParsedMail`` with its ``Attachment``
list, or ``MailRejected`` with one of the ``REASONS`` codes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

REASONS = ("too_large", "not_mime", "no_sender", "too_deep", "too_many_parts", "undecodable", "empty")


class MailRejected(Exception):
    """The message cannot become a case; ``reason`` is one of ``REASONS``.

    Not a ``DomainError``: no API caller caused it, and the intake quarantines
    the message instead of answering with an HTTP status."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    data: bytes
    content_id: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    from_address: str
    from_name: str
    to_addresses: list[str]
    reply_to: str | None
    subject: str
    text: str
    full_text: str
    attachments: list[Attachment]
    date: datetime | None
    lang: str | None                    # zh-Hans, zh-Hant, en; None: another language (Japanese, Korean, ...)
    auto_submitted: bool
    spam_headers: dict[str, str]
    skipped_attachments: list[tuple[str, str]] = field(default_factory=list)
    automatic: str | None = None        # why it is machine mail (a bounce, a list, a loop, ...), when it is
    suppress_auto_reply: bool = False   # the sender asked for no automatic answer (X-Auto-Response-Suppress)
