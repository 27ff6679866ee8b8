"""Header fields as received, and the values read from them.

Fields are decoded here from their raw form, not by the stdlib's header
registry: RFC 2047 encoded-words in any charset (adjacent words of one charset
are joined before decoding, so a character split across two words survives),
raw 8-bit UTF-8 or GBK, broken encodings (kept as written). Also owned here:
mailbox lists, message ids, dates, SES's spam and authentication verdicts, and
reading one raw field of a MIME part. ``email.utils`` loads on first use."""
from __future__ import annotations

import binascii
import re
from datetime import datetime, timezone
from typing import Any

from chalicelib.mail.charsets import decode_bytes, mostly_utf8
from chalicelib.mail.lazy import LazyPattern
from chalicelib.mail.text import clean_line


class Headers:
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
        out: list[str] = []
        for name in names:
            for value in self.get_all(name):
                out.extend(m.group(1) for m in _ENCODED_WORD.finditer(value[:_MAX_HEADER_CHARS]))
        return out


_MAX_HEADER_CHARS = 65536


# The encoded text may not contain "?"; whitespace inside it is tolerated (clients
# that fold in the middle of a word), the decoders drop or keep it as appropriate.
_ENCODED_WORD = LazyPattern(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?]*)\?=")


def _unfold(value: str) -> str:
    return value.replace("\r", "").replace("\n", "")


def decode_header(value: str, hint: str | None = None) -> str:
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
        out.append(decode_bytes(payload, charset) if kind == "ew" else decode_raw_text(payload, hint))
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


def decode_raw_text(value: str, hint: str | None = None) -> str:
    """Header text outside encoded-words: ASCII, or 8-bit bytes the parser kept
    as surrogate escapes (clients that send raw UTF-8 or GBK headers)."""
    if value.isascii():
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mostly = mostly_utf8(data)  # before the hint: GB18030 reads almost any bytes, cut UTF-8 as mojibake
    if mostly is not None:
        return mostly
    return decode_bytes(data, hint)


def mailboxes(value: str | None, hint: str | None) -> list[tuple[str, str]]:
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
        addr = decode_raw_text(addr.strip().strip("<>").strip()).lower()
        if _is_address(addr):
            out.append((clean_line(decode_header(name, hint)).strip('"').strip(), addr))
    if not out:  # last resort for mangled fields: the first token that is an address
        for word in _ADDR_SEPARATORS.split(decode_raw_text(value)):
            if _is_address(word.lower()):
                out.append(("", word.lower()))
                break
    return out


# Checked piecewise rather than with one pattern: a pattern with two unbounded
# runs around "@" backtracks quadratically on a long run without one.
_ADDR_SEPARATORS = LazyPattern(r"[\s<>,;:\"()\[\]\\]+")
_ADDR_PART = LazyPattern(r"[^@\s<>,;:\"()\[\]\\]+")


def _is_address(addr: str) -> bool:
    local, at, domain = addr.partition("@")
    return bool(at and len(addr) <= 320 and _ADDR_PART.fullmatch(local) and _ADDR_PART.fullmatch(domain)
                and "." in domain.strip("."))


def first_mailbox(value: str | None, hint: str | None) -> tuple[str, str]:
    boxes = mailboxes(value, hint)
    return boxes[0] if boxes else ("", "")


def message_ids(value: str | None) -> list[str]:
    """Ids without angle brackets, in order, without repeats."""
    if not value:
        return []
    value = decode_raw_text(value[:_MAX_HEADER_CHARS])
    found = re.findall(r"<([^<>]*)>", value)
    if not found:
        found = [token for token in re.split(r"[\s,]+", value) if token]
    out: dict[str, None] = {}  # ordered, no repeats
    for item in found:
        item = "".join(item.split())[:998]
        if item:
            out[item] = None
    return list(out)


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime
    text = clean_line(decode_raw_text(value))
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


def token(value: str | None) -> str:
    """The leading token of a structured value, lower-case (``Bulk; x`` -> ``bulk``), or ""."""
    m = re.match(r"\s*([A-Za-z0-9_.-]+)", value or "")
    return m.group(1).lower() if m else ""


def spam_headers(headers: Headers) -> dict[str, str]:
    """SES's verdicts and the SPF/DKIM/DMARC results. The topmost field of each
    name is used: SES prepends its own, a sender can only add forged ones below."""
    out: dict[str, str] = {}
    for key, name in (("spam", "x-ses-spam-verdict"), ("virus", "x-ses-virus-verdict"), ("spf", "received-spf")):
        value = headers.get(name)
        if value is not None and token(value):
            out[key] = token(value).upper()
    results = headers.get_all("authentication-results")
    ses = [r for r in results if r.split(";", 1)[0].strip().lower() == "amazonses.com"]
    chosen = (ses or results or [""])[0]
    for key in ("spf", "dkim", "dmarc"):
        m = re.search(rf"(?:^|[;\s]){key}\s*=\s*([A-Za-z_]+)", chosen, re.IGNORECASE)
        if m and key not in out:
            out[key] = m.group(1).upper()
    return out


def raw_field(part: Any, name: str) -> str | None:
    """The first field ``name`` (lower-case) of a MIME part, raw and unfolded, at most
    ``_MAX_HEADER_CHARS``; None when the part has none."""
    for k, v in part.raw_items():
        if str(k).strip().lower() == name:
            return _unfold(v if isinstance(v, str) else str(v))[:_MAX_HEADER_CHARS]
    return None
