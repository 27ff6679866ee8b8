"""The front office's notices to staff (key register, handover logbook) come
from mail/templates.py in the property's language: Simplified for the mainland,
Traditional for Hong Kong, English where set; every value lands in the text."""
from __future__ import annotations

import pytest

from chalicelib.mail.templates import STAFF_NOTICES, key_purpose, lock_change_case, property_lang, staff_notice

VALUES = {"property": "港灣廣場 Harbour Plaza", "when": "2026-11-23 18:00", "who": "監控室老陳",
          "reason": "鑰匙櫃少了一把", "items": "- B2車庫水管爆裂", "key_id": "K007", "unit": "3座1201",
          "content": "鑰匙 K007 遺失", "case_id": "P2-000042", "owner": "李女士", "phone": "9123 4567",
          "due": "2026-11-23 20:00", "by": "領班劉姐", "name": "張師傅", "purpose": "維修"}
# Words only the given script writes (the Simplified and Traditional forms of the same words).
SIMPLIFIED = {"handover_refused": "拒绝", "handover_urgent": "紧急", "key_lost": "钥匙遗失",
              "key_owner_spare": "备用钥匙", "key_overdue": "逾期未还"}
TRADITIONAL = {"handover_refused": "拒絕", "handover_urgent": "緊急", "key_lost": "鑰匙遺失",
               "key_owner_spare": "備用鑰匙", "key_overdue": "逾期未還"}
ENGLISH = {"handover_refused": "Handover refused", "handover_urgent": "Urgent at handover", "key_lost": "Key lost",
           "key_owner_spare": "spare key", "key_overdue": "Key overdue"}


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_notice_has_its_words_in_each_language():
    assert set(SIMPLIFIED) == set(TRADITIONAL) == set(ENGLISH) == STAFF_NOTICES


@pytest.mark.parametrize("kind", sorted(STAFF_NOTICES))
def test_each_notice_renders_in_simplified_traditional_and_english(kind):
    hans = staff_notice("zh-Hans", kind, **VALUES)
    hant = staff_notice("zh-Hant", kind, **VALUES)
    en = staff_notice("en", kind, **VALUES)
    assert SIMPLIFIED[kind] in hans[0] + hans[1] and TRADITIONAL[kind] not in hans[0] + hans[1]
    assert TRADITIONAL[kind] in hant[0] + hant[1] and SIMPLIFIED[kind] not in hant[0] + hant[1]
    assert ENGLISH[kind] in en[0] + en[1]
    english_words = en[0] + en[1]
    for value in sorted(VALUES.values(), key=len, reverse=True):  # Chinese values; English words around them
        english_words = english_words.replace(value, "")
    assert not _cjk(english_words)
    for subject, text in (hans, hant, en):
        assert "{" not in subject + text and "\n" not in subject
        assert "K007" in subject or VALUES["property"] in subject


def test_the_values_are_in_the_text_unchanged():
    _, text = staff_notice("zh-Hant", "handover_refused", **VALUES)
    assert "監控室老陳" in text and "鑰匙櫃少了一把" in text and "2026-11-23 18:00" in text
    subject, text = staff_notice("en", "key_overdue", **{**VALUES, "purpose": key_purpose("en", "repair")})
    assert subject == "[K007] Key overdue: 3座1201" and "purpose: repair" in text and "9123 4567" in text


def test_a_hong_kong_property_gets_traditional_and_its_setting_wins():
    assert property_lang(None, "Asia/Hong_Kong") == "zh-Hant"
    assert property_lang(None, "Asia/Shanghai") == "zh-Hans"
    assert property_lang("en", "Asia/Hong_Kong") == "en"
    assert staff_notice("ja", "key_lost", **VALUES)[0].startswith("[K007] 钥匙遗失")  # unknown: Simplified


def test_purposes_and_the_lock_change_case_in_each_language():
    assert [key_purpose(lang, "owner") for lang in ("zh-Hans", "zh-Hant", "en")] == ["业主使用", "業主使用", "owner's use"]
    words = {"key_id": "K007", "unit": "3座1201", "slot": "A-07", "by": "劉姐", "reason": "遺失在電梯"}
    assert lock_change_case("zh-Hant", **words)[0] == "換鎖：鑰匙 K007 遺失（3座1201）"
    assert lock_change_case("en", **words)[1].startswith("Key K007 (3座1201, cabinet slot A-07) is lost")
