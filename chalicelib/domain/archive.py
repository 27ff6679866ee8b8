"""The owner archive (seed 001 文档管理: 栋号、房号、业主姓名、家庭成员、装修资料): a
property's structure (buildings, units and their rooms, public areas), its
residents and shop tenants, and what each reader may see of them.

Confidential (001 "建立健全业主档案资料，并严格坚持保密性"): the front desk,
the shift lead, department staff and the control room get a *service view*,
what they need to serve a caller (unit, names, masked phones, language); the
full record (phones, email, family members or shop staff, renovation records,
the edit history) is for managers, directors and admins, and every read of it
is logged by the service. What the service view holds is one allow-list,
:data:`SERVICE_FIELDS`, applied by :func:`resident_view`.

Pure: records are plain dicts (stored as JSON by the adapters), time is passed
in, nothing here knows DynamoDB or HTTP.
"""
from __future__ import annotations

import copy
import re
from datetime import date, datetime
from typing import Any

from chalicelib.domain.cases import Actor, iso
from chalicelib.domain.errors import ValidationFailed

# Ids of buildings, units, rooms, areas and residents: letters, digits, "-" and
# "_", up to 40, starting with a letter or digit. No "#", "/" or spaces: they
# end up in storage keys and URLs.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
_ID = re.compile(ID_PATTERN)
RESIDENT_ROLES = ("owner", "occupant", "shop_tenant")
LOCATION_KINDS = ("unit", "building", "area")

# The service view: what the front desk sees of a resident. Anything not named
# here (email, full phones, contacts, renovations, history, notes) is full-record only.
SERVICE_FIELDS: frozenset[str] = frozenset({
    "resident_id", "unit_id", "name", "role", "lang", "tenant_id", "moved_in", "moved_out", "current", "version",
})
# Every field of a full resident record (the rest of the stored item is the adapter's).
RESIDENT_FIELDS = ("resident_id", "unit_id", "name", "role", "phones", "email", "lang", "tenant_id", "contacts",
                   "renovations", "moved_in", "moved_out", "notes")
# A resident record keeps this many history entries (an item stays far below DynamoDB's 400 KB).
MAX_HISTORY = 200


# --------------------------------------------------------------------------- ids and dates

def check_id(value: Any, field: str) -> str:
    """``value`` as an archive id, or ``ValidationFailed(invalid_id)`` naming ``field``."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationFailed(f"{field} must be 1 to 40 letters, digits, '-' or '_'", code="invalid_id",
                               details={"field": field})
    return value


def _day(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationFailed(f"{field} must be a date (YYYY-MM-DD)", code="invalid_date",
                               details={"field": field}) from None


# --------------------------------------------------------------------------- phones

_PHONE_CHARS = re.compile(r"^\(?\+?[0-9 ()./\-]{3,30}$")


def normalize_phone(raw: Any, field: str = "phone") -> str:
    """A phone number in any usual format as the digits we match on.

    Spaces, dashes, dots and brackets go; a mainland China (+86 / 0086) or Hong
    Kong (+852 / 00852) country code goes too, so "+86 138-1234-5678",
    "0086 13812345678" and "138 1234 5678" are all ``13812345678``. A mainland
    landline keeps its trunk 0 ("+86 21 6123 4567" -> ``02161234567``, as
    dialled at home). Other countries keep their code. ``ValidationFailed``
    (``invalid_phone``) for anything that is not a phone number.
    """
    text = str(raw or "").strip()
    if not _PHONE_CHARS.match(text):
        raise ValidationFailed(f"{field} is not a phone number", code="invalid_phone", details={"field": field})
    international = text.lstrip("(").startswith("+")
    digits = re.sub(r"\D", "", text)
    if digits.startswith("00"):
        international, digits = True, digits[2:]
    if international:
        if digits.startswith("86") and len(digits) >= 11:
            rest = digits[2:]
            digits = rest if rest.startswith("1") and len(rest) == 11 else "0" + rest
        elif digits.startswith("852") and len(digits) == 11:
            digits = digits[3:]
    if not 5 <= len(digits) <= 15:
        raise ValidationFailed(f"{field} is not a phone number", code="invalid_phone", details={"field": field})
    return digits


def mask_phone(digits: str) -> str:
    """What the service view shows of a number: the first three and last four
    digits of a long one (``138****5678``), two and two of a short one."""
    if len(digits) >= 10:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


# --------------------------------------------------------------------------- edits and history

def _actor(actor: Actor) -> dict[str, str]:
    return {"id": actor.id, "role": actor.role, "name": actor.name}


def _edited(previous: dict[str, Any] | None, record: dict[str, Any], fields: tuple[str, ...], *,
            actor: Actor, now: datetime, action: str | None = None) -> dict[str, Any]:
    """``record`` with ``previous``'s history and one entry more: who, when, which
    fields moved from what to what. ``version`` is the stored one (None: new)."""
    old = previous or {}
    changes = {name: {"from": old.get(name), "to": record.get(name)} for name in fields
               if old.get(name) != record.get(name)}
    entry = {"at": iso(now), "by": _actor(actor), "action": action or ("update" if previous else "create"),
             "changes": changes}
    record["history"] = ([*old.get("history", []), entry])[-MAX_HISTORY:]
    record["version"] = old.get("version")
    return record


def unchanged(previous: dict[str, Any] | None, record: dict[str, Any], fields: tuple[str, ...]) -> bool:
    """Whether a PUT would change nothing (a retried request): no new history entry."""
    return previous is not None and all(previous.get(f) == record.get(f) for f in fields)


def _text(value: Any, field: str, *, max_len: int = 100, required: bool = True) -> str | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            raise ValidationFailed(f"{field} must not be empty", details={"field": field})
        return None
    if len(text) > max_len:
        raise ValidationFailed(f"{field} is longer than {max_len} characters", details={"field": field})
    return text


# --------------------------------------------------------------------------- structure

BUILDING_FIELDS = ("building_id", "name", "name_en")
UNIT_FIELDS = ("unit_id", "building_id", "floor", "number", "shop_name", "rooms", "label")
AREA_FIELDS = ("area_id", "name", "name_en")


def building(building_id: str, params: dict[str, Any], *, previous: dict[str, Any] | None, actor: Actor,
             now: datetime) -> dict[str, Any]:
    """A building (a tower of a residential estate, a block or wing of a mall)."""
    record = {"building_id": check_id(building_id, "building_id"), "name": _text(params.get("name"), "name"),
              "name_en": _text(params.get("name_en"), "name_en", required=False)}
    return _edited(previous, record, BUILDING_FIELDS, actor=actor, now=now)


def unit_label(building_record: dict[str, Any], number: str, shop_name: str | None) -> str:
    """How a unit is named to people: 「3栋 1201」, 「港灣廣場 L2-018 茶記」."""
    return " ".join(part for part in (building_record["name"], number, shop_name) if part)


def unit(unit_id: str, params: dict[str, Any], *, building_record: dict[str, Any] | None,
         previous: dict[str, Any] | None, actor: Actor, now: datetime) -> dict[str, Any]:
    """A unit (a flat, a shop) in a stored building, with its rooms; the label
    is written with it, so a case's location needs no second read."""
    building_id = check_id(params.get("building_id"), "building_id")
    if building_record is None or building_record.get("building_id") != building_id:
        raise ValidationFailed("no such building in this property's archive", code="unknown_building",
                               details={"field": "building_id"})
    rooms, seen = [], set()
    for n, room in enumerate(params.get("rooms") or []):
        room_id = check_id(room.get("room_id"), f"rooms[{n}].room_id")
        if room_id in seen:
            raise ValidationFailed("a room id appears twice", code="duplicate_id", details={"field": f"rooms[{n}]"})
        seen.add(room_id)
        rooms.append({"room_id": room_id, "name": _text(room.get("name"), f"rooms[{n}].name")})
    number = _text(params.get("number"), "number", max_len=40)
    assert number is not None  # required
    shop_name = _text(params.get("shop_name"), "shop_name", required=False)
    record = {"unit_id": check_id(unit_id, "unit_id"), "building_id": building_id,
              "floor": _text(params.get("floor"), "floor", max_len=10, required=False), "number": number,
              "shop_name": shop_name, "rooms": rooms, "label": unit_label(building_record, number, shop_name)}
    return _edited(previous, record, UNIT_FIELDS, actor=actor, now=now)


def area(area_id: str, params: dict[str, Any], *, previous: dict[str, Any] | None, actor: Actor,
         now: datetime) -> dict[str, Any]:
    """A public area: lobby, car park, atrium, garden..."""
    record = {"area_id": check_id(area_id, "area_id"), "name": _text(params.get("name"), "name"),
              "name_en": _text(params.get("name_en"), "name_en", required=False)}
    return _edited(previous, record, AREA_FIELDS, actor=actor, now=now)


# --------------------------------------------------------------------------- locations

def location_target(request: dict[str, Any]) -> tuple[str, str]:
    """Which archive record a case's location names, as (kind, id): the unit
    when one is given (a room is checked inside it), else the building, else the
    public area. ``ValidationFailed`` for ids that are not ids or a request that
    names both a unit (or building) and an area."""
    if not isinstance(request, dict):
        raise ValidationFailed("location must be an object", code="unknown_location", details={"field": "location"})
    for name in ("building_id", "unit_id", "room_id", "area_id"):
        if request.get(name) is not None:
            check_id(request[name], f"location.{name}")
    if request.get("area_id"):
        if any(request.get(n) for n in ("building_id", "unit_id", "room_id")):
            raise ValidationFailed("a location is a public area or a place in a building, not both",
                                   code="unknown_location", details={"field": "location"})
        return "area", request["area_id"]
    if request.get("unit_id"):
        return "unit", request["unit_id"]
    if request.get("room_id"):
        raise ValidationFailed("a room is named with its unit", code="unknown_location",
                               details={"field": "location.unit_id"})
    if request.get("building_id"):
        return "building", request["building_id"]
    raise ValidationFailed("a location names a unit, a building or a public area", code="unknown_location",
                           details={"field": "location"})


def resolve_location(request: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """The location a case stores, from the request and the archive record
    :func:`location_target` named (None: not in the archive). The label is
    kept on the case, so reading a case never reads the archive.
    ``ValidationFailed(unknown_location)`` when the archive does not hold it."""
    kind, _ = location_target(request)

    def unknown(field: str) -> ValidationFailed:
        return ValidationFailed("this location is not in the property's archive", code="unknown_location",
                                details={"field": field})
    if record is None:
        raise unknown(f"location.{kind}_id")
    if kind == "area":
        return {"kind": "area", "area_id": record["area_id"], "label": record["name"]}
    if kind == "building":
        return {"kind": "building", "building_id": record["building_id"], "label": record["name"]}
    if request.get("building_id") and request["building_id"] != record["building_id"]:
        raise unknown("location.building_id")
    location = {"kind": "unit", "building_id": record["building_id"], "unit_id": record["unit_id"],
                "label": record["label"]}
    if request.get("room_id"):
        room = next((r for r in record.get("rooms") or [] if r["room_id"] == request["room_id"]), None)
        if room is None:
            raise unknown("location.room_id")
        location.update(room_id=room["room_id"], label=f"{record['label']} {room['name']}")
    return location


def locations(buildings: list[dict[str, Any]], units: list[dict[str, Any]],
              areas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flat list a picker offers: each building, each unit and room in it,
    each public area, with the ids a case's location takes and its label."""
    out: list[dict[str, Any]] = []
    by_building: dict[str, list[dict[str, Any]]] = {}
    for u in units:
        by_building.setdefault(u["building_id"], []).append(u)
    for b in sorted(buildings, key=lambda r: r["building_id"]):
        out.append({"kind": "building", "building_id": b["building_id"], "label": b["name"]})
        for u in sorted(by_building.get(b["building_id"], []), key=lambda r: (str(r.get("floor") or ""),
                                                                              r["unit_id"])):
            out.append({"kind": "unit", "building_id": b["building_id"], "unit_id": u["unit_id"],
                        "label": u["label"]})
            for room in u.get("rooms") or []:
                out.append({"kind": "unit", "building_id": b["building_id"], "unit_id": u["unit_id"],
                            "room_id": room["room_id"], "label": f"{u['label']} {room['name']}"})
    for a in sorted(areas, key=lambda r: r["area_id"]):
        out.append({"kind": "area", "area_id": a["area_id"], "label": a["name"]})
    return out


# --------------------------------------------------------------------------- residents

def _contacts(values: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for n, c in enumerate(values or []):
        contact = {"name": _text(c.get("name"), f"contacts[{n}].name"),
                   "relation": _text(c.get("relation"), f"contacts[{n}].relation", max_len=40)}
        if c.get("phone"):
            contact["phone"] = normalize_phone(c["phone"], f"contacts[{n}].phone")
        out.append(contact)
    return out


def resident(resident_id: str, params: dict[str, Any], *, unit_record: dict[str, Any] | None,
             previous: dict[str, Any] | None, tenant_known: bool, actor: Actor, now: datetime) -> dict[str, Any]:
    """A resident or shop tenant of a stored unit, as a PUT sets them.

    Phones are stored normalised (:func:`normalize_phone`), so a lookup finds
    them however they were typed. ``tenant_id`` links the person's app account
    (the tenant registered with PUT .../tenants/{tenant_id}): linked, never
    copied. Moving out sets ``moved_out``: the record stays, with its history.
    Renovation records are added one by one (:func:`add_renovation`) and kept."""
    unit_id = check_id(params.get("unit_id"), "unit_id")
    if unit_record is None or unit_record.get("unit_id") != unit_id:
        raise ValidationFailed("no such unit in this property's archive", code="unknown_unit",
                               details={"field": "unit_id"})
    role = params.get("role")
    if role not in RESIDENT_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(RESIDENT_ROLES)}", details={"field": "role"})
    phones = list(dict.fromkeys(normalize_phone(p, f"phones[{n}]") for n, p in enumerate(params.get("phones") or [])))
    tenant_id = params.get("tenant_id") or None
    if tenant_id and not tenant_known:
        raise ValidationFailed("tenant_id is not a tenant of this property", code="unknown_tenant",
                               details={"field": "tenant_id"})
    moved_in, moved_out = _day(params.get("moved_in"), "moved_in"), _day(params.get("moved_out"), "moved_out")
    if moved_in and moved_out and moved_out < moved_in:
        raise ValidationFailed("moved_out is before moved_in", details={"field": "moved_out"})
    if previous and previous.get("moved_out") and not moved_out:
        raise ValidationFailed("a resident who moved out stays moved out: add them again under a new id",
                               code="resident_ended", details={"field": "moved_out"})
    record = {"resident_id": check_id(resident_id, "resident_id"), "unit_id": unit_id,
              "name": _text(params.get("name"), "name"), "role": role, "phones": phones,
              "email": (params.get("email") or "").lower() or None, "lang": params.get("lang") or None,
              "tenant_id": tenant_id, "contacts": _contacts(params.get("contacts")),
              "renovations": list((previous or {}).get("renovations") or []),
              "moved_in": moved_in, "moved_out": moved_out,
              "notes": _text(params.get("notes"), "notes", max_len=2000, required=False)}
    action = "move_out" if moved_out and not (previous or {}).get("moved_out") and previous else None
    return _edited(previous, record, RESIDENT_FIELDS, actor=actor, now=now, action=action)


def add_renovation(previous: dict[str, Any], params: dict[str, Any], *, actor: Actor,
                   now: datetime) -> dict[str, Any]:
    """The resident's record with one more renovation record (dates, contractor,
    permit number, notes), numbered in order; earlier ones are never changed."""
    started, ended = _day(params.get("started_on"), "started_on"), _day(params.get("ended_on"), "ended_on")
    if started is None:
        raise ValidationFailed("started_on must not be empty", details={"field": "started_on"})
    if ended and ended < started:
        raise ValidationFailed("ended_on is before started_on", details={"field": "ended_on"})
    record = copy.deepcopy(previous)
    renovations = list(record.get("renovations") or [])
    renovations.append({"n": len(renovations) + 1, "started_on": started, "ended_on": ended,
                        "contractor": _text(params.get("contractor"), "contractor", max_len=200),
                        "permit_no": _text(params.get("permit_no"), "permit_no", max_len=60, required=False),
                        "notes": _text(params.get("notes"), "notes", max_len=2000, required=False),
                        "recorded_at": iso(now), "recorded_by": _actor(actor)})
    record["renovations"] = renovations
    return _edited(previous, record, ("renovations",), actor=actor, now=now, action="renovation")


def is_current(record: dict[str, Any], today: str) -> bool:
    """Lives (or trades) there on ``today`` (YYYY-MM-DD): not moved out by then."""
    return not record.get("moved_out") or record["moved_out"] > today


def resident_view(record: dict[str, Any], *, full: bool, today: str) -> dict[str, Any]:
    """A resident as a reader sees them: everything for a full reader; for the
    service view, only :data:`SERVICE_FIELDS` and the phones masked."""
    view = {**record, "current": is_current(record, today)}
    if full:
        return view
    out = {name: value for name, value in view.items() if name in SERVICE_FIELDS}
    out["phones"] = [mask_phone(p) for p in record.get("phones") or []]
    return out
