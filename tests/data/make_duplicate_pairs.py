#!/usr/bin/env python
"""Generate tests/data/duplicate_pairs.jsonl, the labelled set the duplicate finder is measured on.

How it is made: the problems below were written by hand, each in several wordings a tenant,
a front-desk clerk taking a call or an email might use, in Simplified Chinese, Traditional
Chinese (Hong Kong / Taiwan wording: 冷氣, 升降機, 保安) and English, some with mixed
Latin/CJK ("3F 空调", "AC"). A seeded random generator (so the file is reproducible) draws
pairs with the category mix of seed 002 (air conditioning 28.6%, security 22.3%, cleaning
18.9%, the rest shared by the other categories):

- ``dup`` (label 1): two different wordings of the same problem at the same place;
  one pair in six crosses scripts (Simplified vs Traditional) = language ``mixed``;
- ``other_problem`` (label 0, the hard case): same place, same category, a different problem;
- ``other_place`` (label 0): the same problem (often the same wording) at another unit/area;
- ``other_category`` (label 0): same place, a problem of another category.

Each row: {"id", "lang", "category", "kind", "label", "a": {"place", "category", "text"},
"b": {...}}. ``place`` is the location key the finder compares (``unit:<id>`` or
``area:<id>``). Run: python tests/data/make_duplicate_pairs.py (rewrites the file).
"""
from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("duplicate_pairs.jsonl")

# category -> problem -> {"hans": [...], "hant": [...], "en": [...], "area": bool}
P: dict[str, dict[str, dict]] = {
    "air_conditioning": {
        "no_cooling": {"hans": ["空调不制冷，办公室里很热", "办公室空调吹出来的是热风，一点都不凉",
                                "3楼空调不制冷了，温度降不下来", "空调开了一上午还是不凉，麻烦来修一下"],
                       "hant": ["冷氣不夠冷，辦公室很熱", "辦公室冷氣吹出來是熱風，一點都不涼",
                                "3樓冷氣不製冷，溫度降不下來"],
                       "en": ["The air conditioning is not cooling, the office is very hot",
                              "AC blowing warm air in our office, not cold at all",
                              "Air conditioner not cooling on 3F, temperature will not go down"]},
        "leak": {"hans": ["空调漏水，滴到桌子上了", "空调出风口一直在滴水", "空调室内机漏水，地上都是水"],
                 "hant": ["冷氣漏水，滴到桌上", "冷氣出風口一直滴水", "冷氣室內機漏水，地上都是水"],
                 "en": ["The air conditioner is leaking water onto the desk", "Water keeps dripping from the AC vent",
                        "AC indoor unit leaking, water all over the floor"]},
        "noise": {"hans": ["空调噪音很大，嗡嗡响影响开会", "空调一开就有很响的异响", "空调噪音特别吵，像在震动"],
                  "hant": ["冷氣噪音很大，嗡嗡響影響開會", "冷氣一開就很吵，噪音很大", "冷氣噪音特別吵，好像在震動"],
                  "en": ["The air conditioning is very noisy, a loud humming during meetings",
                         "Loud strange noise whenever the AC is on", "AC unit rattling and vibrating, very noisy"]},
        "too_cold": {"hans": ["空调太冷了，温度调不上去", "空调温度太低，员工都冻得穿外套", "空调太冷，温度一直最低调不了"],
                     "hant": ["冷氣太冷，溫度調不上去", "冷氣溫度太低，員工都冷得要穿外套"],
                     "en": ["The air conditioning is far too cold and the thermostat does not work",
                            "Office freezing, AC too cold, staff wearing jackets",
                            "AC too cold, stuck at the lowest temperature"]},
        "smell": {"hans": ["空调有霉味，吹出来的风很臭", "空调风有一股发霉的臭味"],
                  "hant": ["冷氣有霉味，吹出來的風很臭", "冷氣風有一股發霉的臭味"],
                  "en": ["The AC smells musty, the air coming out stinks",
                         "Mouldy smell from the air conditioning vents"]},
    },
    "security": {
        "door_open": {"area": True,
                      "hans": ["B2停车场的消防门一直开着没人管", "地下二层消防通道门没关，晚上也开着",
                               "停车场B2的防火门整晚开着"],
                      "hant": ["B2停車場的消防門一直開著沒人管", "地下二層消防通道門沒關，晚上也開著"],
                      "en": ["The fire door in the B2 car park is always left open",
                             "Fire exit door on B2 open all night, nobody closes it"]},
        "stranger": {"area": True,
                     "hans": ["有陌生人在楼道里推销，保安没拦", "陌生人在走廊里挨家敲门推销", "推销的陌生人在楼道里挨家敲门，保安不管"],
                     "hant": ["有陌生人在走廊推銷，保安沒攔", "陌生人在走廊逐家敲門推銷", "推銷的陌生人在走廊逐家敲門，保安不理"],
                     "en": ["Strangers selling door to door in the corridor, security did not stop them",
                            "A salesman knocking door to door in the corridor, security let him in",
                            "Strangers selling things door to door in our corridor, security did nothing"]},
        "guard_absent": {"area": True,
                         "hans": ["大堂晚上没有保安值班", "晚上大堂保安岗位没人", "晚上大堂保安不在岗"],
                         "hant": ["大堂晚上沒有保安當值", "晚上大堂保安崗位沒人"],
                         "en": ["No security guard at the lobby desk at night",
                                "The night guard post in the lobby is empty",
                                "Lobby security desk unmanned in the evening"]},
        "camera": {"area": True,
                   "hans": ["停车场的监控摄像头坏了，车被刮了查不到", "停车场监控摄像头不工作，车被刮了也没有录像"],
                   "hant": ["停車場的監控鏡頭壞了，車被刮花查不到", "停車場監控鏡頭不工作，車被刮了也沒有錄像"],
                   "en": ["CCTV camera in the car park is broken, my car was scratched and there is no footage",
                          "The car park CCTV camera does not work, my car was scratched and nothing was recorded"]},
    },
    "cleaning": {
        "toilet": {"area": True,
                   "hans": ["5楼洗手间很脏，地上有水也没纸", "五楼厕所没人打扫，没有卫生纸", "5楼卫生间脏，纸巾也用完了"],
                   "hant": ["5樓洗手間很髒，地上有水也沒紙", "五樓廁所沒人打掃，沒有廁紙", "5樓衛生間髒，紙巾也用完了"],
                   "en": ["The 5F washroom is dirty, water on the floor and no paper",
                          "Toilets on the fifth floor not cleaned, no toilet paper",
                          "5/F restroom filthy and out of tissues"]},
        "rubbish": {"area": True,
                    "hans": ["走廊垃圾桶满了没人清理，有臭味", "走廊垃圾两天没收了，很臭", "走廊垃圾桶堆满没人倒"],
                    "hant": ["走廊垃圾桶滿了沒人清理，有臭味", "走廊垃圾兩天沒收，很臭", "走廊垃圾桶堆滿沒人倒"],
                    "en": ["The rubbish bins in the corridor are full and smell",
                           "Garbage not collected for two days, the corridor stinks",
                           "Rubbish bins in the hallway full, nobody empties them"]},
        "floor": {"area": True,
                  "hans": ["大堂地面很滑，拖地后没放警示牌", "大堂刚拖完地没放小心地滑牌子，差点滑倒"],
                  "hant": ["大堂地面很滑，拖地後沒放警示牌", "大堂剛拖完地沒放小心地滑牌，差點滑倒"],
                  "en": ["The lobby floor is slippery after mopping, no warning sign",
                         "Lobby just mopped without a wet floor sign, I nearly slipped"]},
        "glass": {"area": True,
                  "hans": ["大门玻璃很久没擦了，全是手印", "大门玻璃脏，满是手印指纹"],
                  "hant": ["大門玻璃很久沒擦，全是手印", "大門玻璃髒，滿是手印指紋"],
                  "en": ["The glass of the main doors has not been cleaned for ages, full of hand marks",
                         "Main door glass dirty, covered with hand marks"]},
    },
    "noise_renovation": {
        "drilling": {"hans": ["楼上装修电钻声太吵，上班时间也在钻", "楼上装修一直打电钻，上班没法办公", "上班时间装修噪音太大"],
                     "hant": ["樓上裝修電鑽聲太吵，上班時間也在鑽", "樓上裝修一直打電鑽，上班沒法辦公"],
                     "en": ["Renovation drilling upstairs is too loud during office hours",
                            "Renovation upstairs keeps drilling, we cannot work in office hours",
                            "Loud renovation drilling noise during working hours"]},
        "music": {"hans": ["隔壁店铺音乐放得太大声", "隔壁商铺音乐太响，客人都抱怨"],
                  "hant": ["隔壁店舖音樂放得太大聲", "隔壁商舖音樂太響，客人都投訴"],
                  "en": ["The shop next door plays music far too loud",
                         "The shop next door plays loud music, customers complain"]},
    },
    "public_facility": {
        "lift": {"area": True,
                 "hans": ["2号电梯坏了，停在8楼不动", "二号电梯又故障了，按了没反应", "2号梯停运，等了很久"],
                 "hant": ["2號升降機壞了，停在8樓不動", "二號電梯又故障，按了沒反應", "2號電梯停運，等了很久"],
                 "en": ["Lift 2 is broken, stuck on the 8th floor", "Elevator number 2 out of order again, no response",
                        "Lift no. 2 not working, waited a long time"]},
        "light": {"area": True,
                  "hans": ["走廊的灯坏了，晚上很黑", "走廊灯不亮，黑乎乎的", "走廊好几盏灯坏了"],
                  "hant": ["走廊的燈壞了，晚上很黑", "走廊燈不亮，黑漆漆的", "走廊好幾盞燈壞了"],
                  "en": ["The corridor lights are out, it is dark at night", "Hallway lights not working, very dark",
                         "Several corridor lights are broken, it is dark"]},
    },
    "parking": {
        "blocked": {"area": True,
                    "hans": ["我的车位被别人的车占了", "有车停在我的固定车位上", "车位又被外来车辆占用"],
                    "hant": ["我的車位被別人的車佔了", "有車停在我的固定車位上", "車位又被外來車輛佔用"],
                    "en": ["Someone parked in my reserved parking space", "Another car is occupying my parking bay",
                           "My parking space taken by a visitor car again"]},
        "gate": {"area": True,
                 "hans": ["停车场出口道闸抬不起来，车出不去", "停车场出口道闸坏了，车出不去排长队"],
                 "hant": ["停車場出口閘桿升不起來，車出不去", "停車場出口閘桿壞了，車出不去排長隊"],
                 "en": ["The car park exit barrier will not lift, cars cannot leave",
                        "Car park exit barrier broken, cars cannot get out"]},
    },
    "pest": {
        "cockroach": {"hans": ["办公室发现好几只蟑螂", "办公室有蟑螂，请安排灭虫", "最近办公室蟑螂很多，需要灭虫"],
                      "hant": ["辦公室發現好幾隻曱甴", "辦公室有蟑螂，請安排滅蟲", "最近辦公室蟑螂很多，需要滅蟲"],
                      "en": ["Several cockroaches found in the office",
                             "Cockroaches in the office, please arrange pest control",
                             "Lots of cockroaches in the office lately, we need pest control"]},
    },
    "in_unit_repair": {
        "socket": {"hans": ["办公室插座没电了", "几个插座都不通电，电脑用不了", "办公室插座跳闸没电"],
                   "hant": ["辦公室插座沒電", "幾個插座都不通電，電腦用不了"],
                   "en": ["The power sockets in our office have no power",
                          "Several sockets in the office have no power, computers cannot run",
                          "Office sockets tripped, no power"]},
        "door_lock": {"hans": ["公司门锁坏了，锁不上", "办公室大门的锁打不开了"],
                      "hant": ["公司門鎖壞了，鎖不上", "辦公室大門的鎖打不開"],
                      "en": ["Our office door lock is broken and will not lock",
                             "Cannot open the lock on the office door"]},
        "pipe": {"hans": ["茶水间水管漏水，地上积水", "茶水间水龙头下面的管子漏水"],
                 "hant": ["茶水間水管漏水，地上積水", "茶水間水龍頭下面的水管漏水"],
                 "en": ["Pipe leaking in the pantry, water on the floor", "The pipe under the pantry tap is leaking"]},
    },
}

# Seed 002's mix: the three named shares, the rest split evenly over the other categories.
SHARES = {"air_conditioning": 28.6, "security": 22.3, "cleaning": 18.9}
_REST = [c for c in P if c not in SHARES]
SHARES.update({c: (100 - 28.6 - 22.3 - 18.9) / len(_REST) for c in _REST})
LANGS = ("hans", "hant", "en")
LANG_NAME = {"hans": "zh-Hans", "hant": "zh-Hant", "en": "en"}
UNITS = ["3-301", "3-305", "5-502", "8-801", "12-1203", "B1-S05"]
AREAS = ["B2-carpark", "lobby", "5F-corridor", "3F-corridor", "L2-lift-hall"]
# Some reporters start by saying where they are (the bigrams of a unit are shared by
# duplicates and hard non-duplicates alike).
PREFIX = {"hans": ["", "", "我是{u}的，", "{u}租户反映："], "hant": ["", "", "我是{u}的，", "{u}租戶反映："],
          "en": ["", "", "Unit {u} here. ", "From {u}: "]}
N_PAIRS = 260


def _place(problem: dict, rng: random.Random) -> str:
    return f"area:{rng.choice(AREAS)}" if problem.get("area") else f"unit:{rng.choice(UNITS)}"


def _text(problem: dict, lang: str, rng: random.Random, place: str, exclude: str | None = None) -> str:
    options = [t for t in problem[lang] if t != exclude] or problem[lang]
    unit = place.split(":", 1)[1]
    return rng.choice(PREFIX[lang]).format(u=unit) + rng.choice(options)


def generate(seed: int = 17) -> list[dict]:
    rng = random.Random(seed)
    cats = list(SHARES)
    weights = [SHARES[c] for c in cats]
    # Kinds: half duplicates, a third the hard same-place other problem, the rest easy negatives.
    kinds = ["dup"] * 12 + ["other_problem"] * 8 + ["other_place"] * 3 + ["other_category"] * 1
    rows = []
    for n in range(N_PAIRS):
        cat = rng.choices(cats, weights)[0]
        kind = rng.choice(kinds)
        name = rng.choice(list(P[cat]))
        if kind == "other_problem" and len(P[cat]) < 2:
            kind = "dup"
        problem = P[cat][name]
        lang_a = rng.choices(LANGS, [40, 30, 30])[0]
        mixed = kind == "dup" and lang_a != "en" and rng.random() < 1 / 6
        lang_b = ({"hans": "hant", "hant": "hans"}[lang_a]) if mixed else lang_a
        place_a = _place(problem, rng)
        text_a = _text(problem, lang_a, rng, place_a)
        cat_b, place_b = cat, place_a
        if kind == "dup":
            text_b = _text(problem, lang_b, rng, place_b, exclude=text_a if lang_b == lang_a else None)
        elif kind == "other_problem":
            other = P[cat][rng.choice([k for k in P[cat] if k != name])]
            if other.get("area") != problem.get("area"):
                place_b = _place(other, rng) if not other.get("area") else place_a
            text_b = _text(other, lang_b, rng, place_b)
        elif kind == "other_place":
            pool = AREAS if problem.get("area") else UNITS
            place_b = f"{place_a.split(':')[0]}:{rng.choice([p for p in pool if p != place_a.split(':', 1)[1]])}"
            text_b = _text(problem, lang_b, rng, place_b)
        else:
            cat_b = rng.choice([c for c in cats if c != cat])
            other = P[cat_b][rng.choice(list(P[cat_b]))]
            text_b = _text(other, lang_b, rng, place_b)
        rows.append({"id": f"p{n + 1:03d}", "lang": "mixed" if mixed else LANG_NAME[lang_a], "category": cat,
                     "kind": kind, "label": 1 if kind == "dup" else 0,
                     "a": {"place": place_a, "category": cat, "text": text_a},
                     "b": {"place": place_b, "category": cat_b, "text": text_b}})
    return rows


def main() -> None:
    rows = generate()
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pairs -> {OUT}")


if __name__ == "__main__":
    main()
