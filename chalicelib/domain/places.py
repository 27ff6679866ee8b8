"""The places a tenant's new case may name: their own units (the owner archive's
residents linked to their app account) and the property's public areas.

An allow-list, as ``views`` is for a case: a place carries the ids a case's
``location`` takes (chalicelib/domain/archive.py resolve_location checks them
again on submit) and its label, nothing of any resident (no names, phones,
other residents of the unit, renovations). Pure: records are the archive's dicts.
"""
from __future__ import annotations

from typing import Any

from chalicelib.domain import archive

# What a tenant sees of each place.
PLACE_FIELDS: frozenset[str] = frozenset({"kind", "building_id", "unit_id", "room_id", "area_id", "label",
                                          "label_en", "own", "shop"})


def tenant_places(residents: list[dict[str, Any]], units: dict[str, dict[str, Any]], areas: list[dict[str, Any]],
                  *, today: str) -> dict[str, Any]:
    """``residents``: the tenant's own resident records (linked by ``tenant_id``);
    ``units``: their units' archive records by id; ``areas``: the public areas.
    Units first (each unit, then each of its rooms), then the areas by id.
    ``business``: the tenant keeps a shop here (a current ``shop_tenant`` record,
    or a unit with a shop name): the app offers "affects my shop's business"."""
    out: list[dict[str, Any]] = []
    business = False
    seen: set[str] = set()
    for r in sorted(residents, key=lambda r: r["unit_id"]):
        unit = units.get(r["unit_id"])
        if unit is None or not archive.is_current(r, today) or unit["unit_id"] in seen:
            continue
        seen.add(unit["unit_id"])
        shop = r.get("role") == "shop_tenant" or bool(unit.get("shop_name"))
        business = business or shop
        base = {"kind": "unit", "building_id": unit["building_id"], "unit_id": unit["unit_id"], "own": True,
                "shop": shop}
        out.append({**base, "label": unit["label"]})
        for room in unit.get("rooms") or []:
            out.append({**base, "room_id": room["room_id"], "label": f"{unit['label']} {room['name']}"})
    for a in sorted(areas, key=lambda a: a["area_id"]):
        out.append({"kind": "area", "area_id": a["area_id"], "label": a["name"], "label_en": a.get("name_en"),
                    "own": False, "shop": False})
    return {"items": [{k: v for k, v in p.items() if k in PLACE_FIELDS and v is not None} for p in out],
            "business": business, "linked": bool(seen)}
