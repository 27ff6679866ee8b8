"""MIME parameters (Content-Type, Content-Disposition): RFC 2231 charsets and
continuations, and the non-standard forms clients send in their place (RFC 2047
words or raw 8-bit bytes inside quoted values), so attachment names in Chinese
survive. Also the part's effective content type (RFC 2045 defaults)."""
from __future__ import annotations

import re
from typing import Any

from chalicelib.mail.charsets import decode_bytes
from chalicelib.mail.headers import decode_header, decode_raw_text, raw_field
from chalicelib.mail.lazy import LazyPattern

_MAX_PARAMS = 64


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


def parse_params(value: str | None) -> tuple[str | None, dict[str, str]]:
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
    params = {name: decode_header(val) for name, val in plain.items()}
    for base, segs in extended.items():
        charset, data = None, b""
        for position, (encoded, val) in sorted(segs.items()):
            if encoded and position == min(segs) and val.count("'") >= 2:
                charset, _lang, val = val.split("'", 2)
            raw = val.encode("utf-8", "surrogateescape")
            data += _pct_decode(raw) if encoded else raw
        if charset:
            params[base] = decode_bytes(data, charset)
        else:
            params[base] = decode_raw_text(data.decode("utf-8", "surrogateescape"))
    return main, params


def _pct_decode(data: bytes) -> bytes:
    return re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


_MIME_TYPE = LazyPattern(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def content_type(part: Any) -> tuple[str, dict[str, str]]:
    """A part's MIME type (lower-case, at most 100 characters) and its parameters."""
    main, params = parse_params(raw_field(part, "content-type"))
    if not main or not _MIME_TYPE.match(main):
        # RFC 2045: missing or invalid means the default (text/plain; message/rfc822 in a digest)
        main = part.get_default_type()
    return main[:100], params
