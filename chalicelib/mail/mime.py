"""The MIME tree: structural limits checked before and after the stdlib
parser runs, then one walk that picks the body to show (plain text over HTML
in an alternative, the root of a related part, flowed text rejoined) and hands
every other part to the attachment list. ``email`` loads on first use."""
from __future__ import annotations

import re
from typing import Any

from chalicelib.mail.attachments import Attachments
from chalicelib.mail.body import unflow
from chalicelib.mail.charsets import decode_bytes
from chalicelib.mail.headers import decode_header, decode_raw_text, raw_field
from chalicelib.mail.lazy import LazyPattern
from chalicelib.mail.params import content_type, parse_params
from chalicelib.mail.result import MailRejected
from chalicelib.mail.text import clean_line

MAX_MIME_DEPTH = 10
MAX_PARTS = 100


# The stdlib's structured-header parser is quadratic on some inputs (8 KB of ";" in a
# Content-Type field: ~1 s; 1 MB: hours). It only ever parses Content-Type (the MIME
# parser) and Content-Transfer-Encoding (payload decoding), so those are bounded first.
MAX_CONTENT_TYPE_FIELD = 4096
MAX_CONTENT_TYPE_TOTAL = 32768
MAX_CTE_FIELD = 1024


def precheck(raw: bytes) -> None:
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


_LINE_END = LazyPattern(rb"\r\n|\r|\n")


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


def check_structure(msg: Any) -> None:
    """The parsed tree within ``MAX_MIME_DEPTH`` levels and ``MAX_PARTS`` parts."""
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


_IGNORED_TYPES = frozenset({
    "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature",
    "application/pgp-encrypted",
})
Piece = tuple  # (kind "plain" | "html", text, declared charset or None)


class Walker:
    """Collects the body pieces to show and the attachments (in ``files``), in document order."""

    def __init__(self):
        self.files = Attachments()

    def visit(self, part: Any, want_body: bool) -> list[Piece]:
        ctype, cparams = content_type(part)
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
        disposition, dparams = parse_params(raw_field(part, "content-disposition"))
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
        self.files.add(_payload_bytes(part), filename, ctype, cid, inline)
        return []

    def _embedded_message(self, part: Any, payload: list[Any]) -> None:
        disposition, dparams = parse_params(raw_field(part, "content-disposition"))
        _ctype, cparams = content_type(part)
        filename = dparams.get("filename") or cparams.get("name") or ""
        data: bytes | None = b""
        if payload:
            inner = payload[0]
            if not filename:
                subject = clean_line(decode_header(raw_field(inner, "subject") or ""))
                filename = f"{subject[:80]}.eml" if subject else ""
            try:
                import email.policy
                data = inner.as_bytes(policy=email.policy.compat32.clone(max_line_length=None))
            except Exception:  # noqa: BLE001 - cannot be written back out: recorded as skipped
                data = None
        self.files.add(data, filename, "message/rfc822", _content_id(part), disposition == "inline")


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
    value = raw_field(part, "content-id")
    if value is None:
        return None
    value = decode_raw_text(value).strip().strip("<>").strip()
    return value[:250] or None


def _payload_bytes(part: Any) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a transfer encoding the stdlib chokes on: nothing usable
        return b""
    return data if isinstance(data, bytes) else b""


_META_CHARSET = LazyPattern(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)


def _text_piece(part: Any, ctype: str, params: dict[str, str]) -> Piece:
    data = _payload_bytes(part)
    charset = params.get("charset")
    if not charset and ctype == "text/html":
        m = _META_CHARSET.search(data[:4096])
        charset = m.group(1).decode("ascii") if m else None
    text = decode_bytes(data, charset)
    if ctype == "text/html":
        return ("html", text, charset)
    if params.get("format", "").strip().lower() == "flowed":
        text = unflow(text, params.get("delsp", "").strip().lower() == "yes")
    return ("plain", text, charset)
