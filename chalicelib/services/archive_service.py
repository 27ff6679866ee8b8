"""The owner archive's steps (seed 001 文档管理), one method each: authorise,
read, apply a rule of ``domain.archive``, store through ``ports.ArchiveStore``.

Confidentiality lives in two places only: which view a reader gets is
``auth`` (``archive.read_full``) and ``archive.resident_view`` (the
allow-list); that every full read is logged is :meth:`ArchiveService.resident`
(the log entry is written before the record is returned: no logged entry, no
full record).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain import archive, auth, places
from chalicelib.domain.cases import Case, iso
from chalicelib.domain.errors import BadRequest, NotFound, ValidationFailed, VersionConflict
from chalicelib.services.case_service import actor_of

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.case_service import CaseService
    from chalicelib.services.ports import ArchiveStore

Clock = Callable[[], datetime]
# A write the caller did not pin to a version is retried this often on the fresh record.
UNPINNED_ATTEMPTS = 3
# A phone lookup reads at most this many of the property's open cases (the open
# queue, earliest deadline first: an index Query) to find the callers' own.
LOOKUP_OPEN_CASES = 200
STRUCTURE_FIELDS = {"building": archive.BUILDING_FIELDS, "unit": archive.UNIT_FIELDS, "area": archive.AREA_FIELDS}


class ArchiveService:
    def __init__(self, store: ArchiveStore, cases_service: CaseService, clock: Clock):
        self.store = store
        self.cases = cases_service
        self.clock = clock

    def _today(self, property_id: str) -> str:
        tz = self.cases.property(property_id).policy.tz
        return self.clock().astimezone(tz).date().isoformat()

    @staticmethod
    def _require_version(stored: dict[str, Any] | None, version: int | None) -> None:
        if version is not None and (stored or {}).get("version") != version:
            raise VersionConflict("the record was changed by someone else; reload and try again",
                                  details={"current_version": (stored or {}).get("version"), "your_version": version})

    # --- structure -------------------------------------------------------------

    def put_structure(self, principal: auth.Principal, property_id: str, kind: str, record_id: str,
                      params: dict[str, Any]) -> dict[str, Any]:
        """Create or change a building, unit or area (versioned; audited in its history)."""
        auth.authorize(principal, "archive.write", property_id)
        self.cases.property(property_id)
        version = params.get("version")
        for attempt in range(1, (1 if version is not None else UNPINNED_ATTEMPTS) + 1):
            previous = self.store.get_structure(property_id, kind, record_id)
            self._require_version(previous, version)
            now = self.clock()
            actor = actor_of(principal)
            if kind == "building":
                record = archive.building(record_id, params, previous=previous, actor=actor, now=now)
            elif kind == "area":
                record = archive.area(record_id, params, previous=previous, actor=actor, now=now)
            else:
                building_id = archive.check_id(params.get("building_id"), "building_id")
                record = archive.unit(record_id, params, previous=previous, actor=actor, now=now,
                                      building_record=self.store.get_structure(property_id, "building", building_id))
            if previous is not None and archive.unchanged(previous, record, STRUCTURE_FIELDS[kind]):
                return previous  # a retried PUT: nothing to record
            try:
                return self.store.put_structure(property_id, kind, record,
                                                expected_version=previous.get("version") if previous else None)
            except VersionConflict:
                if attempt >= UNPINNED_ATTEMPTS or version is not None:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def list_structure(self, principal: auth.Principal, property_id: str, kind: str) -> list[dict[str, Any]]:
        auth.authorize(principal, "archive.read", property_id)
        return self.store.structure(property_id, kind)

    def building(self, principal: auth.Principal, property_id: str, building_id: str) -> dict[str, Any]:
        """A building with its units."""
        auth.authorize(principal, "archive.read", property_id)
        found = self.store.get_structure(property_id, "building", building_id)
        if found is None:
            raise NotFound("no such building", code="building_not_found")
        units = sorted(self.store.units_of_building(property_id, building_id),
                       key=lambda u: (str(u.get("floor") or ""), u["unit_id"]))
        return {**found, "units": units}

    def unit(self, principal: auth.Principal, property_id: str, unit_id: str) -> dict[str, Any]:
        """A unit with its residents in the service view (anyone's full record is
        read one at a time, through :meth:`resident`, and logged)."""
        auth.authorize(principal, "archive.read", property_id)
        found = self.store.get_structure(property_id, "unit", unit_id)
        if found is None:
            raise NotFound("no such unit", code="unit_not_found")
        today = self._today(property_id)
        residents = [archive.resident_view(r, full=False, today=today)
                     for r in self.store.residents_of_unit(property_id, unit_id)]
        return {**found, "residents": sorted(residents, key=lambda r: (not r["current"], r["resident_id"]))}

    def locations(self, principal: auth.Principal, property_id: str) -> list[dict[str, Any]]:
        """Every place a case may be located at, for pickers."""
        auth.authorize(principal, "archive.read", property_id)
        return archive.locations(self.store.structure(property_id, "building"),
                                 self.store.structure(property_id, "unit"),
                                 self.store.structure(property_id, "area"))

    def tenant_places(self, principal: auth.Principal, property_id: str | None) -> dict[str, Any]:
        """The places the tenant's new case may name (``places.tenant_places``): their
        own units (the tenant index: one Query, their units in one batch read) and
        the public areas (one Query). ``property_id``: which, when the token names several."""
        auth.authorize(principal, "places.read_own")
        if property_id is None:
            if len(principal.properties) != 1:
                raise BadRequest("name the property: ?property_id=", code="invalid_query",
                                 details={"field": "property_id", "allowed": sorted(principal.properties)})
            property_id = next(iter(principal.properties))
        auth.authorize(principal, "places.read_own", property_id)
        own = self.store.residents_of_tenant(property_id, principal.subject)
        units = self.store.get_units(property_id, [r["unit_id"] for r in own])
        found = places.tenant_places(own, units, self.store.structure(property_id, "area"),
                                     today=self._today(property_id))
        return {"property_id": property_id, **found}

    def resolve(self, property_id: str, request: dict[str, Any]) -> dict[str, Any]:
        """A case's location as the archive knows it: one read
        (``ValidationFailed(unknown_location)`` when it does not)."""
        kind, record_id = archive.location_target(request)
        return archive.resolve_location(request, self.store.get_structure(property_id, kind, record_id))

    # --- residents --------------------------------------------------------------

    def put_resident(self, principal: auth.Principal, property_id: str, resident_id: str,
                     params: dict[str, Any]) -> dict[str, Any]:
        """Create or change a resident (moving out included); versioned, audited."""
        auth.authorize(principal, "archive.write", property_id)
        self.cases.property(property_id)
        archive.check_id(resident_id, "resident_id")
        unit_id = archive.check_id(params.get("unit_id"), "unit_id")
        unit_record = self.store.get_structure(property_id, "unit", unit_id)
        tenant_id = params.get("tenant_id")
        # Linked, never copied: the tenant's own record (PUT .../tenants/{id}) stays the one for mail.
        tenant_known = isinstance(tenant_id, str) and self.cases.store.is_tenant_of(property_id, tenant_id)
        version = params.get("version")
        for attempt in range(1, (1 if version is not None else UNPINNED_ATTEMPTS) + 1):
            previous = self.store.get_resident(property_id, resident_id)
            self._require_version(previous, version)
            record = archive.resident(resident_id, params, unit_record=unit_record, previous=previous,
                                      tenant_known=tenant_known, actor=actor_of(principal), now=self.clock())
            if archive.unchanged(previous, record, archive.RESIDENT_FIELDS):
                assert previous is not None
                return archive.resident_view(previous, full=True, today=self._today(property_id))
            try:
                stored = self.store.put_resident(
                    property_id, record, expected_version=previous.get("version") if previous else None,
                    previous_phones=[] if previous is None or previous.get("moved_out") else previous["phones"])
            except VersionConflict:
                if attempt >= UNPINNED_ATTEMPTS or version is not None:
                    raise
                continue
            return archive.resident_view(stored, full=True, today=self._today(property_id))
        raise AssertionError("unreachable")  # pragma: no cover

    def add_renovation(self, principal: auth.Principal, property_id: str, resident_id: str,
                       params: dict[str, Any]) -> dict[str, Any]:
        """Record a renovation of the resident's unit (kept with their record)."""
        auth.authorize(principal, "archive.write", property_id)
        for attempt in range(1, UNPINNED_ATTEMPTS + 1):
            previous = self._resident_or_404(property_id, resident_id)
            record = archive.add_renovation(previous, params, actor=actor_of(principal), now=self.clock())
            phones = [] if previous.get("moved_out") else previous["phones"]
            try:
                stored = self.store.put_resident(property_id, record, expected_version=previous["version"],
                                                 previous_phones=phones)
            except VersionConflict:
                if attempt >= UNPINNED_ATTEMPTS:
                    raise
                continue
            return archive.resident_view(stored, full=True, today=self._today(property_id))
        raise AssertionError("unreachable")  # pragma: no cover

    def _resident_or_404(self, property_id: str, resident_id: str) -> dict[str, Any]:
        found = self.store.get_resident(property_id, resident_id)
        if found is None:
            raise NotFound("no such resident", code="resident_not_found")
        return found

    def resident(self, principal: auth.Principal, property_id: str, resident_id: str, *, view: str | None,
                 route: str) -> dict[str, Any]:
        """A resident in the view the reader's role allows: ``view`` "full"
        (managers and up; 403 for others), "service", or None (full when
        allowed). A full read is appended to the access log (who, when, which
        record, from which ``route``) before it is returned."""
        auth.authorize(principal, "archive.read", property_id)
        full = view == "full" or (view is None and "archive.read_full" in auth.permissions_of(principal))
        if full:
            auth.authorize(principal, "archive.read_full", property_id)
        record = self._resident_or_404(property_id, resident_id)
        if full:
            self._log_access(principal, property_id, record, route)
        result = archive.resident_view(record, full=full, today=self._today(property_id))
        result["view"] = "full" if full else "service"
        unit = self.store.get_structure(property_id, "unit", record["unit_id"])
        result["unit_label"] = unit["label"] if unit else record["unit_id"]
        return result

    def _log_access(self, principal: auth.Principal, property_id: str, record: dict[str, Any], route: str) -> None:
        self.store.append_access(property_id, {
            "at": iso(self.clock()), "by": {"id": principal.subject, "role": principal.role, "name": principal.name},
            "record": {"kind": "resident", "resident_id": record["resident_id"], "unit_id": record["unit_id"],
                       "name": record["name"]},
            "route": route})

    def access_log(self, principal: auth.Principal, property_id: str, *, limit: int,
                   cursor: str | None) -> tuple[list[Any], str | None]:
        auth.authorize(principal, "archive.access_log", property_id)
        return self.store.access_log(property_id, limit=limit, cursor=cursor)

    # --- a caller on the phone -----------------------------------------------------

    def lookup(self, principal: auth.Principal, property_id: str, phone: str) -> dict[str, Any]:
        """The current residents with this number (any format) in the service
        view, their unit's label, and the open cases that are theirs: logged for
        their app account, at their unit, or reported from this number."""
        auth.authorize(principal, "archive.read", property_id)
        digits = archive.normalize_phone(phone)
        today = self._today(property_id)
        residents = [r for r in self.store.residents_by_phone(property_id, digits)
                     if archive.is_current(r, today)]
        units = {r["unit_id"] for r in residents}
        tenants = {r["tenant_id"] for r in residents if r.get("tenant_id")}
        labels = {u: (self.store.get_structure(property_id, "unit", u) or {}).get("label", u) for u in sorted(units)}
        found = []
        for case in self._open_cases(property_id):
            if _belongs(case, digits=digits, units=units, tenants=tenants):
                found.append({"case_id": case.case_id, "status": case.status, "title": case.title,
                              "unit": case.unit, "location": case.location, "created_at": iso(case.created_at),
                              "next_due": iso(d) if (d := case.next_due()) else None})
        return {"phone": digits,
                "residents": [{**archive.resident_view(r, full=False, today=today), "unit_label": labels[r["unit_id"]]}
                              for r in residents],
                "open_cases": found}

    def _open_cases(self, property_id: str) -> list[Case]:
        out: list[Case] = []
        cursor = None
        while len(out) < LOOKUP_OPEN_CASES:
            page, cursor = self.cases.store.open_queue(property_id, filters={}, due_before=None, limit=100,
                                                       cursor=cursor)
            out += page
            if cursor is None:
                break
        return out

    # --- cases ------------------------------------------------------------------------

    def locate_case(self, principal: auth.Principal, property_id: str, case_id: str, params: dict[str, Any], *,
                    expected_version: int | None) -> Case:
        """Match a case's free-text unit to an archive location (a case action,
        on the case's audit trail)."""
        auth.authorize(principal, "case.locate", property_id)
        location = self.resolve(property_id, params["location"])
        return self.cases.act(principal, property_id, case_id, "locate", {"location": location},
                              expected_version=expected_version)


def _belongs(case: Case, *, digits: str, units: set[str], tenants: set[str]) -> bool:
    if case.tenant_id and case.tenant_id in tenants:
        return True
    if case.location and case.location.get("unit_id") in units:
        return True
    phone = (case.reporter or {}).get("phone") or case.contact
    try:
        return bool(phone) and archive.normalize_phone(phone) == digits
    except ValidationFailed:
        return False

