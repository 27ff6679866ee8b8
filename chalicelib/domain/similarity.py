"""Text similarity of case texts, for Chinese without a word segmenter and for English.

A text becomes a set of features (``shingles``): runs of CJK characters give their
character bigrams (and single characters for runs of one), Latin text gives its
lower-cased words. Two texts compare by the Dice coefficient of their feature sets
(``similarity``, 0..1). Pure: no I/O, no clock. The duplicate finder and the case
library's suggestions both use these two functions, so one measured method (see
bench/dedupe.py) decides both.
"""
from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


def normalise(text: str) -> str:
    """NFKC (full-width forms to ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def shingles(text: str) -> frozenset[str]:
    """The text's features: CJK character bigrams, Latin words."""
    features: set[str] = set()
    for run in _TOKEN.findall(normalise(text)):
        if _IS_CJK.match(run):
            if len(run) == 1:
                features.add(run)
            features.update(run[i:i + 2] for i in range(len(run) - 1))
        elif len(run) > 1:
            features.add(run)
    return frozenset(features)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two feature sets (1.0 for identical, 0.0 for disjoint or empty)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
