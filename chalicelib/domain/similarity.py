"""Text similarity of case texts, for Chinese without a word segmenter and for English.

A text becomes a set of features (``shingles``): runs of CJK characters give their
characters (but the commonest, ``_STOP_CJK``) and character bigrams, Latin text gives its
lower-cased, lightly stemmed words without stop words. Two texts compare by the Dice
coefficient of their feature sets (``similarity``, 0..1). Pure: no I/O, no clock. The
duplicate finder and the case library's suggestions both use these two functions, so
one measured method (see bench/dedupe.py) decides both.

Before shingling, a text is folded so that the same complaint written differently gives
the same features:

- NFKC and lower case (full-width "３Ｆ" is "3f");
- Traditional characters to Simplified (``_T2S``: a small table of the characters
  property complaints use; no dictionary package on the Lambda);
- a few regional words to one word (``_WORDS``: 冷氣 → 空调, 升降機 → 电梯, "aircon" ...);
- floors written any way to one token: 3楼 / 3樓 / 三层 / 3F / 3/F → "3f".
"""
from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_IS_CJK = re.compile(rf"[{_CJK}]")

# Traditional -> Simplified, the characters of everyday property complaints (pairs: T then S).
_T2S_PAIRS = (
    "氣气冷冷樓楼層层調调風风熱热溫温涼凉開开關关沒没壞坏電电燈灯門门鎖锁車车輛辆場场號号"
    "滿满髒脏掃扫衛卫廁厕紙纸間间圾圾個个們们來来說说這这還还會会對对時时後后點点幾几聽听"
    "響响聲声噪噪異异覺觉應应處处理理無无與与為为兩两頭头麼么嗎吗濕湿漏漏滴滴積积龍龙遊游"
    "過过進进離离發发現现隻只蟲虫殺杀滅灭鑽钻裝装修修舖铺鋪铺樂乐訴诉攔拦陌陌職职崗岗當当"
    "監监鏡镜錄录錢钱據据劃划擦擦紋纹鏡镜備备務务實实際际損损壞坏梯梯機机運运動动禁禁燒烧"
    "換换題题問问請请讓让員员戶户業业區区廳厅檢检驗验報报費费單单據据貨货櫃柜臺台灣湾線线"
    "網网絡络話话連连續续閘闸桿杆佔占佔占著着蓋盖鐘钟慢慢總总經经辦办邊边環环境境級级歲岁"
    "傳传術术準准況况極极舊旧張张題题廣广告告聯联係系顧顾客客嚴严重重邏逻輯辑攝摄錶表棟栋廈厦園园"
)
_T2S = str.maketrans({_T2S_PAIRS[i]: _T2S_PAIRS[i + 1] for i in range(0, len(_T2S_PAIRS) - 1, 2)})

# Words that differ by region or habit, folded to one (after Traditional -> Simplified).
_WORDS = (
    ("冷气", "空调"), ("空调机", "空调"), ("升降机", "电梯"), ("曱甴", "蟑螂"), ("保安员", "保安"),
    ("卫生间", "洗手间"), ("厕所", "洗手间"), ("监控镜头", "摄像头"), ("镜头", "摄像头"),
    ("air conditioning", "aircon"), ("air conditioner", "aircon"), ("air con", "aircon"),
    ("a/c", "aircon"), ("elevator", "lift"), ("restroom", "toilet"), ("washroom", "toilet"),
    ("garbage", "rubbish"), ("trash", "rubbish"), ("hallway", "corridor"), ("cctv", "camera"),
    # The same observation, said differently (a small lexicon of property complaints).
    ("滴水", "漏水"), ("不够冷", "不制冷"), ("不凉", "不制冷"), ("热风", "不制冷"), ("不通电", "没电"),
    ("跳闸", "没电"), ("指纹", "手印"), ("楼道", "走廊"), ("灯不亮", "灯坏"), ("灯坏了", "灯坏"),
    ("dripping", "leak"), ("warm air", "not cooling"), ("no electricity", "no power"), ("dead", "no power"),
    ("hand marks", "fingerprints"), ("bay", "space"),
)
_EN_WORDS = {"ac": "aircon", "toilets": "toilet"}

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "十一": 11, "十二": 12}
_FLOOR_DIGITS = re.compile(r"(?<![0-9a-z])([0-9]{1,3})\s*(?:楼|层|/f|f(?![a-z]))")
_FLOOR_CN = re.compile(r"(十[一二]?|[一二两三四五六七八九])(?:楼|层)")
_FLOOR_EN = re.compile(r"\b([0-9]{1,3})(?:st|nd|rd|th)\s+floor\b|\bfloor\s+([0-9]{1,3})\b")
_FIFTH = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
          "ninth": 9, "tenth": 10}
_FLOOR_EN_WORD = re.compile(r"\b(" + "|".join(_FIFTH) + r")\s+floor\b")

_STOP = frozenset("""a an the and or but of to in on at for from with by is are was were be been being it its
this that these there here we our us i my me you your they them he she his her not no very too all any some
again just also as so than then into out up down over can cannot could will would please has have had do does
did done keep keeps get got lately nobody someone another""".split())


# What a reporter says about themselves before the problem ("我是3-301的，", "3-301租户反映：",
# "Unit 3-301 here.", "From 3-301:"): the place is compared on its own, never as text.
_PREAMBLE = (re.compile(r"我是[^，,。]{0,20}?的[，,]?"), re.compile(r"^[^，,：:]{0,20}租[户戶]反映[:：]"),
             re.compile(r"^unit \S+ here\.\s*", re.I), re.compile(r"^from \S+:\s*", re.I))
# Characters too common to say anything on their own (CJK unigrams skip them).
_STOP_CJK = frozenset("的了是在也都很有没一我们请麻烦")


def normalise(text: str) -> str:
    """NFKC (full-width forms to ASCII), lower case, Traditional -> Simplified,
    regional words and floor numbers folded (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_T2S).strip()
    for preamble in _PREAMBLE:
        text = preamble.sub("", text)
    for old, new in _WORDS:
        text = text.replace(old, new)
    text = _FLOOR_CN.sub(lambda m: f" {_CN_NUM[m.group(1)]}f ", text)
    text = _FLOOR_DIGITS.sub(lambda m: f" {int(m.group(1))}f ", text)
    text = _FLOOR_EN.sub(lambda m: f" {int(m.group(1) or m.group(2))}f ", text)
    return _FLOOR_EN_WORD.sub(lambda m: f" {_FIFTH[m.group(1)]}f ", text)


def _stem(word: str) -> str:
    """A light English stemmer: plural and verb endings (leaking/leaks/leaked -> leak)."""
    word = _EN_WORDS.get(word, word)
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def shingles(text: str) -> frozenset[str]:
    """The text's features: CJK characters (but the commonest) and character bigrams;
    Latin words, stemmed, without stop words and unit numbers (floors are kept: "3f")."""
    features: set[str] = set()
    for run in _TOKEN.findall(normalise(text)):
        if _IS_CJK.match(run):
            features.update(c for c in run if c not in _STOP_CJK)
            features.update(run[i:i + 2] for i in range(len(run) - 1))
        elif len(run) > 1 and run not in _STOP and not any(ch.isdigit() for ch in run[:-1]):
            features.add(_stem(run))
    return frozenset(features)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two feature sets (1.0 for identical, 0.0 for disjoint or empty)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
