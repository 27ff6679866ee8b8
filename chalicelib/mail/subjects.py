"""Subject lines: the case references (``TD-20261123-0042``) a reply carries,
and the subject without reply/forward prefixes and references, so follow-up
mail finds its case and a new case gets a clean title."""
from __future__ import annotations

import re
import unicodedata

from chalicelib.mail.lazy import LazyPattern

_CASE_ID = LazyPattern(r"(?<![A-Za-z0-9])TD-([0-9]{8})-([0-9]{4,6})(?![0-9])", re.IGNORECASE)
_REPLY_PREFIX = LazyPattern(
    r"^\s*(?:re|fwd?|回复|回覆|回復|答复|答覆|转发|转寄|轉寄|轉發)\s*(?:\[[0-9]{1,3}\]|\([0-9]{1,3}\))?\s*[:：]\s*",
    re.IGNORECASE)
_BRACKETED_REF = r"[\[【〔［(（]\s*TD-[0-9]{8}-[0-9]{4,6}\s*[\]】〕］)）]"
_LEADING_REF = LazyPattern(r"^\s*" + _BRACKETED_REF + r"\s*", re.IGNORECASE)
_TRAILING_REF = LazyPattern(r"\s*" + _BRACKETED_REF + r"\s*$", re.IGNORECASE)


def case_references(subject: str) -> list[str]:
    """Case ids (``TD-20261123-0042``) in ``subject``, bracketed or bare, in
    order of appearance and without repeats. Full-width forms typed with a
    Chinese IME (``ＴＤ－２０２６…``) count too; ids come back in canonical form."""
    if not subject:
        return []
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
