"""Every event type the domain can record reads as a sentence on the staff console.

The event types come from the code: ``cases.ALLOWED_FROM`` (every action and
record the lifecycle guards) plus "submitted", checked against each literal
action name the domain passes to ``_apply`` / ``Event(action=...)``. The console's
sentences live in chalicelib/http/console/timeline.js: a ``SENTENCES`` entry per
type and a ``tl.<type>`` template in each of en, zh-Hans and zh-Hant. A new event
type without a sentence (or a template missing in one language) fails here.
tests/browser/test_console_shift.py renders every type in the three languages.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from chalicelib.domain import cases, dedupe
from chalicelib.domain.views import event_view
from tests.domain.test_tenant_view import trails

ROOT = Path(__file__).resolve().parents[2]
TIMELINE_JS = ROOT / "chalicelib" / "http" / "console" / "timeline.js"
DOMAIN = ROOT / "chalicelib" / "domain"
LANGS = ("en", "zh-Hans", "zh-Hant")


def event_types() -> set[str]:
    return {"submitted"} | set(cases.ALLOWED_FROM) | set(dedupe.EVENTS)


def _literal_actions() -> set[str]:
    """Action names written as literals where the domain records an event."""
    found: set[str] = set()
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "_apply" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                found.add(node.args[1].value)
            if name == "_change" and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
                found.add(node.args[2].value)  # dedupe.py: an event on each of two cases
            if name == "Event":
                found |= {kw.value.value for kw in node.keywords
                          if kw.arg == "action" and isinstance(kw.value, ast.Constant)}
    return found


def _tables() -> dict[str, str]:
    """The text of each language's block in timeline.js's addStrings({...})."""
    source = TIMELINE_JS.read_text(encoding="utf-8")
    starts = {lang: source.index(marker) for lang, marker in
              (("en", "\n  en: {"), ("zh-Hans", '\n  "zh-Hans": {'), ("zh-Hant", '\n  "zh-Hant": {'))}
    order = sorted(starts, key=starts.get)
    end = source.index("\n});", starts[order[-1]])
    bounds = [starts[lang] for lang in order] + [end]
    return {lang: source[bounds[i]:bounds[i + 1]] for i, lang in enumerate(order)}


def _sentence_keys() -> set[str]:
    source = TIMELINE_JS.read_text(encoding="utf-8")
    block = source[source.index("const SENTENCES = {"):source.index("\n};", source.index("const SENTENCES = {"))]
    return set(re.findall(r"^  (\w+): ", block, flags=re.M))


def test_the_event_types_are_read_from_the_domain_and_complete():
    literal = _literal_actions()
    assert literal, "no action names found: the scan of chalicelib/domain broke"
    assert literal <= event_types(), sorted(literal - event_types())
    # the walk of tests/domain/test_tenant_view.py records every one of them for real
    assert {e.action for t in trails() for e in t.events} >= event_types() - set(dedupe.EVENTS)


def test_every_event_type_has_a_sentence_in_each_language():
    assert event_types() <= _sentence_keys(), sorted(event_types() - _sentence_keys())
    tables = _tables()
    for lang in LANGS:
        missing = [kind for kind in sorted(event_types()) if f'"tl.{kind}":' not in tables[lang]]
        assert not missing, f"{lang}: no timeline template for {missing}"


def test_templates_fill_the_same_slots_in_every_language():
    tables = _tables()
    templates = {lang: dict(re.findall(r'"(tl\.[\w.]+)": "((?:[^"\\]|\\.)*)"', tables[lang])) for lang in LANGS}
    for key, english in templates["en"].items():
        if key.startswith(("tl.deadline.", "tl.tier.", "tl.role.", "tl.channel.")):
            continue  # English words for codes: Chinese uses the console's own labels
        for lang in ("zh-Hans", "zh-Hant"):
            assert key in templates[lang], f"{lang} lacks {key}"
            assert set(re.findall(r"\{\w+\}", templates[lang][key])) == set(re.findall(r"\{\w+\}", english)), key


def test_staff_events_say_which_parts_the_tenant_reads():
    events = {e.action: event_view(e, staff=True) for t in trails() for e in t.events}
    assert events["note"]["tenant_sees"] is None  # internal: not on the tenant's timeline
    assert events["classify"]["tenant_sees"] is None
    assert "message" in events["respond"]["tenant_sees"]
    assert events["assign"]["tenant_sees"] == []  # they see that it was handed on, not the note
    assert "summary" not in (events["close"]["tenant_sees"] or [])
