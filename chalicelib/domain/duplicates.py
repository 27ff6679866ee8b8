"""Duplicates and repeats across channels: pure rules, no AWS, no clock.

A new case is compared with the property's cases of the same category created in the
last ``WINDOW`` (what one Query on the cases table's ``dedupe`` index returns, see
chalicelib/adapters/dynamodb.py ``duplicate_candidates``). A candidate is

- a **possible duplicate** when it is still open, at the same place (``place_key``:
  the archive's unit or area, else the typed unit folded like the text), of the same
  category, and its text is similar (``similarity.similarity`` of ``compact_text``)
  at least ``DUPLICATE_THRESHOLD``;
- a **repeat** when the same holds for a CLOSED case: the problem came back. The most
  similar one is marked on the new case as ``repeat_of`` (unless the tenant named one).

Staff then ``link`` a duplicate (another reporter: the new case follows the owner),
``merge`` it (the same reporter: it closes into the target) or ``dismiss`` the
suggestion (chalicelib/services/dedupe_service.py). Suggestions are staff-only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import similarity

# Measured on tests/data/duplicate_pairs.jsonl (260 pairs: zh-Hans, zh-Hant, en, mixed;
# seed 002's category mix) with bench/dedupe.py: at 0.30, precision 0.99, recall 0.99
# overall. 0.25 keeps recall and lets a few "same unit, other problem" pairs through
# (P 0.985); 0.20 drops precision to 0.93; 0.35 loses the Simplified/Traditional cross
# pairs first (R 0.87), 0.40 more (R 0.78). The set and the word lists in similarity.py
# were written by the same hand: expect lower figures on real traffic (README).
DUPLICATE_THRESHOLD = 0.30
# How far back the Query reads (by creation time): open cases older than this are not
# suggested (a limit of this design; README).
WINDOW = timedelta(days=60)
# Suggestions kept on the new case, most similar first.
MAX_SUGGESTIONS = 3
# Characters of title + content kept on the index (item size; the first lines say the problem).
TEXT_CHARS = 240


@dataclass(frozen=True)
class Candidate:
    """What the index holds of an earlier case: enough to decide, nothing more."""

    case_id: str
    category: str
    place: str
    status: str
    created_at: datetime
    closed_at: datetime | None
    reporter: str  # the tenant id, else the contact as given ("" when unknown)
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"place": self.place, "reporter": self.reporter, "text": self.text}


def place_key(unit: str, location: dict[str, Any] | None) -> str:
    """Where a case happened, as compared: the archive's area or unit id when the case
    was located, else the typed unit folded (3楼 / 3F / 3/F are one place)."""
    if location:
        if location.get("area_id"):
            return f"area:{location['area_id']}"
        if location.get("unit_id"):
            return f"unit:{location['unit_id']}"
    return "text:" + "".join(similarity.normalise(unit).split())


def reporter_key(reporter: dict[str, Any] | None, contact: str) -> str:
    reporter = reporter or {}
    return str(reporter.get("tenant_id") or (contact or "").strip().lower())


def compact_text(title: str, content: str) -> str:
    return " ".join(t for t in ((title or "").strip(), (content or "").strip()) if t)[:TEXT_CHARS]


def candidate_of(case: Any) -> Candidate:
    """A case as the index keeps it (``case`` is a ``cases.Case``)."""
    return Candidate(case_id=case.case_id, category=case.category or "", place=place_key(case.unit, case.location),
                     status=case.status, created_at=case.created_at, closed_at=case.closed_at,
                     reporter=reporter_key(case.reporter, case.contact), text=compact_text(case.title, case.content))


def score(a_place: str, a_category: str, a_text: str, b_place: str, b_category: str, b_text: str) -> float:
    """0 unless the place and category agree; else the texts' similarity."""
    if not a_category or a_place != b_place or a_category != b_category:
        return 0.0
    return similarity.similarity(similarity.shingles(a_text), similarity.shingles(b_text))


def is_duplicate(a_place: str, a_category: str, a_text: str, b_place: str, b_category: str, b_text: str) -> bool:
    """The pairwise decision measured by bench/dedupe.py."""
    return score(a_place, a_category, a_text, b_place, b_category, b_text) >= DUPLICATE_THRESHOLD


def find(new: Candidate, candidates: list[Candidate], now: datetime) -> list[dict[str, Any]]:
    """The suggestions for ``new`` among ``candidates`` (most similar first, at most
    ``MAX_SUGGESTIONS``): {"case_id", "score", "kind": "duplicate" | "repeat",
    "same_reporter"}. Candidates outside the window or the case itself are skipped."""
    since = now - WINDOW
    mine = similarity.shingles(new.text)
    found: list[dict[str, Any]] = []
    for c in candidates:
        if c.case_id == new.case_id or c.created_at < since or c.place != new.place or c.category != new.category:
            continue
        s = similarity.similarity(mine, similarity.shingles(c.text))
        if s < DUPLICATE_THRESHOLD:
            continue
        found.append({"case_id": c.case_id, "score": round(s, 2),
                      "kind": "repeat" if c.status == "closed" else "duplicate",
                      "same_reporter": bool(new.reporter) and new.reporter == c.reporter})
    found.sort(key=lambda f: (-float(f["score"]), str(f["case_id"])))
    return found[:MAX_SUGGESTIONS]


def repeat_of(found: list[dict[str, Any]]) -> str | None:
    """The closed case the new one repeats: the most similar repeat suggestion."""
    return next((f["case_id"] for f in found if f["kind"] == "repeat"), None)
