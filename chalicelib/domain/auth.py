"""Authorisation: who the caller is (:class:`Principal`) and what they may do.

Every route's permission rule lives in :data:`PERMISSIONS`; :func:`authorize` is the
one function that applies it, :func:`authorize_on_case` adds department scope.
How a caller is authenticated (tokens, Cognito claims) is the HTTP edge's:
chalicelib/http/identity.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import Forbidden, NotFound

__all__ = [
    "ROLES",
    "STAFF_ROLES",
    "APPROVER_ROLES",
    "LANGS",
    "DEFAULT_LANG",
    "PERMISSIONS",
    "Principal",
    "authorize",
    "permissions_of",
    "DEPARTMENT_SCOPED_ROLES",
    "authorize_on_case",
]

# "security": the security control room's staff, the on-duty desk after hours,
# who sign the control-room side of the shift handover. "shift_lead": the
# customer-service shift lead (領班, seed 000 篇2/篇3), a front-desk member who
# also keeps the key cabinet and reviews the day's handovers.
ROLES: tuple[str, ...] = ("tenant", "security", "front_desk", "shift_lead", "dept_staff", "manager", "director",
                          "admin")
STAFF_ROLES: frozenset[str] = frozenset(ROLES) - {"tenant"}
APPROVER_ROLES: frozenset[str] = frozenset({"manager", "director", "admin"})

LANGS: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en")
DEFAULT_LANG = "zh-Hans"


_ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
_LANG_BY_LOWER = {lang.lower(): lang for lang in LANGS}
_FRONT_AND_UP = frozenset({"front_desk", "shift_lead", "manager", "director", "admin"})


# --------------------------------------------------------------------------- principal


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str  # tenant id or staff id (token "sub")
    role: str
    properties: frozenset[str]  # property ids this principal is scoped to
    name: str = ""
    email: str = ""
    lang: str = DEFAULT_LANG  # "zh-Hans" | "zh-Hant" | "en"
    # The staff member's department (e.g. "engineering"); None for tenants and
    # for staff who belong to none. Limits what dept_staff may act on.
    department: str | None = None

    def __post_init__(self) -> None:
        if self.role not in _ROLE_RANK:
            raise ValueError(f"unknown role {self.role!r}; expected one of {ROLES}")
        if isinstance(self.properties, (str, bytes)):
            raise TypeError("properties must be an iterable of property ids, not a string")
        if not isinstance(self.properties, frozenset):
            object.__setattr__(self, "properties", frozenset(self.properties))

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def in_property(self, property_id: str) -> bool:
        return property_id in self.properties


# --------------------------------------------------------------------------- authorisation

# action -> roles allowed. Every route's rule is here and nowhere else.
PERMISSIONS: dict[str, frozenset[str]] = {
    "case.submit": frozenset({"tenant"}),  # tenant submits own case
    "case.log": _FRONT_AND_UP,  # staff logs a phone/walk-in/letter case for a caller
    "case.list_own": frozenset({"tenant"}),
    "case.read": frozenset(ROLES),  # tenants further limited to their own cases by the caller
    "case.message": frozenset({"tenant"}),
    "case.rate": frozenset({"tenant"}),
    # The tenant answers the follow-up callback in the app, on their own resolved case (domain/cases.py confirm).
    "case.confirm": frozenset({"tenant"}),
    "case.reopen": frozenset({"tenant"}) | _FRONT_AND_UP,
    "queue.read": STAFF_ROLES,
    "case.classify": _FRONT_AND_UP,
    "case.assign": _FRONT_AND_UP,
    "case.note": STAFF_ROLES,
    "case.start": STAFF_ROLES,
    "case.respond": STAFF_ROLES,
    "case.resolve": STAFF_ROLES,
    "case.callback": _FRONT_AND_UP,
    "case.escalate": STAFF_ROLES,
    "case.close": _FRONT_AND_UP,  # over an unsatisfied callback, managers only (domain/cases.py close)
    "case.move_promise": STAFF_ROLES,
    "case.await_tenant": STAFF_ROLES,
    "case.resume": STAFF_ROLES,
    # Unreached after the policy's callback attempts: a manager's decision.
    "case.close_unreachable": frozenset({"manager", "director", "admin"}),
    # consultation answered -> closed
    "case.answer": frozenset({"front_desk", "shift_lead", "dept_staff", "manager", "director", "admin"}),
    "case.explain": _FRONT_AND_UP,  # invalid complaint explained -> closed
    # The department manager judges whether a complaint is valid (seed 003 4.5.1);
    # the front desk's classify "invalid" is only a proposal. No manager here is
    # scoped to a department, so the property's managers and up decide.
    "case.confirm_invalid": APPROVER_ROLES,
    "case.reject_invalid": APPROVER_ROLES,
    "policy.read": STAFF_ROLES,
    # What a property tells its tenants (name, hours, categories, phone numbers):
    # its tenants and staff (chalicelib/domain/public.py says which fields).
    "property.read_public": frozenset(ROLES),
    # A tenant's own tenant record (allow-listed fields, chalicelib/domain/public.py).
    "tenant.read_own": frozenset({"tenant"}),
    # The places a tenant's new case may name: their own units and the public areas (domain/places.py).
    "places.read_own": frozenset({"tenant"}),
    "policy.write": frozenset({"admin"}),
    "reply.approve": APPROVER_ROLES,
    "reply.draft": STAFF_ROLES,
    "reply.read": STAFF_ROLES,
    "reply.post": _FRONT_AND_UP,
    "mail.quarantine": _FRONT_AND_UP,
    # Mail to an address no property owns: only admins, who may know whose it is.
    "mail.unrouted": frozenset({"admin"}),
    "report.read": STAFF_ROLES,
    # Who gets which report when (per-property report schedules, issue 17): management.
    "report.schedule": frozenset({"manager", "director", "admin"}),
    # A handover is signed by both sides, each by its own people: customer
    # service and the security control room. The route takes either side.
    "handover.sign": _FRONT_AND_UP | {"security"},
    "handover.sign.customer_service": _FRONT_AND_UP,
    "handover.sign.control_room": frozenset({"security"}),
    # The shift's work diary (seed 000 篇3 1.3): whoever is on duty at the desk or in the control room.
    "handover.diary": _FRONT_AND_UP | {"security"},
    # The shift lead (領班) reviews and signs each day's handovers (篇3 2.3, 4.2); managers and up may too.
    "handover.review": frozenset({"shift_lead", "manager", "director", "admin"}),
    # Photos: a tenant for their own case or a draft, staff for a case of their
    # property (or a case they are about to log). Each completes only their own.
    "upload.create": frozenset(ROLES),
    "upload.complete": frozenset(ROLES),
    # Onboarding (chalicelib/services/onboarding.py): the front desk invites a tenant to
    # sign in (a Cognito account scoped by the system) and deactivates them when they move out.
    "tenant.invite": _FRONT_AND_UP,
    "tenant.deactivate": _FRONT_AND_UP,
    # The key register (seed 000 篇2). The front office and the security control
    # room, which keeps the cabinet out of hours, read it; tenants never do, nor
    # department staff (they borrow keys, the desk issues them).
    "key.read": _FRONT_AND_UP | {"security"},
    # Keys added, corrected, retired: the lead who keeps the cabinet and management.
    "key.manage": frozenset({"shift_lead", "manager", "director", "admin"}),
    # Issued and received by whoever keeps the cabinet: in working time only the
    # shift lead or above (domain/keys.py may_issue), out of hours the desk or
    # the control room on duty.
    "key.issue": _FRONT_AND_UP | {"security"},
    "key.return": _FRONT_AND_UP | {"security"},
    # A damaged or lost key is reported at once by whoever finds it (4.0, 5.0).
    "key.report": STAFF_ROLES,
    # New keys after a lock change, or for a damaged one: the manager's decision,
    # never an in-house copy (5.0 決不許自行配制鑰匙).
    "key.replace": APPROVER_ROLES,
    # The tenant on their own case, or the front desk on their behalf.
    "case.entry_permission": frozenset({"tenant"}) | _FRONT_AND_UP,
    # The owner archive (seed 001 文档管理, "严格坚持保密性"; chalicelib/domain/archive.py):
    # every staff member reads the service view (unit, names, masked phones,
    # language) and looks callers up by phone; full records (phones, email,
    # family, renovations) only managers and up, each read on the access log,
    # which managers and admins read. Managers and up keep the archive.
    "archive.read": STAFF_ROLES,
    "archive.read_full": APPROVER_ROLES,
    "archive.write": APPROVER_ROLES,
    "archive.access_log": frozenset({"manager", "admin"}),
    # The public web form's QR codes (the complaint box, printed for a property or one
    # of its areas): the front desk and up print them. Visitors need no permission.
    "property.qr": _FRONT_AND_UP,
    # Match a case's free-text unit to an archive location.
    "case.locate": _FRONT_AND_UP,
    # Being told (chalicelib/domain/notify.py): a tenant's own feed, devices and
    # preferences. Staff have no feed: they are told through the queue's unread marker.
    "notify.read": frozenset({"tenant"}),
    "notify.settings": frozenset({"tenant"}),
    # The case library (chalicelib/domain/library.py), kept per property: every staff
    # member reads it (training, suggestions); the staff who handle cases write and
    # propose entries and record which one helped; managers and up approve, never
    # their own entry. Tenants never read it.
    "library.read": STAFF_ROLES,
    "library.write": STAFF_ROLES - {"security"},
    "library.approve": APPROVER_ROLES,
    # Duplicates and repeats (chalicelib/domain/dedupe.py): the front desk and up link a
    # case to an owner, merge the same reporter's duplicate, dismiss a suggestion.
    "case.link_duplicate": _FRONT_AND_UP,
    "case.merge_duplicate": _FRONT_AND_UP,
    "case.dismiss_duplicate": _FRONT_AND_UP,
}


def authorize(principal: Principal, action: str, property_id: str | None = None) -> None:
    """Allow, or raise.

    * role may not do ``action`` -> ``Forbidden(code="forbidden")``
    * ``property_id`` given and the principal is not scoped to it ->
      ``NotFound(code="not_found")``: we never reveal that another property's
      resource exists.
    * unknown ``action`` -> ``KeyError`` (a programming error, not a caller's).
    """
    allowed = PERMISSIONS[action]
    if principal.role not in allowed:
        raise Forbidden(f"role {principal.role!r} may not perform {action!r}", code="forbidden")
    if property_id is not None and not principal.in_property(property_id):
        raise NotFound("not found", code="not_found")


def permissions_of(principal: Principal) -> list[str]:
    """The permission names ``principal``'s role holds, sorted: what a client
    shows (the console's navigation), never what decides (:func:`authorize` does)."""
    return sorted(action for action, roles in PERMISSIONS.items() if principal.role in roles)


# Staff below manager act only on their own department's cases or on cases
# assigned to them; reading stays property-wide (see "case.read"). Managers and
# up, and the front desk that routes cases, act on any case of their property.
# The control room's staff (security) rank below the front desk too: they act on
# the security department's cases (their own, without a department claim).
DEPARTMENT_SCOPED_ROLES: frozenset[str] = frozenset({"dept_staff", "security"})
_ROLE_DEPARTMENT = {"security": "security"}


def authorize_on_case(principal: Principal, *, department: str | None, assignee: str | None) -> None:
    """Allow ``principal`` to act on a case routed to ``department`` and assigned
    to ``assignee``, or raise ``Forbidden(code="outside_department")``.

    Called after :func:`authorize` (role and property) for every change to a case.
    """
    if principal.role not in DEPARTMENT_SCOPED_ROLES:
        return
    if assignee and assignee == principal.subject:
        return
    if department and department == (principal.department or _ROLE_DEPARTMENT.get(principal.role)):
        return
    raise Forbidden("this case belongs to another department and is not assigned to you",
                    code="outside_department", details={"department": department})
