"""The language a message is written in (zh-Hans, zh-Hant, en, or None for
one we write no mail in), from its characters first and its charset labels
second, so the acknowledgement goes out in the tenant's own script."""
from __future__ import annotations

from chalicelib.mail.charsets import charset_family, charset_name
from chalicelib.mail.lazy import LazyPattern

_HAN = LazyPattern("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN = LazyPattern("[A-Za-z\u00c0-\u024f]")
_CANTONESE = frozenset("嘅咗喺嘢啲哋嚟囉噃嗰")  # Hong Kong written Cantonese: in neither GB2312 nor Big5
_SCRIPT_CACHE: dict[str, int] = {}


def _script(ch: str) -> int:
    """1: a Simplified-only character (in GB2312, not in Big5); 2: Traditional-
    only (in Big5, not in GB2312, or written Cantonese); 0: shared or unknown.
    The two national charsets are the character tables: no list to maintain."""
    kind = _SCRIPT_CACHE.get(ch)
    if kind is None:
        if ch in _CANTONESE:
            kind = 2
        else:
            in_gb = _encodable(ch, "gb2312")
            in_big5 = _encodable(ch, "big5")
            kind = 1 if in_gb and not in_big5 else 2 if in_big5 and not in_gb else 0
        if len(_SCRIPT_CACHE) < 20000:
            _SCRIPT_CACHE[ch] = kind
    return kind


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


_KANA = LazyPattern("[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = LazyPattern("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_JAPANESE_OR_KOREAN = frozenset({
    "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "cp932", "windows-31j", "euc-jp", "x-euc-jp",
    "iso-2022-jp", "csiso2022jp", "iso-2022-jp-2", "euc-kr", "x-euc-kr", "ks_c_5601-1987", "ks_c_5601", "cp949",
    "uhc", "iso-2022-kr", "ksc5601", "korean"})


def guess_lang(sample: str, charsets: list[str]) -> str | None:
    """zh-Hans, zh-Hant or en, from the text first (Traditional-only vs
    Simplified-only characters; mostly Latin letters -> English), the charset
    labels (Big5 / GB) to settle a tie. None for text in a language we write
    no mail in: kana (Japanese) or hangul (Korean) is not Chinese, and neither
    is English, so the caller falls back to the property's language."""
    sample = sample[:4000]
    names = [charset_name(c) for c in charsets]
    hint = next((f for f in map(charset_family, charsets) if f), None)
    han = _HAN.findall(sample)
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    latin = len(_LATIN.findall(sample))
    letters = len(han) + kana + hangul
    if latin > 3 * letters and latin:
        return "en"
    # Chinese text may quote a kana or two (の in a shop name); Japanese and
    # Korean text are a fifth kana or hangul and more.
    if (kana or hangul) and 5 * (kana + hangul) >= letters:
        return None
    if not han:
        if latin:
            return "en"
        if hint is None and any(n in _JAPANESE_OR_KOREAN for n in names):
            return None
        return hint or "en"
    simplified = traditional = 0
    for ch in han:
        kind = _script(ch)
        if kind == 1:
            simplified += 1
        elif kind == 2:
            traditional += 1
    if traditional > simplified:
        if hint is None and any(n in _JAPANESE_OR_KOREAN for n in names):
            return None  # kanji without kana under a Japanese or Korean label: not Chinese either
        return "zh-Hant"
    if simplified > traditional:
        return "zh-Hans"
    if hint is None and any(n in _JAPANESE_OR_KOREAN for n in names):
        return None
    return hint or "zh-Hans"
