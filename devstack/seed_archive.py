"""Demo owner archive for the local stack (seed 001 文档管理): P1 滨江花园, a
residential estate (buildings 1–3栋, flats and their rooms, owners and family in
Simplified Chinese, a renovation record, a former owner who moved out), and P2
港灣廣場, a mall (floors of shops, shop tenants and their staff in Traditional
Chinese, public areas). Written through ``ArchiveService`` with the API's own
schemas, as an admin would. The seeded app tenants are linked, never copied.
"""
from __future__ import annotations

import copy
from typing import Any

from chalicelib import schemas
from chalicelib.domain.auth import Principal
from chalicelib.services.archive_service import ArchiveService

# kind -> [(id, body)] in write order (a unit needs its building).
STRUCTURE: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "P1": [
        ("building", "B1", {"name": "1栋", "name_en": "Block 1"}),
        ("building", "B2", {"name": "2栋", "name_en": "Block 2"}),
        ("building", "B3", {"name": "3栋", "name_en": "Block 3"}),
        ("unit", "1-0501", {"building_id": "B1", "floor": "5", "number": "0501"}),
        ("unit", "2-0102", {"building_id": "B2", "floor": "1", "number": "0102"}),
        ("unit", "3-1101", {"building_id": "B3", "floor": "11", "number": "1101"}),
        ("unit", "3-1201", {"building_id": "B3", "floor": "12", "number": "1201", "rooms": [
            {"room_id": "living", "name": "客厅"}, {"room_id": "master", "name": "主卧"},
            {"room_id": "kitchen", "name": "厨房"}, {"room_id": "bathroom", "name": "卫生间"}]}),
        ("unit", "3-1202", {"building_id": "B3", "floor": "12", "number": "1202"}),
        ("area", "lobby-b3", {"name": "3栋大堂", "name_en": "Block 3 lobby"}),
        ("area", "carpark-b2", {"name": "2栋地下车库入口", "name_en": "Block 2 car park entrance"}),
        ("area", "garden", {"name": "中心花园", "name_en": "Central garden"}),
    ],
    "P2": [
        ("building", "MALL", {"name": "港灣廣場", "name_en": "Harbour Plaza"}),
        ("unit", "L1-02", {"building_id": "MALL", "floor": "1", "number": "L1-02", "shop_name": "港記餅家"}),
        ("unit", "L2-15", {"building_id": "MALL", "floor": "2", "number": "L2-15", "shop_name": "黃記茶餐廳",
                           "rooms": [{"room_id": "kitchen", "name": "廚房"}, {"room_id": "front", "name": "前舖"}]}),
        ("unit", "L3-18", {"building_id": "MALL", "floor": "3", "number": "L3-18", "shop_name": "陳記時裝"}),
        ("area", "atrium", {"name": "中庭", "name_en": "Atrium"}),
        ("area", "carpark", {"name": "停車場", "name_en": "Car park"}),
        ("area", "entrance", {"name": "正門大堂", "name_en": "Main entrance"}),
    ],
}

RESIDENTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "P1": [
        ("R3-1201-A", {"unit_id": "3-1201", "name": "李女士", "role": "owner", "tenant_id": "tenant-1",
                       "phones": ["138 0013 8000"], "email": "li.nvshi@example.cn", "lang": "zh-Hans",
                       "moved_in": "2019-05-01", "notes": "家中有八十岁老人，上门前请先电话联系。",
                       "contacts": [{"name": "李明", "relation": "儿子", "phone": "139 0000 1111"},
                                    {"name": "王秀英", "relation": "母亲"}]}),
        ("R2-0102-A", {"unit_id": "2-0102", "name": "周先生", "role": "owner", "tenant_id": "tenant-4",
                       "phones": ["139 1234 5678"], "email": "zhou.xiansheng@example.cn", "lang": "zh-Hans",
                       "moved_in": "2016-09-15", "contacts": [{"name": "周太太", "relation": "妻子",
                                                               "phone": "137 1234 0000"}]}),
        ("R3-1101-A", {"unit_id": "3-1101", "name": "刘先生", "role": "occupant", "phones": ["+86 135-0000-2222"],
                       "lang": "zh-Hans", "moved_in": "2024-02-01"}),
        # A former owner: moved out, kept with their history, found by no phone.
        ("R3-1202-A", {"unit_id": "3-1202", "name": "孙女士", "role": "owner", "phones": ["136 0000 3333"],
                       "lang": "zh-Hans", "moved_in": "2012-06-01", "moved_out": "2025-08-31"}),
    ],
    "P2": [
        # His app account (tenant-2) is not registered at P2 (no mail address): not linked; his
        # case is found by its location.
        ("RL3-18-A", {"unit_id": "L3-18", "name": "陳先生", "role": "shop_tenant",
                      "phones": ["+852 9123 4567"], "email": "chan.fashion@example.com.hk", "lang": "zh-Hant",
                      "moved_in": "2021-03-01", "contacts": [{"name": "阿May", "relation": "店長",
                                                              "phone": "6123 4567"}]}),
        ("RL2-15-A", {"unit_id": "L2-15", "name": "黃小姐", "role": "shop_tenant", "tenant_id": "tenant-5",
                      "phones": ["+852 9876 5432"], "email": "wong.shop@example.com.hk", "lang": "zh-Hant",
                      "moved_in": "2018-11-01", "contacts": [{"name": "李師傅", "relation": "廚師長"},
                                                              {"name": "阿芬", "relation": "收銀員",
                                                               "phone": "5432 1098"}]}),
    ],
}

RENOVATIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("P1", "R3-1201-A", {"started_on": "2025-04-07", "ended_on": "2025-06-20", "contractor": "美家装饰工程有限公司",
                         "permit_no": "滨江装许字2025-031", "notes": "厨房、卫生间改造，已交装修保证金，验收合格。"}),
    ("P2", "RL2-15-A", {"started_on": "2024-07-01", "ended_on": "2024-07-28", "contractor": "匯通工程",
                        "permit_no": "HP-FO-2024-112", "notes": "廚房排煙系統更換。"}),
]

_SCHEMA = {"building": "PutBuilding", "unit": "PutUnit", "area": "PutArea"}


def _valid(schema: str, body: dict[str, Any]) -> dict[str, Any]:
    return schemas.validate(schema, copy.deepcopy(body))


def seed_archive(archive: ArchiveService, admin: Principal) -> int:
    """Write the demo archive; returns the number of residents written."""
    count = 0
    for property_id, items in STRUCTURE.items():
        for kind, record_id, body in items:
            archive.put_structure(admin, property_id, kind, record_id, _valid(_SCHEMA[kind], body))
    for property_id, people in RESIDENTS.items():
        for resident_id, body in people:
            archive.put_resident(admin, property_id, resident_id, _valid("PutResident", body))
            count += 1
    for property_id, resident_id, body in RENOVATIONS:
        archive.add_renovation(admin, property_id, resident_id, _valid("AddRenovation", body))
    return count
