"""Subject lines: the case references (``TD-20261123-0042``) a reply carries,
and the subject without reply/forward prefixes and references, so follow-up
mail finds its case and a new case gets a clean title."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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


def case_title(subject: str, text: str, ours: Iterable[str] = (), *, limit: int = 200) -> str:
    """A new case's title in the tenant's words: the subject without reply
    prefixes and case references, and without the words of our own subjects
    (``ours``: mail.templates.our_subjects) when the tenant answered our mail
    (``Re: [TD-…] 我们已收到您的来信`` says nothing of theirs; ``…书面答复：漏水``
    keeps ``漏水``); else the first line of the text."""
    title = strip_reply_prefixes(subject)
    for words in ours:
        if title.casefold().startswith(words.casefold()):
            title = title[len(words):].lstrip(" :：-—").strip()
            break
    if not title:
        title = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return title[:limit]
