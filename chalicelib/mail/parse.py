"""Raw inbound e-mail (as SES stores it in S3) -> ``ParsedMail``: the entry
point, and the assembly of the result from the parts the sibling modules read.

``parse()`` either returns a ``ParsedMail`` or raises ``MailRejected`` with a
reason code; whatever the bytes, it raises nothing else. The caller quarantines
rejected messages. Decoding is deliberately forgiving; each concern has its own
module under ``chalicelib/mail/``:

* ``result``: ``ParsedMail``, ``Attachment``, ``MailRejected`` and its reasons;
* ``mime``: structural limits and the walk over the MIME tree;
* ``headers`` and ``params``: header fields, RFC 2047 words, addresses, dates,
  RFC 2231 parameters (attachment names);
* ``charsets``: bytes to text under labels as clients really use them;
* ``body`` and ``quotes``: HTML to text, flowed text, quote and signature trimming;
* ``attachments``: limits, safe names, skipped files;
* ``automatic``: machine mail (RFC 3834); ``lang``: the language guess;
* ``subjects``: case references and reply prefixes in subject lines.

The names callers use are importable from here. Only ``re``, ``binascii`` and
the dataclass/datetime modules load with the package; ``email`` and
``html.parser`` load on the first ``parse()``.
"""
from __future__ import annotations

from chalicelib.mail.attachments import MAX_ATTACHMENTS, MAX_FILENAME_CHARS
from chalicelib.mail.automatic import automatic_reason, suppresses_auto_replies
from chalicelib.mail.body import MAX_HTML_CHARS, body_text
from chalicelib.mail.headers import (
    Headers,
    decode_header,
    first_mailbox,
    mailboxes,
    message_ids,
    parse_date,
    spam_headers,
)
from chalicelib.mail.lang import guess_lang
from chalicelib.mail.mime import MAX_MIME_DEPTH, MAX_PARTS, Walker, check_structure, precheck
from chalicelib.mail.params import content_type
from chalicelib.mail.quotes import trim_quotes
from chalicelib.mail.result import REASONS, Attachment, MailRejected, ParsedMail
from chalicelib.mail.subjects import case_references, case_title, strip_reply_prefixes
from chalicelib.mail.text import TRUNCATION_MARKERS, clean_line, normalise_text, truncate

# What callers and tests import from here; the other limits live with their concern.
__all__ = ["MAX_ATTACHMENTS", "MAX_FILENAME_CHARS", "MAX_FULL_TEXT_CHARS", "MAX_MIME_DEPTH", "MAX_PARTS",
           "MAX_RAW_BYTES", "MAX_TEXT_CHARS", "REASONS", "Attachment", "MailRejected", "ParsedMail", "case_references",
           "case_title", "parse", "strip_reply_prefixes"]


MAX_RAW_BYTES = 40 * 1024 * 1024       # SES's own limit
MAX_TEXT_CHARS = 5000                   # the case content limit (cases.MAX_CONTENT)
MAX_FULL_TEXT_CHARS = 50_000            # audit-trail copy: bounded so an event item stays well under DynamoDB's 400 KB


def parse(raw: bytes) -> ParsedMail:
    """Parse one raw RFC 5322 message. Raises only ``MailRejected``."""
    if isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise MailRejected("not_mime", f"expected bytes, got {type(raw).__name__}")
    if len(raw) > MAX_RAW_BYTES:
        raise MailRejected("too_large", f"{len(raw)} bytes, the limit is {MAX_RAW_BYTES}")
    if not raw.strip():
        raise MailRejected("empty", "no bytes")
    try:
        return _parse(raw)
    except MailRejected:
        raise
    except RecursionError as exc:
        raise MailRejected("too_deep", "nested beyond the parser's recursion limit (MIME parts or header comments)") \
            from exc
    except Exception as exc:  # the contract: MailRejected or a result, never anything else
        raise MailRejected("undecodable", f"{type(exc).__name__}: {exc}"[:300]) from exc


_MESSAGE_HEADERS = frozenset({
    "from", "sender", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type",
    "received", "return-path", "reply-to", "in-reply-to", "references",
})


def _parse(raw: bytes) -> ParsedMail:
    precheck(raw)
    import email
    import email.policy
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = Headers(msg)
    if not any(name in _MESSAGE_HEADERS for name, _ in headers.items):
        raise MailRejected("not_mime", "no RFC 5322 header fields")
    check_structure(msg)

    walker = Walker()
    pieces = walker.visit(msg, want_body=True)
    charsets = [cs for _, _, cs in pieces if cs]
    hint = charsets[0] if charsets else None

    from_name, from_address = first_mailbox(headers.get("from"), hint)
    if not from_address:
        from_name2, from_address = first_mailbox(headers.get("sender"), hint)
        from_name = from_name or from_name2
    if not from_address:
        raise MailRejected("no_sender", "no From (or Sender) address")

    # Only the head of a huge body is normalised and searched for quotes: the
    # audit copy keeps MAX_FULL_TEXT_CHARS and the case text fewer.
    scan = 2 * MAX_FULL_TEXT_CHARS  # normalising (CRLF, blank lines) shrinks it, rarely by half
    cut = any(len(text) > (MAX_HTML_CHARS if kind == "html" else scan) for kind, text, _ in pieces)
    full_text = normalise_text("\n\n".join(
        body for body in (body_text(kind, text[:scan] if kind == "plain" else text) for kind, text, _ in pieces)
        if body.strip()))
    subject = clean_line(decode_header(headers.get("subject") or "", hint))
    # Tenants do write a whole complaint in the subject line: only a message
    # with no subject, no text and no attachment is empty.
    if not full_text and not walker.files.attachments and not walker.files.skipped and not subject:
        raise MailRejected("empty", "no subject, no body text and no attachments")
    if cut or len(full_text) > MAX_FULL_TEXT_CHARS:
        full_text = full_text[:MAX_FULL_TEXT_CHARS]
        cut = True
    text = trim_quotes(full_text) or full_text
    lang = guess_lang(f"{subject}\n{text}", charsets + headers.encoded_word_charsets("subject", "from"))
    marker = TRUNCATION_MARKERS.get(lang or "en", TRUNCATION_MARKERS["en"])

    recipients: dict[str, None] = {}  # ordered, no repeats
    for name in ("to", "cc"):
        for value in headers.get_all(name):
            recipients.update((addr, None) for _, addr in mailboxes(value, hint))
    reply_to = first_mailbox(headers.get("reply-to"), hint)[1] or None
    ids = message_ids(headers.get("message-id"))
    automatic = automatic_reason(headers, from_address, content_type(msg)[0], subject)

    return ParsedMail(
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(headers.get("in-reply-to")),
        references=message_ids(" ".join(headers.get_all("references"))),
        from_address=from_address,
        from_name=from_name,
        to_addresses=list(recipients),
        reply_to=reply_to,
        subject=subject,
        text=truncate(text, MAX_TEXT_CHARS, marker, force=cut and text == full_text),
        full_text=truncate(full_text, MAX_FULL_TEXT_CHARS, marker, force=cut),
        attachments=walker.files.attachments,
        date=parse_date(headers.get("date")),
        lang=lang,
        auto_submitted=automatic is not None,
        automatic=automatic,
        suppress_auto_reply=suppresses_auto_replies(headers),
        spam_headers=spam_headers(headers),
        skipped_attachments=walker.files.skipped,
    )
