"""Bytes to text under a charset label, read as mail clients really use it.

Tenants in mainland China, Hong Kong and English-speaking sites write from
every kind of client, so labels are read generously: ``gb2312``/``gbk`` text
is decoded as GB18030 (a superset; real "gb2312" mail carries GBK characters),
``big5`` falls back to CP950 and Big5-HKSCS, ``iso-8859-1``/``us-ascii`` as
Windows-1252 (what the label means in practice), and unknown labels try UTF-8,
GB18030, then Latin-1. A part that is wholly valid UTF-8 with CJK characters is
UTF-8 whatever its GB or Big5 label says, and UTF-8 cut mid-character (a
filename at a client's byte limit) keeps its whole characters, only the broken
bytes replaced. Nothing ever fails to decode: the last resort substitutes
U+FFFD. Also the label families (GB, Big5) the language guess leans on."""
from __future__ import annotations

import codecs
import re


def mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a filename a client cut mid-character
    at a byte limit): the valid characters decoded, only the broken bytes
    replaced by U+FFFD. None when the bytes do not read as UTF-8 (GBK, Latin-1):
    then most non-ASCII bytes are broken sequences."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    valid = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    return text if valid and valid >= 2 * broken else None


_GB = frozenset({"gb2312", "gb_2312", "gb_2312-80", "gbk", "cp936", "ms936", "windows-936", "x-gbk", "euc-cn",
                 "x-euc-cn", "csgb2312", "gb18030", "chinese", "csgbk", "iso-ir-58", "x-gb2312", "gb-2312"})
_BIG5 = frozenset({"big5", "big-5", "x-big5", "cn-big5", "csbig5", "big5-hkscs", "big5hkscs", "big5_hkscs",
                   "cp950", "ms950", "windows-950", "x-x-big5"})
_UTF8 = frozenset({"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "utf-8-sig"})
_WESTERN = frozenset({"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "windows-1252",
                      "cp1252", "x-cp1252", "iso-ir-100", "ibm819", "cp819", "csisolatin1", "8859-1"})
_ASCII = frozenset({"", "us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us", "default"})


def charset_name(charset: str | None) -> str:
    name = (charset or "").strip().strip("\"'").strip().lower()
    return name.split("*", 1)[0]


def charset_family(charset: str | None) -> str | None:
    """``"zh-Hans"`` for the GB family, ``"zh-Hant"`` for Big5, else None."""
    name = charset_name(charset)
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
    try:
        return codecs.lookup(name).name not in _UNUSABLE_CODECS
    except LookupError:
        return False


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the labelled charset as it is really used, trying the likely
    mislabellings next, and substituting U+FFFD only as a last resort."""
    name = charset_name(charset)
    chain: tuple[str, ...]
    if name in _GB or name in _BIG5:
        utf8 = _utf8_cjk(data)
        if utf8 is not None:
            return utf8
    if name in _GB:
        chain, last = ("gb18030", "utf-8"), "gb18030"
    elif name in _BIG5:
        chain, last = ("big5", "cp950", "big5hkscs", "utf-8"), "big5hkscs"
    elif name in _UTF8:
        mostly = mostly_utf8(data) if not _is_utf8(data) else None
        if mostly is not None:
            return mostly
        chain, last = ("utf-8", "gb18030"), "utf-8"
    elif name in _WESTERN:
        chain, last = ("utf-8", "cp1252"), "latin-1"
    elif name in _ASCII:
        if not _is_utf8(data):
            mostly = mostly_utf8(data)
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
