"""Raw inbound e-mail (as SES stores it in S3) -> ``ParsedMail``.

``parse()`` either returns a ``ParsedMail`` or raises ``MailRejected`` with a
reason code; whatever the bytes, it raises nothing else. The caller quarantines
rejected messages.

Tenants in mainland China, Hong Kong and English-speaking sites write from
every kind of client, so decoding is deliberately forgiving:

* Header fields are decoded here from their raw form, not by the stdlib's
  header registry: RFC 2047 encoded-words in any charset (adjacent words of one
  charset are joined before decoding, so a character split across two words
  survives), raw 8-bit UTF-8 or GBK, broken encodings (kept as written).
* Charset labels are read generously: ``gb2312``/``gbk`` text is decoded as
  GB18030 (a superset; real "gb2312" mail carries GBK characters), ``big5``
  falls back to CP950 and Big5-HKSCS, ``iso-8859-1``/``us-ascii`` as
  Windows-1252 (what the label means in practice), and unknown labels try
  UTF-8, GB18030, then Latin-1. A part that is wholly valid UTF-8 with CJK
  characters is UTF-8 whatever its GB or Big5 label says, and UTF-8 cut
  mid-character (a filename at a client's byte limit) keeps its whole
  characters, only the broken bytes replaced. Nothing ever fails to decode:
  the last resort substitutes U+FFFD.

Only ``re``, ``binascii`` and the dataclass/datetime modules load with this
module; ``email`` and ``html.parser`` load on the first ``parse()``.
"""
from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

MAX_RAW_BYTES = 40 * 1024 * 1024       # SES's own limit
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_TEXT_CHARS = 5000                   # the case content limit (cases.MAX_CONTENT)
MAX_FULL_TEXT_CHARS = 50_000            # audit-trail copy: bounded so an event item stays well under DynamoDB's 400 KB
MAX_MIME_DEPTH = 10
MAX_PARTS = 100
MAX_FILENAME_CHARS = 200                # the attachment schema's name limit
MAX_HTML_CHARS = 500_000                # HTML beyond this is not converted (html.parser: ~1 s per 500 KB of tags)
# The stdlib's structured-header parser is quadratic on some inputs (8 KB of ";" in a
# Content-Type field: ~1 s; 1 MB: hours). It only ever parses Content-Type (the MIME
# parser) and Content-Transfer-Encoding (payload decoding), so those are bounded first.
MAX_CONTENT_TYPE_FIELD = 4096
MAX_CONTENT_TYPE_TOTAL = 32768
MAX_CTE_FIELD = 1024

TRUNCATION_MARKERS = {"zh-Hans": "…（以下省略）", "zh-Hant": "…（以下省略）", "en": "… (truncated)"}

REASONS = ("too_large", "not_mime", "no_sender", "too_deep", "too_many_parts", "undecodable", "empty")


class _LazyPattern:
    """A regular expression compiled on first use, so importing this module
    stays cheap on a Lambda cold start."""

    __slots__ = ("_pattern", "_flags", "_compiled")

    def __init__(self, pattern: Any, flags: int = 0):
        self._pattern = pattern
        self._flags = flags
        self._compiled: Any = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._pattern, self._flags)
        return getattr(compiled, name)


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


# --- public helpers on subjects ----------------------------------------------

_CASE_ID = _LazyPattern(r"(?<![A-Za-z0-9])TD-([0-9]{8})-([0-9]{4,6})(?![0-9])", re.IGNORECASE)
_REPLY_PREFIX = _LazyPattern(
    r"^\s*(?:re|fwd?|回复|回覆|回復|答复|答覆|转发|转寄|轉寄|轉發)\s*(?:\[[0-9]{1,3}\]|\([0-9]{1,3}\))?\s*[:：]\s*",
    re.IGNORECASE)
_BRACKETED_REF = r"[\[【〔［(（]\s*TD-[0-9]{8}-[0-9]{4,6}\s*[\]】〕］)）]"
_LEADING_REF = _LazyPattern(r"^\s*" + _BRACKETED_REF + r"\s*", re.IGNORECASE)
_TRAILING_REF = _LazyPattern(r"\s*" + _BRACKETED_REF + r"\s*$", re.IGNORECASE)


def case_references(subject: str) -> list[str]:
    """Case ids (``TD-20261123-0042``) in ``subject``, bracketed or bare, in
    order of appearance and without repeats. Full-width forms typed with a
    Chinese IME (``ＴＤ－２０２６…``) count too; ids come back in canonical form."""
    if not subject:
        return []
    import unicodedata
    found: list[str] = []
    for m in _CASE_ID.finditer(unicodedata.normalize("NFKC", subject)):
        ref = f"TD-{m.group(1)}-{m.group(2)}"
        if ref not in found:
            found.append(ref)
    return found


def strip_reply_prefixes(subject: str) -> str:
    """``回复：[TD-20261123-0042] Re: 漏水`` -> ``漏水``: removes reply/forward
    prefixes (English, Simplified, Traditional; ``Re[2]:``; full-width colons)
    and a bracketed case reference at either end, repeatedly."""
    s = " ".join((subject or "").split())
    while True:
        before = s
        s = _REPLY_PREFIX.sub("", s, count=1)
        s = _LEADING_REF.sub("", s, count=1)
        s = _TRAILING_REF.sub("", s, count=1)
        if s == before:
            return s.strip()


# --- entry point ---------------------------------------------------------------

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
    except Exception as exc:  # noqa: BLE001 - the contract: MailRejected or a result, never anything else
        raise MailRejected("undecodable", f"{type(exc).__name__}: {exc}"[:300]) from exc


_MESSAGE_HEADERS = frozenset({
    "from", "sender", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type",
    "received", "return-path", "reply-to", "in-reply-to", "references",
})


def _parse(raw: bytes) -> ParsedMail:
    _precheck(raw)
    import email
    import email.policy
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = _Headers(msg)
    if not any(name in _MESSAGE_HEADERS for name, _ in headers.items):
        raise MailRejected("not_mime", "no RFC 5322 header fields")
    _check_structure(msg)

    walker = _Walker()
    pieces = walker.visit(msg, want_body=True)
    charsets = [cs for _, _, cs in pieces if cs]
    hint = charsets[0] if charsets else None

    from_name, from_address = _first_mailbox(headers.get("from"), hint)
    if not from_address:
        from_name2, from_address = _first_mailbox(headers.get("sender"), hint)
        from_name = from_name or from_name2
    if not from_address:
        raise MailRejected("no_sender", "no From (or Sender) address")

    # Only the head of a huge body is normalised and searched for quotes: the
    # audit copy keeps MAX_FULL_TEXT_CHARS and the case text fewer.
    scan = 2 * MAX_FULL_TEXT_CHARS  # normalising (CRLF, blank lines) shrinks it, rarely by half
    cut = any(len(text) > (MAX_HTML_CHARS if kind == "html" else scan) for kind, text, _ in pieces)
    full_text = _normalise_text("\n\n".join(
        body for body in (_body_text(kind, text[:scan] if kind == "plain" else text) for kind, text, _ in pieces)
        if body.strip()))
    subject = _clean_line(_decode_header(headers.get("subject") or "", hint))
    # Tenants do write a whole complaint in the subject line: only a message
    # with no subject, no text and no attachment is empty.
    if not full_text and not walker.attachments and not walker.skipped and not subject:
        raise MailRejected("empty", "no subject, no body text and no attachments")
    if cut or len(full_text) > MAX_FULL_TEXT_CHARS:
        full_text = full_text[:MAX_FULL_TEXT_CHARS]
        cut = True
    text = _trim_quotes(full_text) or full_text
    lang = _guess_lang(f"{subject}\n{text}", charsets + headers.encoded_word_charsets("subject", "from"))
    marker = TRUNCATION_MARKERS.get(lang or "en", TRUNCATION_MARKERS["en"])

    recipients: dict[str, None] = {}  # ordered, no repeats
    for name in ("to", "cc"):
        for value in headers.get_all(name):
            recipients.update((addr, None) for _, addr in _mailboxes(value, hint))
    reply_to = _first_mailbox(headers.get("reply-to"), hint)[1] or None
    ids = _message_ids(headers.get("message-id"))
    automatic = _automatic(headers, from_address, _content_type(msg)[0], subject)

    return ParsedMail(
        message_id=ids[0] if ids else None,
        in_reply_to=_message_ids(headers.get("in-reply-to")),
        references=_message_ids(" ".join(headers.get_all("references"))),
        from_address=from_address,
        from_name=from_name,
        to_addresses=list(recipients),
        reply_to=reply_to,
        subject=subject,
        text=_truncate(text, MAX_TEXT_CHARS, marker, force=cut and text == full_text),
        full_text=_truncate(full_text, MAX_FULL_TEXT_CHARS, marker, force=cut),
        attachments=walker.attachments,
        date=_parse_date(headers.get("date")),
        lang=lang,
        auto_submitted=automatic is not None,
        automatic=automatic,
        suppress_auto_reply=_suppresses_auto_replies(headers),
        spam_headers=_spam_headers(headers),
        skipped_attachments=walker.skipped,
    )


def _precheck(raw: bytes) -> None:
    """Cheap checks before the stdlib parser spends time on the bytes."""
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n"), raw.find(b"\r\r")) if i >= 0]
    if not ends and not raw.endswith((b"\n", b"\r")):
        raise MailRejected("not_mime", "truncated: the input ends inside the header section")
    # Every part has its own header block; a Content-Type field starts a line.
    # Counting them bounds the parser's work (and its recursion on deep nesting)
    # before it starts; the exact count of parts follows after parsing.
    lowered = raw.lower()
    declared = lowered.count(b"\ncontent-type:") + lowered.count(b"\rcontent-type:") \
        + lowered.startswith(b"content-type:")
    if declared > 2 * MAX_PARTS:
        raise MailRejected("too_many_parts", f"{declared} Content-Type fields; at most {MAX_PARTS} parts are read")
    total = 0
    for size in _field_sizes(lowered, b"content-type:", MAX_CONTENT_TYPE_FIELD):
        total += size
        if size > MAX_CONTENT_TYPE_FIELD or total > MAX_CONTENT_TYPE_TOTAL:
            raise MailRejected("too_large", f"Content-Type fields over {MAX_CONTENT_TYPE_FIELD} bytes each "
                                            f"or {MAX_CONTENT_TYPE_TOTAL} in all")
    for size in _field_sizes(lowered, b"content-transfer-encoding:", MAX_CTE_FIELD):
        if size > MAX_CTE_FIELD:
            raise MailRejected("too_large", f"a Content-Transfer-Encoding field over {MAX_CTE_FIELD} bytes")


_LINE_END = _LazyPattern(rb"\r\n|\r|\n")


def _field_sizes(lowered: bytes, name: bytes, limit: int):
    """Sizes of the header fields ``name`` (lower-case, with the colon) that start
    a line, folded continuation lines included; counting stops past ``limit``."""
    pos, n = 0, len(lowered)
    while True:
        start = lowered.find(name, pos)
        if start < 0:
            return
        pos = start + len(name)
        if start and lowered[start - 1] not in b"\r\n":
            continue
        end = pos
        while end - start <= limit:
            m = _LINE_END.search(lowered, end)
            if m is None:
                end = n
                break
            if m.end() < n and lowered[m.end()] in b" \t":
                end = m.end()  # a folded continuation line
                continue
            end = m.start()
            break
        yield end - start


def _check_structure(msg: Any) -> None:
    stack = [(msg, 1)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if depth > MAX_MIME_DEPTH:
            raise MailRejected("too_deep", f"MIME parts nested more than {MAX_MIME_DEPTH} levels")
        if count > MAX_PARTS:
            raise MailRejected("too_many_parts", f"more than {MAX_PARTS} MIME parts")
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload)


# --- header fields -------------------------------------------------------------------

class _Headers:
    """The message's header fields as received: lower-cased names, raw values
    (8-bit bytes appear as surrogate escapes), in order."""

    def __init__(self, msg: Any):
        self.items = [(str(k).strip().lower(), v if isinstance(v, str) else str(v)) for k, v in msg.raw_items()]

    def get(self, name: str) -> str | None:
        """The first (topmost) field of that name: the one the receiving hop
        added, for trace fields that senders might forge lower down."""
        for k, v in self.items:
            if k == name:
                return _unfold(v)
        return None

    def get_all(self, name: str) -> list[str]:
        return [_unfold(v) for k, v in self.items if k == name]

    def encoded_word_charsets(self, *names: str) -> list[str]:
        out = []
        for name in names:
            for value in self.get_all(name):
                out.extend(m.group(1) for m in _ENCODED_WORD.finditer(value[:_MAX_HEADER_CHARS]))
        return out


_MAX_HEADER_CHARS = 65536
# The encoded text may not contain "?"; whitespace inside it is tolerated (clients
# that fold in the middle of a word), the decoders drop or keep it as appropriate.
_ENCODED_WORD = _LazyPattern(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?]*)\?=")


def _unfold(value: str) -> str:
    return value.replace("\r", "").replace("\n", "")


def _decode_header(value: str, hint: str | None = None) -> str:
    """An unstructured header value (or a display name / parameter) as text:
    RFC 2047 encoded-words decoded, raw 8-bit bytes decoded as UTF-8, then the
    ``hint`` charset (the body's), then GB18030 / Windows-1252. Broken
    encoded-words stay as written. Never raises."""
    if not value:
        return ""
    value = _unfold(value)[:_MAX_HEADER_CHARS]
    pieces: list[list[Any]] = []  # [kind, charset, payload]: ("ew", charset, bytes) or ("raw", None, str)
    pos = 0
    for m in _ENCODED_WORD.finditer(value):
        between = value[pos:m.start()]
        pos = m.end()
        if between and not (between.isspace() and pieces and pieces[-1][0] == "ew"):
            pieces.append(["raw", None, between])
        data = _decode_encoded_word(m.group(2), m.group(3))
        if data is None:
            pieces.append(["raw", None, m.group(0)])
            continue
        charset = m.group(1).lower()
        if pieces and pieces[-1][0] == "ew" and pieces[-1][1] == charset:
            pieces[-1][2] += data  # a multibyte character may be split across adjacent words
        else:
            pieces.append(["ew", charset, data])
    if pos < len(value):
        pieces.append(["raw", None, value[pos:]])
    out = []
    for kind, charset, payload in pieces:
        out.append(_decode_bytes(payload, charset) if kind == "ew" else _decode_raw_text(payload, hint))
    return "".join(out)


def _decode_encoded_word(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "Bb":
            return _b64decode(text)
        return binascii.a2b_qp(text.encode("ascii", "surrogateescape"), header=True)
    except Exception:  # noqa: BLE001 - a broken word is kept as written
        return None


def _b64decode(text: str) -> bytes:
    """Lenient base64: ignores characters outside the alphabet and repairs padding."""
    clean = re.sub(r"[^A-Za-z0-9+/]", "", text)
    if len(clean) % 4 == 1:
        clean = clean[:-1]
    return binascii.a2b_base64(clean + "=" * (-len(clean) % 4))


def _decode_raw_text(value: str, hint: str | None = None) -> str:
    """Header text outside encoded-words: ASCII, or 8-bit bytes the parser kept
    as surrogate escapes (clients that send raw UTF-8 or GBK headers)."""
    if value.isascii():
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mostly = _mostly_utf8(data)  # before the hint: GB18030 reads almost any bytes, cut UTF-8 as mojibake
    if mostly is not None:
        return mostly
    return _decode_bytes(data, hint)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a filename a client cut mid-character
    at a byte limit): the valid characters decoded, only the broken bytes
    replaced by U+FFFD. None when the bytes do not read as UTF-8 (GBK, Latin-1):
    then most non-ASCII bytes are broken sequences."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    valid = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    return text if valid and valid >= 2 * broken else None


def _clean_line(value: str) -> str:
    return " ".join(_CONTROL.sub("", value).split())


def _mailboxes(value: str | None, hint: str | None) -> list[tuple[str, str]]:
    """(decoded display name, lower-cased addr-spec) pairs; entries without a
    usable address are dropped. Parsed before decoding, so an encoded display
    name containing commas or brackets cannot split the list."""
    if not value:
        return []
    from email.utils import getaddresses
    value = value[:_MAX_HEADER_CHARS]
    out = []
    try:
        pairs = getaddresses([value])
    except Exception:  # noqa: BLE001
        pairs = []
    for name, addr in pairs:
        addr = _decode_raw_text(addr.strip().strip("<>").strip()).lower()
        if _is_address(addr):
            out.append((_clean_line(_decode_header(name, hint)).strip('"').strip(), addr))
    if not out:  # last resort for mangled fields: the first token that is an address
        for token in _ADDR_SEPARATORS.split(_decode_raw_text(value)):
            if _is_address(token.lower()):
                out.append(("", token.lower()))
                break
    return out


# Checked piecewise rather than with one pattern: a pattern with two unbounded
# runs around "@" backtracks quadratically on a long run without one.
_ADDR_SEPARATORS = _LazyPattern(r"[\s<>,;:\"()\[\]\\]+")
_ADDR_PART = _LazyPattern(r"[^@\s<>,;:\"()\[\]\\]+")


def _is_address(addr: str) -> bool:
    local, at, domain = addr.partition("@")
    return bool(at and len(addr) <= 320 and _ADDR_PART.fullmatch(local) and _ADDR_PART.fullmatch(domain)
                and "." in domain.strip("."))


def _first_mailbox(value: str | None, hint: str | None) -> tuple[str, str]:
    boxes = _mailboxes(value, hint)
    return boxes[0] if boxes else ("", "")


def _message_ids(value: str | None) -> list[str]:
    """Ids without angle brackets, in order, without repeats."""
    if not value:
        return []
    value = _decode_raw_text(value[:_MAX_HEADER_CHARS])
    found = re.findall(r"<([^<>]*)>", value)
    if not found:
        found = [token for token in re.split(r"[\s,]+", value) if token]
    out: dict[str, None] = {}  # ordered, no repeats
    for item in found:
        item = "".join(item.split())[:998]
        if item:
            out[item] = None
    return list(out)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime
    text = _clean_line(_decode_raw_text(value))
    try:
        parsed = parsedate_to_datetime(text)
    except Exception:  # noqa: BLE001 - unparsable dates are common and harmless
        try:
            parsed = datetime.fromisoformat(text)
        except Exception:  # noqa: BLE001
            return None
        if parsed.tzinfo is None:
            return None  # a bare local time with no zone says nothing reliable
    if parsed.tzinfo is None:  # RFC 5322 "-0000": UTC, the sender's zone unknown
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _token(value: str | None) -> str:
    m = re.match(r"\s*([A-Za-z0-9_.-]+)", value or "")
    return m.group(1).lower() if m else ""


_AUTO_SUBJECT = _LazyPattern(
    r"^\s*(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (?:the )?office"
    r"|undeliverable|undelivered mail|delivery status notification|delivery failure|mail delivery failed"
    r"|returned mail|failure notice|non[- ]?delivery|loop alert|mail loop)\b"
    r"|^\s*(?:自动回复|自動回覆|自動回復|系统退信|系統退信|退信通知|投递失败|投遞失敗|无法投递|無法投遞|無法傳遞)",
    re.IGNORECASE)
# Local parts of machine senders, compared without "-", "_" and ".": post_master,
# Mailer-Daemon, no-reply, do_not_reply, ...
_BOUNCE_SENDERS = ("postmaster", "mailerdaemon", "maildaemon", "mailerdeamon")
_NO_REPLY_SENDERS = ("noreply", "donotreply", "dontreply", "noresponse", "donotrespond")


def _local_part(address: str) -> str:
    """The local part, lower-case, without a "+tag" and without separators."""
    local = address.rsplit("@", 1)[0].lower().split("+", 1)[0]
    return local.replace("-", "").replace("_", "").replace(".", "")


def _list_manager_address(address: str) -> bool:
    """owner-tenants@, tenants-owner@, tenants-request@, tenants-bounces@: the
    addresses list managers (Mailman, LISTSERV, Majordomo, Sympa) send from."""
    local = address.rsplit("@", 1)[0].lower().split("+", 1)[0]
    return local.startswith("owner-") or local.endswith(("-owner", "-request", "-bounces", "-bounce")) \
        or local in ("listserv", "majordomo", "sympa", "mailman", "listproc")


def _automatic(headers: _Headers, from_address: str, content_type: str, subject: str) -> str | None:
    """Why this is mail we must never answer automatically (RFC 3834 section 2:
    auto-replies, delivery reports, list and bulk mail, mail loops), or None.
    Real mail rarely carries every marker, so any one of them counts."""
    return_path = headers.get("return-path")
    if return_path is not None:
        stripped = "".join(return_path.split())
        if stripped in ("<>", ""):
            return "bounce: null Return-Path"
        path = _first_mailbox(return_path, None)[1] or stripped.strip("<>").lower()
        if path and _local_part(path) in _BOUNCE_SENDERS:
            return "bounce: Return-Path is a mail system"
        if path and _list_manager_address(path):
            return f"mailing list: Return-Path {path}"
    if _local_part(from_address) in _BOUNCE_SENDERS:
        return f"bounce: from {from_address}"
    if content_type == "multipart/report" or content_type.startswith("message/delivery-status") \
            or headers.get("x-failed-recipients") is not None:
        return "bounce: a delivery or disposition report"
    auto = headers.get("auto-submitted")
    if auto is not None and _token(auto) not in ("", "no"):
        return f"auto-reply: Auto-Submitted {_token(auto)}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated"):
        value = headers.get(name)
        if value is not None and _token(value) not in ("no", "false", "0"):
            return f"auto-reply: {name}"
    if headers.get("x-loop") is not None:
        return "loop: X-Loop"
    precedence = _token(headers.get("precedence"))
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"bulk: Precedence {precedence}"
    for name in ("list-id", "list-unsubscribe", "list-post", "x-mailing-list", "mailing-list"):
        if headers.get(name) is not None:
            return f"mailing list: {name}"
    sender = _first_mailbox(headers.get("sender"), None)[1]
    if sender and _list_manager_address(sender):
        return f"mailing list: Sender {sender}"
    if _list_manager_address(from_address):
        return f"mailing list: from {from_address}"
    local = _local_part(from_address)
    if local.startswith(_NO_REPLY_SENDERS):
        return f"automatic sender: {from_address}"
    m = _AUTO_SUBJECT.match(subject)
    if m:
        return f"automatic subject: {m.group(0).strip()}"
    return None


def _suppresses_auto_replies(headers: _Headers) -> bool:
    """Exchange's X-Auto-Response-Suppress: the sender asks for no automatic
    answer (All, or the OOF/AutoReply classes an acknowledgement falls under)."""
    value = headers.get("x-auto-response-suppress")
    if value is None:
        return False
    classes = {c.strip().lower() for c in re.split(r"[,;\s]+", value) if c.strip()}
    return bool(classes & {"all", "oof", "autoreply"})


def _spam_headers(headers: _Headers) -> dict[str, str]:
    """SES's verdicts and the SPF/DKIM/DMARC results. The topmost field of each
    name is used: SES prepends its own, a sender can only add forged ones below."""
    out: dict[str, str] = {}
    for key, name in (("spam", "x-ses-spam-verdict"), ("virus", "x-ses-virus-verdict"), ("spf", "received-spf")):
        value = headers.get(name)
        if value is not None and _token(value):
            out[key] = _token(value).upper()
    results = headers.get_all("authentication-results")
    ses = [r for r in results if r.split(";", 1)[0].strip().lower() == "amazonses.com"]
    chosen = (ses or results or [""])[0]
    for key in ("spf", "dkim", "dmarc"):
        m = re.search(rf"(?:^|[;\s]){key}\s*=\s*([A-Za-z_]+)", chosen, re.IGNORECASE)
        if m and key not in out:
            out[key] = m.group(1).upper()
    return out


# --- MIME parameters (Content-Type, Content-Disposition) --------------------------------

_MAX_PARAMS = 64


def _raw_field(part: Any, name: str) -> str | None:
    for k, v in part.raw_items():
        if str(k).strip().lower() == name:
            return _unfold(v if isinstance(v, str) else str(v))[:_MAX_HEADER_CHARS]
    return None


def _split_params(value: str) -> list[str]:
    """Split on semicolons outside quoted strings."""
    out, buf, quoted, i, n = [], [], False, 0, len(value)
    while i < n:
        ch = value[i]
        if quoted and ch == "\\" and i + 1 < n:
            buf.append(value[i:i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            out.append("".join(buf))
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    out.append("".join(buf))
    return out


def _parse_params(value: str | None, hint: str | None = None) -> tuple[str | None, dict[str, str]]:
    """``type/sub; a=b; name*0*=utf-8''%E6...`` -> (lower-cased main value, params).
    RFC 2231 (charset, continuations) and the common non-standard forms
    (RFC 2047 words or raw 8-bit bytes inside quoted values) are decoded."""
    if not value:
        return None, {}
    segments = _split_params(value)
    main: str | None = re.sub(r"\([^()]*\)", "", segments[0]).strip().lower()
    if main and "=" in main:  # "Content-Disposition: filename=a.pdf": no main value at all
        main, segments = None, [""] + segments
    plain: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[bool, str]]] = {}
    for seg in segments[1:_MAX_PARAMS + 1]:
        if "=" not in seg:
            continue
        name, val = seg.split("=", 1)
        name, val = name.strip().lower(), val.strip()
        if val.startswith('"'):
            val = val[1:-1] if val.endswith('"') and len(val) > 1 else val[1:]
            val = re.sub(r"\\(.)", r"\1", val)
        m = re.fullmatch(r"([^*\s]+)(?:\*([0-9]{1,2}))?(\*)?", name)
        if not m:
            continue
        base, index, star = m.groups()
        if index is None and not star:
            plain.setdefault(base, val)
        else:
            extended.setdefault(base, {}).setdefault(int(index or 0), (bool(star), val))
    params = {name: _decode_header(val, hint) for name, val in plain.items()}
    for base, segs in extended.items():
        charset, data = None, b""
        for position, (encoded, val) in sorted(segs.items()):
            if encoded and position == min(segs) and val.count("'") >= 2:
                charset, _lang, val = val.split("'", 2)
            raw = val.encode("utf-8", "surrogateescape")
            data += _pct_decode(raw) if encoded else raw
        if charset:
            params[base] = _decode_bytes(data, charset)
        else:
            params[base] = _decode_raw_text(data.decode("utf-8", "surrogateescape"), hint)
    return main, params


def _pct_decode(data: bytes) -> bytes:
    return re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


_MIME_TYPE = _LazyPattern(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def _content_type(part: Any) -> tuple[str, dict[str, str]]:
    main, params = _parse_params(_raw_field(part, "content-type"))
    if not main or not _MIME_TYPE.match(main):
        # RFC 2045: missing or invalid means the default (text/plain; message/rfc822 in a digest)
        main = part.get_default_type()
    return main[:100], params


# --- charsets ------------------------------------------------------------------------------

_GB = frozenset({"gb2312", "gb_2312", "gb_2312-80", "gbk", "cp936", "ms936", "windows-936", "x-gbk", "euc-cn",
                 "x-euc-cn", "csgb2312", "gb18030", "chinese", "csgbk", "iso-ir-58", "x-gb2312", "gb-2312"})
_BIG5 = frozenset({"big5", "big-5", "x-big5", "cn-big5", "csbig5", "big5-hkscs", "big5hkscs", "big5_hkscs",
                   "cp950", "ms950", "windows-950", "x-x-big5"})
_UTF8 = frozenset({"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "utf-8-sig"})
_WESTERN = frozenset({"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "windows-1252",
                      "cp1252", "x-cp1252", "iso-ir-100", "ibm819", "cp819", "csisolatin1", "8859-1"})
_ASCII = frozenset({"", "us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us", "default"})


def _charset_name(charset: str | None) -> str:
    name = (charset or "").strip().strip("\"'").strip().lower()
    return name.split("*", 1)[0]


def _charset_family(charset: str | None) -> str | None:
    """``"zh-Hans"`` for the GB family, ``"zh-Hant"`` for Big5, else None."""
    name = _charset_name(charset)
    if name in _GB or name == "hz-gb-2312":
        return "zh-Hans"
    if name in _BIG5:
        return "zh-Hant"
    return None


# Codecs a label may name that are no mail charset: punycode decoding is quadratic
# (minutes for a few MB), the escape codecs interpret backslashes.
_UNUSABLE_CODECS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"})


def _usable_codec(name: str) -> bool:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._:+-]{0,39}", name):
        return False
    import codecs
    try:
        return codecs.lookup(name).name not in _UNUSABLE_CODECS
    except LookupError:
        return False


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the labelled charset as it is really used, trying the likely
    mislabellings next, and substituting U+FFFD only as a last resort."""
    name = _charset_name(charset)
    if name in _GB or name in _BIG5:
        utf8 = _utf8_cjk(data)
        if utf8 is not None:
            return utf8
    if name in _GB:
        chain, last = ("gb18030", "utf-8"), "gb18030"
    elif name in _BIG5:
        chain, last = ("big5", "cp950", "big5hkscs", "utf-8"), "big5hkscs"
    elif name in _UTF8:
        mostly = _mostly_utf8(data) if not _is_utf8(data) else None
        if mostly is not None:
            return mostly
        chain, last = ("utf-8", "gb18030"), "utf-8"
    elif name in _WESTERN:
        chain, last = ("utf-8", "cp1252"), "latin-1"
    elif name in _ASCII:
        if not _is_utf8(data):
            mostly = _mostly_utf8(data)
            if mostly is not None:
                return mostly
        chain, last = ("utf-8", "gb18030", "cp1252"), "latin-1"
    elif name == "hz-gb-2312":
        chain, last = ("hz", "gb18030", "utf-8"), "utf-8"
    elif _usable_codec(name):
        chain, last = (name, "utf-8", "gb18030"), "latin-1"
    else:
        chain, last = ("utf-8", "gb18030"), "latin-1"
    for codec in chain:
        try:
            return data.decode(codec)
        except Exception:  # noqa: BLE001 - wrong codec, unknown name or not a text codec: next
            continue
    return data.decode(last, "replace")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _utf8_cjk(data: bytes) -> str | None:
    """Text labelled GB2312/GBK/Big5 that is in fact UTF-8 (webmail and phone
    clients that keep a stale label): the whole part valid UTF-8 with at least
    one character from U+0800 up (CJK is three bytes in UTF-8). Real GBK or
    Big5 text of any length is almost never valid UTF-8, and the U+0800 rule
    keeps short ones that happen to be (two-byte sequences: "中" in GBK reads
    as a Hebrew letter) with their label."""
    if data.isascii():
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if any(ord(ch) >= 0x800 for ch in text) else None


# --- the MIME tree ----------------------------------------------------------------------------

_IGNORED_TYPES = frozenset({
    "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature",
    "application/pgp-encrypted",
})
_EXTENSIONS = {
    "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/pjpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
    "image/webp": ".webp", "image/heic": ".heic", "image/heif": ".heif", "image/bmp": ".bmp",
    "image/tiff": ".tif", "application/pdf": ".pdf", "message/rfc822": ".eml", "video/mp4": ".mp4",
    "video/quicktime": ".mov", "audio/mpeg": ".mp3", "audio/amr": ".amr", "audio/x-m4a": ".m4a",
    "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "application/zip": ".zip",
}

Piece = tuple  # (kind "plain" | "html", text, declared charset or None)


class _Walker:
    """Collects the body pieces to show and the attachments, in document order."""

    def __init__(self):
        self.attachments: list[Attachment] = []
        self.skipped: list[tuple[str, str]] = []
        self._generated = 0

    def visit(self, part: Any, want_body: bool) -> list[Piece]:
        ctype, cparams = _content_type(part)
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            if ctype in ("message/rfc822", "message/global"):
                self._embedded_message(part, payload)
                return []
            if ctype.startswith("message/"):
                return []  # delivery-status, disposition-notification: machine-readable, not for people
            subtype = ctype[len("multipart/"):] if ctype.startswith("multipart/") else "mixed"
            return self._multipart(subtype, cparams, payload, want_body)
        return self._leaf(part, ctype, cparams, want_body)

    def _multipart(self, subtype: str, params: dict[str, str], children: list[Any],
                   want_body: bool) -> list[Piece]:
        if subtype == "alternative":
            versions = [self.visit(child, want_body) for child in children]  # attachments come from every version
            return _choose_alternative(versions)
        if subtype == "related":
            root = _related_root(children, params.get("start"))
            body: list[Piece] = []
            for child in children:
                pieces = self.visit(child, want_body and child is root)
                if child is root:
                    body = pieces
            return body
        body = []
        for child in children:
            body.extend(self.visit(child, want_body))
        return body

    def _leaf(self, part: Any, ctype: str, cparams: dict[str, str], want_body: bool) -> list[Piece]:
        if ctype in _IGNORED_TYPES or ctype.startswith("multipart/"):
            return []
        disposition, dparams = _parse_params(_raw_field(part, "content-disposition"))
        filename = dparams.get("filename") or cparams.get("name") or ""
        if ctype.startswith("text/") and disposition != "attachment":
            if ctype in ("text/plain", "text/html"):
                if not want_body:
                    return []
                return [_text_piece(part, ctype, cparams)]
            if not filename:
                return []  # text/calendar, text/css in related parts, ... without a name
        cid = _content_id(part)
        inline = disposition == "inline" or (disposition is None and cid is not None)
        self._add(_payload_bytes(part), filename, ctype, cid, inline)
        return []

    def _embedded_message(self, part: Any, payload: list[Any]) -> None:
        disposition, dparams = _parse_params(_raw_field(part, "content-disposition"))
        _ctype, cparams = _content_type(part)
        filename = dparams.get("filename") or cparams.get("name") or ""
        data: bytes | None = b""
        if payload:
            inner = payload[0]
            if not filename:
                subject = _clean_line(_decode_header(_raw_field(inner, "subject") or ""))
                filename = f"{subject[:80]}.eml" if subject else ""
            try:
                import email.policy
                data = inner.as_bytes(policy=email.policy.compat32.clone(max_line_length=None))
            except Exception:  # noqa: BLE001 - cannot be written back out: recorded as skipped
                data = None
        self._add(data, filename, "message/rfc822", _content_id(part), disposition == "inline")

    def _add(self, data: bytes | None, filename: str, ctype: str, cid: str | None, inline: bool) -> None:
        name = _safe_filename(filename) or self._generated_name(ctype, cid)
        if data is None:
            self.skipped.append((name, "undecodable"))
        elif not data:
            self.skipped.append((name, "empty"))
        elif len(data) > MAX_ATTACHMENT_BYTES:
            self.skipped.append((name, "too_large"))
        elif len(self.attachments) >= MAX_ATTACHMENTS:
            self.skipped.append((name, "too_many"))
        else:
            self.attachments.append(Attachment(filename=name, content_type=ctype, size=len(data), data=data,
                                               content_id=cid, inline=inline))

    def _generated_name(self, ctype: str, cid: str | None) -> str:
        ext = _EXTENSIONS.get(ctype, ".bin")
        if cid:
            stem = _safe_filename(cid.split("@", 1)[0])
            if stem:
                return stem if "." in stem[1:] else stem + ext
        self._generated += 1
        return f"attachment-{self._generated}{ext}"


def _choose_alternative(versions: list[list[Piece]]) -> list[Piece]:
    """Plain text if a version has some, else HTML, else whatever has content."""
    for kind in ("plain", "html"):
        for pieces in versions:
            if any(k == kind and text.strip() for k, text, _ in pieces):
                return pieces
    return next((pieces for pieces in versions if pieces), [])


def _related_root(children: list[Any], start: str | None) -> Any:
    if start:
        wanted = start.strip().strip("<>").strip()
        for child in children:
            if _content_id(child) == wanted:
                return child
    return children[0] if children else None


def _content_id(part: Any) -> str | None:
    value = _raw_field(part, "content-id")
    if value is None:
        return None
    value = _decode_raw_text(value).strip().strip("<>").strip()
    return value[:250] or None


def _payload_bytes(part: Any) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a transfer encoding the stdlib chokes on: nothing usable
        return b""
    return data if isinstance(data, bytes) else b""


_META_CHARSET = _LazyPattern(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)


def _text_piece(part: Any, ctype: str, params: dict[str, str]) -> Piece:
    data = _payload_bytes(part)
    charset = params.get("charset")
    if not charset and ctype == "text/html":
        m = _META_CHARSET.search(data[:4096])
        charset = m.group(1).decode("ascii") if m else None
    text = _decode_bytes(data, charset)
    if ctype == "text/html":
        return ("html", text, charset)
    if params.get("format", "").strip().lower() == "flowed":
        text = _unflow(text, params.get("delsp", "").strip().lower() == "yes")
    return ("plain", text, charset)


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: rejoin soft-wrapped lines."""
    out: list[str] = []
    buf: str | None = None
    buf_depth = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip(">")
        depth = len(line) - len(stripped)
        if stripped.startswith(" "):
            stripped = stripped[1:]
        flowed = stripped.endswith(" ") and stripped != "-- "
        if flowed and delsp:
            stripped = stripped[:-1]
        if buf is not None and depth == buf_depth:
            buf += stripped
        else:
            if buf is not None:
                out.append(_quote_prefix(buf_depth) + buf)
            buf, buf_depth = stripped, depth
        if not flowed:
            out.append(_quote_prefix(buf_depth) + buf)
            buf = None
    if buf is not None:
        out.append(_quote_prefix(buf_depth) + buf)
    return "\n".join(out)


def _quote_prefix(depth: int) -> str:
    return "> " * depth


def _safe_filename(name: str) -> str:
    """A filename safe to show and to use in a storage key: no directories, no
    control or bidi-override characters, at most ``MAX_FILENAME_CHARS``."""
    name = _FILENAME_JUNK.sub("", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[:MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


_FILENAME_JUNK = _LazyPattern("[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


# --- body text ----------------------------------------------------------------------------------

_CONTROL = _LazyPattern("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u200b]")


def _body_text(kind: str, text: str) -> str:
    return _normalise_text(_html_to_text(text) if kind == "html" else text)


def _normalise_text(text: str) -> str:
    """LF line ends, no control characters or trailing blanks, at most one blank
    line in a row, no blank lines at either end."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _truncate(text: str, limit: int, marker: str, force: bool = False) -> str:
    """At most ``limit`` characters; the marker ends text that was cut (here or before)."""
    if len(text) <= limit and not force:
        return text
    return text[:limit - len(marker)].rstrip() + marker


_HTML_CONVERTER: Any = None


def _html_to_text(markup: str) -> str:
    """Readable text from HTML: scripts, styles and the head dropped; line
    breaks for <br> and block ends; lists as "- " items; <blockquote> as "> "
    quoted lines (so quoted history is trimmed like in plain-text mail)."""
    global _HTML_CONVERTER
    markup = markup[:MAX_HTML_CHARS]
    if _HTML_CONVERTER is None:
        _HTML_CONVERTER = _make_html_converter()
    try:
        converter = _HTML_CONVERTER()
        converter.feed(markup)
        converter.close()
        return converter.text()
    except Exception:  # noqa: BLE001 - html.parser is tolerant; if it still fails, strip tags crudely
        import html
        text = markup
        for tag in ("script", "style", "head"):
            text = _drop_elements(text, tag)
        text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|li|tr|h[1-6])\s*>", "\n", text)
        return html.unescape(re.sub(r"<[^>]*>", "", text))


def _drop_elements(markup: str, tag: str) -> str:
    """Remove <tag ...>...</tag> (an unclosed one runs to the end), in linear time."""
    lower, out, pos = markup.lower(), [], 0
    while True:
        start = lower.find("<" + tag, pos)
        if start < 0:
            out.append(markup[pos:])
            return "".join(out)
        out.append(markup[pos:start])
        end = lower.find("</" + tag, start)
        if end < 0:
            return "".join(out)
        close = lower.find(">", end)
        pos = len(markup) if close < 0 else close + 1


def _make_html_converter() -> type:
    from html.parser import HTMLParser

    skip_tags = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
    block_tags = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                            "pre", "section", "article", "header", "footer", "hr", "dl", "dt", "dd", "address",
                            "center", "form", "fieldset", "figure", "figcaption", "main", "nav", "aside",
                            "caption", "thead", "tbody", "tfoot", "blockquote", "body"})
    gap_tags = frozenset({"p", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})  # margins
    space = re.compile(r"[ \t\r\n\f]+")

    class Converter(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.lines: list[list[Any]] = [[0, []]]  # [blockquote depth, chunks]
            self.skip = 0
            self.quote = 0
            self.pre = 0

        def _soft_break(self) -> None:
            if self.lines[-1][1]:
                self.lines.append([self.quote, []])

        def _hard_break(self) -> None:
            self.lines.append([self.quote, []])

        def _gap(self) -> None:
            self._soft_break()
            if self.lines[-2:-1] and self.lines[-2][1] and not self.lines[-1][1]:
                self._hard_break()

        def handle_starttag(self, tag, attrs):
            if tag in skip_tags:
                self.skip += 1
                return
            if tag == "body":
                self.skip = 0  # an unclosed <head> must not swallow the body
            if tag == "br":
                self._hard_break()
            elif tag in block_tags:
                if tag in gap_tags:
                    self._gap()
                else:
                    self._soft_break()
                if tag == "blockquote":
                    self.quote += 1
                    self.lines[-1][0] = self.quote
                elif tag == "li":
                    self._append("- ")
                elif tag == "pre":
                    self.pre += 1
            elif tag in ("td", "th") and self.lines[-1][1]:
                self.lines[-1][1].append(" ")

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs)
            if tag in skip_tags:
                self.skip = max(0, self.skip - 1)

        def handle_endtag(self, tag):
            if tag in skip_tags:
                self.skip = max(0, self.skip - 1)
                return
            if tag in block_tags:
                if tag in gap_tags:
                    self._gap()
                else:
                    self._soft_break()
                if tag == "blockquote":
                    self.quote = max(0, self.quote - 1)
                    self.lines[-1][0] = self.quote
                elif tag == "pre":
                    self.pre = max(0, self.pre - 1)

        def handle_data(self, data):
            if self.skip:
                return
            if self.pre:
                first, *rest = data.replace("\r\n", "\n").split("\n")
                self._append(first)
                for line in rest:
                    self._hard_break()
                    self._append(line)
                return
            self._append(space.sub(" ", data))

        def _append(self, chunk: str) -> None:
            if not chunk:
                return
            line = self.lines[-1]
            if not line[1]:
                line[0] = self.quote
            if not line[1] or line[1][-1].endswith(" "):
                chunk = chunk.lstrip(" ")
                if not chunk:
                    return
            line[1].append(chunk)

        def text(self) -> str:
            out = []
            for depth, chunks in self.lines:
                content = "".join(chunks).replace("\xa0", " ").strip()
                out.append("> " * depth + content if content else "")
            return "\n".join(out)

    return Converter


# --- trimming quoted history and signatures ------------------------------------------------------

_SEPARATOR = _LazyPattern(
    r"^[-—=_\s]*(?:original message|原始邮件|原始郵件|原始信件|原邮件|forwarded message|转发邮件|转发的邮件|轉寄郵件"
    r"|轉寄的郵件)[-—=_\s]*$|^begin forwarded message\s*:?$|^-{3,}\s*(?:reply message|回复的原邮件)\s*-{3,}$",
    re.IGNORECASE)
_FROM_LINE = _LazyPattern(r"^\**\s*(?:from|发件人|發件人|寄件者|寄件人)\s*\**\s*[:：]", re.IGNORECASE)
_QUOTED_HEADER = _LazyPattern(
    r"^\**\s*(?:sent|date|subject|发送时间|發送時間|时间|時間|日期|寄件日期|主题|主題|主旨)\s*\**\s*[:：]",
    re.IGNORECASE)
_ATTRIBUTION_START = _LazyPattern(r"^(?:on\s|在|於|于)", re.IGNORECASE)
_ATTRIBUTION_END = _LazyPattern(r"(?:wrote|写道|寫道)\s*[:：]\s*$", re.IGNORECASE)
_DEVICE = (r"(?:iphone|ipad|ipod|android|samsung|galaxy|huawei|honor|xiaomi|redmi|oppo|vivo|oneplus|pixel"
           r"|blackberry|mobile|smartphone|phone|手机|手機|平板|设备|裝置|華為|华为|小米|荣耀|榮耀)")
_FOOTER = _LazyPattern(
    r"^(?:sent from my\s.{0,30}?" + _DEVICE + r".{0,30}"
    r"|sent from (?:outlook|mail for windows|yahoo mail|gmail|samsung|huawei|xiaomi)\b.{0,40}"
    r"|get outlook for\s(?:ios|android)\S*"
    r"|(?:发自|發自|寄自|来自|來自)我的\s?.{0,20}?" + _DEVICE + r"\S{0,10}"
    r"|(?:从|從)我的\s?.{0,20}?" + _DEVICE + r"\s?(?:发送|傳送|發送)"
    r"|(?:发自|發自|来自|來自)\s?(?:网易|網易|qq|腾讯|騰訊|搜狐|新浪|139|189|outlook|foxmail|钉钉|阿里)\S{0,20})$",
    re.IGNORECASE)
_DECORATION = _LazyPattern(r"^[-—_=*~\s]+$")


def _attribution_lines(lines: list[str], i: int) -> int:
    """How many lines (1-3) an "On … wrote:" / "在…写道：" line starting at i
    spans (mail clients wrap long ones), or 0."""
    first = lines[i].strip()
    if not first or len(first) > 300:
        return 0
    starts = bool(_ATTRIBUTION_START.match(first))
    joined = first
    for k in range(1, 4):
        if k > 1:
            nxt = lines[i + k - 1].strip() if i + k - 1 < len(lines) else ""
            if not starts or not nxt or nxt.startswith(">"):
                return 0
            joined = f"{joined} {nxt}"
        if len(joined) > 400:
            return 0
        if _ATTRIBUTION_END.search(joined) and (starts or "@" in joined):
            return k
    return 0


def _is_from_block(lines: list[str], i: int) -> bool:
    if not _FROM_LINE.match(lines[i].strip()):
        return False
    return any(_QUOTED_HEADER.match(line.strip()) for line in lines[i + 1:i + 5])


def _trim_quotes(text: str) -> str:
    """The new text of a reply: stops at quoted-history headers (Outlook, QQ
    Mail, forwarded blocks), at a signature delimiter or a mobile footer; drops
    ">"-quoted lines and the attribution line before them (text between or
    after quoted blocks is kept: bottom-posted and interleaved answers)."""
    lines = text.split("\n")
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        stripped = lines[i].strip()
        if _SEPARATOR.match(stripped) or _is_from_block(lines, i):
            break
        span = _attribution_lines(lines, i)
        if span:
            j = i + span
            while j < n and not lines[j].strip():
                j += 1
            if j < n and lines[j].lstrip().startswith(">"):
                while j < n and (lines[j].lstrip().startswith(">") or not lines[j].strip()):
                    j += 1
                i = j
                continue
            break
        if stripped.startswith(">"):
            i += 1
            continue
        if stripped == "--" or _FOOTER.match(stripped):
            break
        out.append(lines[i])
        i += 1
    while out and (not out[-1].strip() or _DECORATION.match(out[-1])):
        out.pop()
    return _normalise_text("\n".join(out))


# --- language ----------------------------------------------------------------------------------------

_HAN = _LazyPattern("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN = _LazyPattern("[A-Za-z\u00c0-\u024f]")
_CANTONESE = frozenset("嘅咗喺嘢啲哋嚟囉噃嗰")  # Hong Kong written Cantonese: in neither GB2312 nor Big5
_SCRIPT_CACHE: dict[str, int] = {}


def _script(ch: str) -> int:
    """1: a Simplified-only character (in GB2312, not in Big5); 2: Traditional-
    only (in Big5, not in GB2312, or written Cantonese); 0: shared or unknown.
    The two national charsets are the character tables: no list to maintain."""
    kind = _SCRIPT_CACHE.get(ch)
    if kind is None:
        if ch in _CANTONESE:
            kind = 2
        else:
            in_gb = _encodable(ch, "gb2312")
            in_big5 = _encodable(ch, "big5")
            kind = 1 if in_gb and not in_big5 else 2 if in_big5 and not in_gb else 0
        if len(_SCRIPT_CACHE) < 20000:
            _SCRIPT_CACHE[ch] = kind
    return kind


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


_KANA = _LazyPattern("[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = _LazyPattern("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_JAPANESE_OR_KOREAN = frozenset({
    "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "cp932", "windows-31j", "euc-jp", "x-euc-jp",
    "iso-2022-jp", "csiso2022jp", "iso-2022-jp-2", "euc-kr", "x-euc-kr", "ks_c_5601-1987", "ks_c_5601", "cp949",
    "uhc", "iso-2022-kr", "ksc5601", "korean"})


def _guess_lang(sample: str, charsets: list[str]) -> str | None:
    """zh-Hans, zh-Hant or en, from the text first (Traditional-only vs
    Simplified-only characters; mostly Latin letters -> English), the charset
    labels (Big5 / GB) to settle a tie. None for text in a language we write
    no mail in: kana (Japanese) or hangul (Korean) is not Chinese, and neither
    is English, so the caller falls back to the property's language."""
    sample = sample[:4000]
    names = [_charset_name(c) for c in charsets]
    hint = next((f for f in map(_charset_family, charsets) if f), None)
    han = _HAN.findall(sample)
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    latin = len(_LATIN.findall(sample))
    letters = len(han) + kana + hangul
    if latin > 3 * letters and latin:
        return "en"
    # Chinese text may quote a kana or two (の in a shop name); Japanese and
    # Korean text are a fifth kana or hangul and more.
    if (kana or hangul) and 5 * (kana + hangul) >= letters:
        return None
    if not han:
        if latin:
            return "en"
        if hint is None and any(n in _JAPANESE_OR_KOREAN for n in names):
            return None
        return hint or "en"
    simplified = traditional = 0
    for ch in han:
        kind = _script(ch)
        if kind == 1:
            simplified += 1
        elif kind == 2:
            traditional += 1
    if traditional > simplified:
        if hint is None and any(n in _JAPANESE_OR_KOREAN for n in names):
            return None  # kanji without kana under a Japanese or Korean label: not Chinese either
        return "zh-Hant"
    if simplified > traditional:
        return "zh-Hans"
    if hint is None and any(n in _JAPANESE_OR_KOREAN for n in names):
        return None
    return hint or "zh-Hans"
