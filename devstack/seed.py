"""Demo data for the local stack: two properties, the people whose tokens the
stack prints, and a realistic spread of cases.

Every case is created and moved through ``CaseService`` (the same code the API
runs), so it carries a real audit trail and deadlines computed by the real
policy. A fake clock set to "N hours ago" makes the history look lived in.

Category shares follow the operator's survey of commercial properties: air
conditioning 28.6%, security 22.3%, cleaning 18.9%, the rest 30.2%; over 14
cases that is 4 / 3 / 3 / 4.
"""
from __future__ import annotations

import copy
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from chalicelib import schemas
from chalicelib.adapters.archive_store import DynamoArchiveStore
from chalicelib.adapters.dynamodb import DynamoStore
from chalicelib.domain.auth import Principal
from chalicelib.services.archive_service import ArchiveService
from chalicelib.services.case_service import CaseService
from devstack.seed_archive import seed_archive

SEED_MARKER = ("PROPERTY#P1", "SETTINGS")  # present once seeded: seeding never runs twice


@dataclass(frozen=True)
class Person:
    subject: str
    role: str
    properties: tuple[str, ...]
    name: str
    lang: str = "zh-Hans"
    department: str | None = None  # dept_staff act only on their department's cases and those assigned to them

    def principal(self) -> Principal:
        return Principal(self.subject, self.role, frozenset(self.properties), name=self.name, lang=self.lang,
                         department=self.department)


# People whose tokens the stack prints, by the shell variable the README uses.
# Staff subjects are "<role>-1", the default of ``python -m chalicelib.cli token``,
# so a token minted there is the same person the seeded cases name.
PEOPLE: dict[str, Person] = {
    "TENANT": Person("tenant-1", "tenant", ("P1",), "李女士"),
    "TENANT2": Person("tenant-2", "tenant", ("P2",), "陳先生", "zh-Hant"),
    "DESK": Person("front_desk-1", "front_desk", ("P1",), "前台小王"),
    "LEAD": Person("shift_lead-1", "shift_lead", ("P1",), "领班陈姐"),
    "STAFF": Person("dept_staff-1", "dept_staff", ("P1",), "工程部张师傅", department="engineering"),
    "MANAGER": Person("manager-1", "manager", ("P1",), "王经理"),
    "DIRECTOR": Person("director-1", "director", ("P1",), "赵总监"),
    "SECURITY": Person("security-1", "security", ("P1",), "监控室值班员老陈"),
    "ADMIN": Person("admin-1", "admin", ("P1", "P2"), "系统管理员"),
}

# People who appear only in the seeded cases.
_CAST: dict[str, Person] = {
    **PEOPLE,
    "carter": Person("tenant-3", "tenant", ("P1",), "James Carter", "en"),
    "zhou": Person("tenant-4", "tenant", ("P1",), "周先生"),
    "wong": Person("tenant-5", "tenant", ("P2",), "黃小姐", "zh-Hant"),
    "guard_p1": Person("dept_staff-2", "dept_staff", ("P1",), "保安部刘队长", department="security"),
    "clean_p1": Person("dept_staff-3", "dept_staff", ("P1",), "保洁主管孙阿姨", department="cleaning"),
    "desk_p2": Person("front_desk-p2", "front_desk", ("P2",), "客務中心何小姐", "zh-Hant"),
    "eng_p2": Person("dept_staff-p2", "dept_staff", ("P2",), "工程部陳師傅", "zh-Hant", "engineering"),
    "guard_p2": Person("dept_staff-p3", "dept_staff", ("P2",), "保安部李主任", "zh-Hant", "security"),
    "clean_p2": Person("dept_staff-p4", "dept_staff", ("P2",), "清潔主管黃姑娘", "zh-Hant", "cleaning"),
    "mgr_p2": Person("manager-p2", "manager", ("P2",), "營運部張經理", "zh-Hant"),
}

PROPERTIES: dict[str, dict[str, Any]] = {
    "P1": {"name": "滨江花园 Riverside Garden", "email": "service@riverside.example",
           "contacts": {"front_desk": "desk@riverside.example", "manager": "manager@riverside.example",
                        "director": "director@riverside.example", "on_duty": "control-room@riverside.example",
                        "shift_lead": "lead@riverside.example"},  # overdue keys of the register
           "departments": ["engineering", "security", "cleaning", "customer_service", "landscaping"],
           "phones": {"front_desk": "+86 21 5555 0100", "on_duty": "+86 21 5555 0199"},
           "policy": {"timezone": "Asia/Shanghai"}},
    # A shopping mall: open every day, service desk staffed 10:00-22:00.
    "P2": {"name": "港灣廣場 Harbour Plaza", "email": "service@harbour.example",
           "contacts": {"front_desk": "desk@harbour.example", "manager": "manager@harbour.example",
                        "director": "director@harbour.example", "on_duty": "control-room@harbour.example"},
           "departments": ["engineering", "security", "cleaning", "customer_service", "leasing"],
           "phones": {"front_desk": "+852 2555 0100", "on_duty": "+852 2555 0199"},
           "policy": {"timezone": "Asia/Hong_Kong", "weekend": [], "work_start": "10:00", "work_end": "22:00",
                      # The mall hands over at its own times (seed 000 篇3), not the residential 08:00/18:00.
                      "handover_times": ["10:00", "22:00"]},
           "handover_checklist": [{"id": "desk", "text": "工作臺整潔"}, {"id": "equipment", "text": "設備運行正常"},
                                  {"id": "key_cabinet", "text": "鑰匙櫃核對"}, {"id": "radio", "text": "對講機已充電"},
                                  {"id": "diary_read", "text": "交接本已閱"}]},
}


# Tenants whose mail is matched to them (the samples under tests/mail/samples/ write from these).
# Registering also makes them the property's tenants: a case logged for one names a registered tenant.
TENANT_EMAILS: list[tuple[str, str, dict[str, Any]]] = [
    ("tenant-1", "P1", {"name": "李女士", "email": "li.nvshi@example.cn", "unit": "3栋1201", "lang": "zh-Hans"}),
    ("tenant-3", "P1", {"name": "James Carter", "email": "james.carter@example.com", "unit": "7-2301", "lang": "en"}),
    ("tenant-4", "P1", {"name": "周先生", "email": "zhou.xiansheng@example.cn", "unit": "2栋", "lang": "zh-Hans"}),
    ("tenant-5", "P2", {"name": "黃小姐", "email": "wong.shop@example.com.hk", "unit": "L2-15", "lang": "zh-Hant"}),
]


@dataclass(frozen=True)
class Step:
    after: timedelta  # since the case arrived
    who: str
    action: str
    params: dict[str, Any]


@dataclass(frozen=True)
class SeedCase:
    property_id: str
    age: timedelta  # how long ago it arrived
    who: str  # a tenant submits; staff log a phone, walk-in or letter case
    body: dict[str, Any]
    steps: tuple[Step, ...] = field(default=())


def _at(minutes: float, who: str, action: str, **params: Any) -> Step:
    return Step(timedelta(minutes=minutes), who, action, params)


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


_ENGINEERING = {"kind": "complaint", "validity": "valid", "cause": "equipment_facility", "department": "engineering"}

CASES: tuple[SeedCase, ...] = (
    # --- air conditioning (5) ---------------------------------------------------------
    SeedCase("P1", _hours(50), "TENANT", {
        "unit": "3栋1201", "title": "客厅空调不制冷", "category": "air_conditioning", "contact": "13800138000",
        "location": {"unit_id": "3-1201", "room_id": "living"},
        "content": "客厅空调不制冷，开了两个小时室内还是30度，家里有老人，麻烦尽快派人来看看。"}, (
        _at(6, "DESK", "classify", **_ENGINEERING),
        _at(8, "DESK", "assign", assignee="dept_staff-1", note="请今天下午上门"),
        _at(35, "STAFF", "start"),
        _at(40, "STAFF", "respond", message="您好，工程部张师傅今天下午2点上门检查空调。", via="app"),
        _at(300, "STAFF", "resolve", resolution="更换室外机启动电容，制冷恢复正常，室温已降到26度。"),
        _at(360, "DESK", "callback", reached=True, satisfied=True, comment="李女士确认空调正常，表示满意。"),
        _at(370, "TENANT", "rate", score=5, comment="师傅很专业，谢谢！"),
        _at(380, "DESK", "close", summary="已回访，业主满意。"),
    )),
    SeedCase("P1", _hours(20), "carter", {
        "unit": "Tower 5, 802", "title": "Bedroom AC leaking", "category": "air_conditioning", "channel": "web",
        "lang": "en", "content": "The air conditioner in the master bedroom drips water onto the floor every "
                                 "night. We put a bucket under it but it overflows by morning."}, (
        _at(12, "DESK", "classify", **_ENGINEERING),
        _at(15, "DESK", "assign", assignee="dept_staff-1"),
        _at(120, "STAFF", "start"),
        _at(125, "STAFF", "note", note="排水管堵塞，需要订购配件，预计明天到货。"),
    )),
    SeedCase("P1", _hours(1.5), "DESK", {
        "channel": "phone", "unit": "2栋地下车库入口", "title": "公共走廊空调滴水", "category": "air_conditioning",
        "location": {"area_id": "carpark-b2"},
        "content": "2栋地下车库旁边的公共走廊空调一直滴水，地面很滑，刚才有位老人差点摔倒。",
        "reporter": {"name": "周先生", "phone": "139 1234 5678", "tenant_id": "tenant-4"}, **_ENGINEERING}, (
        _at(7, "DESK", "assign", assignee="dept_staff-1", note="先放警示牌，再查漏水点"),
    )),
    # The same leak again, from another tenant in the app: the console suggests it as a
    # possible duplicate of the desk's case above (chalicelib/domain/duplicates.py).
    SeedCase("P1", _hours(0.7), "TENANT", {
        "unit": "2栋地下车库入口", "title": "车库旁走廊空调漏水", "category": "air_conditioning",
        "location": {"area_id": "carpark-b2"},
        "content": "2栋地下车库旁边走廊的空调一直在滴水，地面很滑，请尽快处理。"}, ()),
    SeedCase("P2", _hours(2), "TENANT2", {
        "unit": "3樓 L3-18 舖", "title": "店舖門口冷氣不夠凍", "category": "air_conditioning", "lang": "zh-Hant",
        "location": {"unit_id": "L3-18"},
        "content": "商場三樓我們店舖門口的冷氣完全不夠凍，下午客人都嫌熱走了，嚴重影響生意，請即處理。"}, (
        _at(5, "desk_p2", "classify", kind="complaint", validity="valid", cause="business_affected",
            department="engineering"),
        _at(8, "desk_p2", "assign", assignee="dept_staff-p2"),
        _at(25, "eng_p2", "respond", message="陳先生您好，工程部同事已到場檢查L3區冷氣風櫃，預計一小時內恢復。",
            via="in_person"),
    )),
    # --- security (3) -----------------------------------------------------------------
    SeedCase("P1", _hours(10), "TENANT", {
        "unit": "3栋1201", "title": "陌生人尾随进入单元门", "category": "security",
        "content": "昨晚11点左右有陌生人尾随我进入3栋单元门，一直跟到电梯口，门禁形同虚设。请调取监控并加强夜间巡逻！"}, (
        # A major complaint goes straight to the department manager's tier.
        _at(5, "DESK", "classify", kind="complaint", validity="valid", severity="major", cause="other",
            department="security"),
        _at(9, "DESK", "assign", assignee="dept_staff-2"),
        _at(30, "MANAGER", "note", note="已查看监控，由我亲自跟进；暂不需上报总监。"),
        _at(60, "guard_p1", "respond", message="李女士您好，已调取监控并报警备案，今晚起3栋增加夜间巡逻，单元门禁已检修。",
            via="phone"),
    )),
    SeedCase("P1", _hours(6), "zhou", {
        "unit": "2栋702", "title": "访客车辆登记", "category": "security",
        "content": "请问朋友周末开车来看我，访客车辆进小区需要提前登记吗？怎么登记？"}, (
        _at(3, "DESK", "classify", kind="consultation"),
        _at(5, "DESK", "answer", message="周先生您好，访客车辆可在APP“访客通行”中提前登记车牌，到门岗出示即可，免费停放2小时。",
            via="app"),
    )),
    SeedCase("P2", _hours(5), "wong", {
        "unit": "地下 G-05 舖", "title": "後樓梯有人吸煙", "category": "security", "channel": "web", "lang": "zh-Hant",
        "content": "商場後樓梯晚上無人看守，經常有人在那裡吸煙，煙味飄進我們店舖，也有消防隱患。"}, (
        _at(10, "desk_p2", "classify", kind="complaint", validity="valid", cause="other", department="security"),
        _at(12, "desk_p2", "assign", assignee="dept_staff-p3"),
        _at(40, "guard_p2", "start"),
    )),
    # --- cleaning (3) -----------------------------------------------------------------
    # Nobody has picked this one up: its 10-minute hand-off is long overdue.
    SeedCase("P1", _hours(3), "zhou", {
        "unit": "5栋1楼电梯厅", "title": "电梯厅三天没打扫", "category": "cleaning", "channel": "web",
        "content": "5栋1楼电梯厅连续三天没有拖地，垃圾桶满了也没人清理，味道很大。"}),
    SeedCase("P1", _hours(30), "DESK", {
        "channel": "letter", "unit": "北门垃圾分类站", "title": "关于垃圾清运不及时的书面投诉", "category": "cleaning",
        "content": "物业服务中心：近两周小区北门垃圾分类站清运不及时，厨余垃圾多次过夜堆放，蚊蝇滋生，业主意见很大。"
                   "请书面答复整改措施和时间。此致 业主委员会",
        "reporter": {"name": "业主委员会 刘主任"},
        "kind": "complaint", "validity": "valid", "cause": "other", "department": "cleaning"}, (
        _at(20, "DESK", "assign", assignee="dept_staff-3"),
        _at(90, "MANAGER", "note", note="书面答复须经我审批后发出。"),
    )),
    SeedCase("P2", _hours(60), "TENANT2", {
        "unit": "3樓 L3-18 舖", "title": "洗手間缺廁紙", "category": "cleaning", "lang": "zh-Hant",
        "content": "三樓洗手間已經兩日沒有廁紙和洗手液，客人投訴了好幾次。"}, (
        _at(6, "desk_p2", "classify", kind="complaint", validity="valid", cause="other", department="cleaning"),
        _at(9, "desk_p2", "assign", assignee="dept_staff-p4"),
        _at(30, "clean_p2", "start"),
        _at(40, "clean_p2", "resolve", resolution="已補充三樓洗手間廁紙及洗手液，巡查改為每兩小時一次。"),
        _at(120, "desk_p2", "callback", reached=True, satisfied=True, comment="陳先生確認已補充。"),
        _at(150, "TENANT2", "rate", score=4, comment="處理得快，希望不要再發生。"),
        _at(180, "desk_p2", "close"),
    )),
    # --- the rest (4) -----------------------------------------------------------------
    SeedCase("P1", timedelta(minutes=4), "TENANT", {
        "unit": "3栋1201", "title": "楼上装修噪音", "category": "noise_renovation",
        "content": "楼上1301装修每天早上7点就开始用电钻，严重影响休息，按规定不是8点以后才能施工吗？"}),
    SeedCase("P1", _hours(28), "DESK", {
        "channel": "phone", "unit": "地下车库B2-118车位", "title": "车位被长期占用", "category": "parking",
        "content": "我的B2-118车位这周有三天被一辆白色SUV占用，打电话给保安也没人处理。",
        "reporter": {"name": "陈先生", "phone": "137 0000 1234"},
        "kind": "complaint", "validity": "valid", "cause": "other", "department": "security"}, (
        _at(6, "DESK", "assign", assignee="dept_staff-2"),
        _at(30, "guard_p1", "start"),
        _at(60, "guard_p1", "respond", message="已联系车主挪车，并在车位张贴提醒。", via="phone"),
        _at(180, "guard_p1", "resolve", resolution="车主已承诺不再占用，保安每晚巡查B2区。"),
        _at(240, "DESK", "callback", reached=True, satisfied=False, comment="业主基本认可，但希望安装车位锁。"),
    )),
    SeedCase("P1", _hours(26), "DESK", {
        "channel": "walk_in", "unit": "Tower 5 lobby", "title": "Lift B out of service", "category": "public_facility",
        "lang": "en", "content": "Lift B in Tower 5 has been out of service since Monday morning. My neighbour on the "
                                 "18th floor uses a wheelchair and cannot leave her flat.",
        "reporter": {"name": "Anna Schmidt", "phone": "+86 138 0000 5555"}, **_ENGINEERING}, (
        _at(5, "DESK", "assign", assignee="dept_staff-1"),
        _at(20, "STAFF", "start"),
        _at(45, "STAFF", "respond", message="Ms Schmidt, the lift contractor arrives this afternoon; we will "
                                            "update you by 6 pm.", via="phone"),
        _at(1320, "STAFF", "resolve", resolution="Door motor replaced; Lift B passed its safety check and is back "
                                                 "in service."),
    )),
    SeedCase("P1", _hours(5), "TENANT", {
        "unit": "3栋1201", "title": "卫生间天花板渗水", "category": "in_unit_repair",
        "content": "卫生间天花板渗水，墙角发霉，怀疑是楼上1301的管道问题。"}, (
        _at(5, "DESK", "classify", **_ENGINEERING),
        _at(7, "DESK", "assign", assignee="dept_staff-1"),
        _at(30, "STAFF", "start"),
        _at(50, "STAFF", "respond", message="您好，需要先到您家查看天花板，再联系楼上1301检查管道。", via="app"),
        # Waiting on the tenant: the windows pause until she answers (issue 13).
        _at(55, "STAFF", "await_tenant", reason="access", message="请问明天上午几点方便我们上门查看？"),
    )),
    SeedCase("P2", _hours(8), "wong", {
        "unit": "地下 G-05 舖", "title": "推廣費收費不合理", "category": "billing", "channel": "web", "lang": "zh-Hant",
        "content": "本月賬單多了一項商場推廣費，我們沒有同意參加這次推廣活動，為什麼要收費？"}, (
        # Outside the service promise: the front desk proposes "invalid", the manager
        # confirms it, and it is explained to the tenant and closed.
        _at(15, "desk_p2", "classify", kind="complaint", validity="invalid", cause="other",
            department="customer_service"),
        _at(40, "mgr_p2", "confirm_invalid", reason="租約第12條：推廣費由全體商戶分攤，不屬服務承諾範圍。"),
        _at(60, "desk_p2", "explain", message="黃小姐您好，根據租約第12條，推廣費由全體商戶按面積分攤，"
                                              "已附上租約條款及活動明細供參考。", via="email"),
    )),
)


class _SeedClock:
    """The service's clock while seeding: set to each step's moment in the past."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _valid(schema: str, body: dict[str, Any]) -> dict[str, Any]:
    """Seed bodies pass the API's own request schemas (on a copy: validation fills in defaults)."""
    return schemas.validate(schema, copy.deepcopy(body))


def is_seeded(store: DynamoStore) -> bool:
    return bool(store.get_meta([SEED_MARKER]))


def seed(store: DynamoStore, now: datetime, *, fast: bool = False) -> Counter | None:
    """Write the demo properties and cases as of ``now``; returns the number of
    cases per status, or ``None`` when the data is already there."""
    if is_seeded(store):
        return None
    # Seeding is not traffic: its metric records would only bury the banner.
    with mock.patch.dict(os.environ, {"POWERTOOLS_METRICS_DISABLED": "true"}):
        return _seed(store, now, fast)


def _seed(store: DynamoStore, now: datetime, fast: bool = False) -> Counter:
    clock = _SeedClock(now)
    archive_store = DynamoArchiveStore(store.m)
    service = CaseService(store, clock, locations=archive_store)
    admin = PEOPLE["ADMIN"].principal()
    for property_id, settings in PROPERTIES.items():
        if fast and property_id == "P1":
            from devstack.engine import fast_policy
            settings = {**settings, "policy": fast_policy()}
        service.put_property(admin, property_id, _valid("PutProperty", settings))
    for tenant_id, property_id, record in TENANT_EMAILS:
        service.put_tenant(admin, property_id, tenant_id, _valid("PutTenant", record))
    # The owner archive (devstack/seed_archive.py) before the cases: some are located in it.
    clock.now = now - timedelta(days=30)
    seed_archive(ArchiveService(archive_store, service, clock), admin)

    statuses: Counter = Counter()
    # Oldest first, so case numbers rise with arrival time as they do in real life.
    for spec in sorted(CASES, key=lambda c: c.age, reverse=True):
        arrived = now - spec.age
        clock.now = arrived
        author = _CAST[spec.who]
        if author.role == "tenant":
            case, _ = service.submit(author.principal(), spec.property_id,
                               _valid("SubmitCase", spec.body), None)
        else:
            case, _ = service.log(author.principal(), spec.property_id, _valid("LogCase", spec.body), None)
        for step in spec.steps:
            clock.now = arrived + step.after
            if clock.now > now:
                raise ValueError(f"seed step {step.action} of {spec.body['title']!r} lies in the future")
            case = service.act(_CAST[step.who].principal(), spec.property_id, case.case_id, step.action,
                            _valid(step.action.title().replace("_", ""), step.params))  # ConfirmInvalid
        statuses[case.status] += 1
    clock.now = now
    seed_logbook(store, service, clock, now)
    for case in seed_keys(service, clock, now):
        statuses[case.status] += 1
    # The case library: three approved entries of P1 (devstack/seed_library.py).
    from chalicelib.adapters.library_store import DynamoLibraryStore
    from chalicelib.services.library_service import LibraryService
    from devstack.seed_library import seed_library
    seed_library(LibraryService(service, DynamoLibraryStore(store.m), clock), clock, now, PEOPLE["DESK"].principal(),
                 PEOPLE["MANAGER"].principal())
    clock.now = now
    return statuses


# The shift-handover logbook (seed 000 篇3): diary entries of the running shift, and in P1 an
# accepted and reviewed handover three shifts back and a refused one two shifts back (shown in
# red). The last handover is left for the hourly job and the people on duty.
DIARY: dict[str, list[tuple[str, str, bool, float]]] = {  # who, text, urgent, hours before now
    "P1": [("DESK", "5栋2号电梯异响，已通知工程部张师傅检查", False, 1.5),
           ("SECURITY", "B2车库排水沟积水，已设警示牌，请早班跟进", True, 0.5)],
    "P2": [("desk_p2", "L2-15 商戶反映冷氣不凍，已轉工程部", False, 1.0)],
}


def seed_logbook(store: DynamoStore, service: CaseService, clock: _SeedClock, now: datetime) -> None:
    from chalicelib.adapters.logbook_store import DynamoLogbookStore
    from chalicelib.domain import handover
    from chalicelib.services.logbook_service import LogbookService
    from chalicelib.services.report_service import ReportService
    books = LogbookService(ReportService(service, store, clock=clock), DynamoLogbookStore(store.m), clock=clock)
    for property_id, entries in DIARY.items():
        start = handover.shift_window(now, service.property(property_id).policy)[1]
        for who, text, urgent, hours in entries:
            clock.now = max(now - timedelta(hours=hours), start + timedelta(minutes=1))
            books.add_entry(_CAST[who].principal(), property_id, {"text": text, "urgent": urgent})
    policy = service.property("P1").policy
    last = handover.shift_window(now, policy)[1]
    earlier = [i for i in handover.handovers_between(last - timedelta(days=3), last, policy) if i < last][-2:]
    for end, refused in zip(earlier, (False, True), strict=True):
        _seed_handover(books, service, clock, end, refused)
    clock.now = now


def _seed_handover(books: Any, service: CaseService, clock: _SeedClock, end: datetime, refused: bool) -> None:
    from chalicelib.domain import logbook
    policy = service.property("P1").policy
    outgoing, incoming = logbook.sides_at(end, policy)
    person = {"control_room": _CAST["SECURITY"], "customer_service": _CAST["DESK"]}
    out, inc = person[outgoing].principal(), person[incoming].principal()
    clock.now = end - timedelta(hours=2)
    books.add_entry(out, "P1", {"text": "3栋1201业主反映空调不制冷，已派单工程部" if not refused
                                else "钥匙柜3栋备用钥匙借出未归还", "urgent": refused})
    clock.now = end - timedelta(minutes=20)
    marks = [{"id": i["id"], "mark": "ok"} for i in books.checklist(service.property("P1"))]
    if refused:
        marks[2] = {"id": marks[2]["id"], "mark": "not_ok", "note": "3栋1201备用钥匙不在柜内"}
    books.mark_checklist(out, "P1", end, marks)
    clock.now = end + timedelta(minutes=5)
    books.reports.produce_handover("P1", end, now=clock.now)
    books.sign(out, "P1", end, outgoing, "交班")
    clock.now = end + timedelta(minutes=12)
    if refused:
        books.refuse(inc, "P1", end, "钥匙柜少了3栋1201的备用钥匙，交班人未说明去向")
        return
    books.sign(inc, "P1", end, incoming, "已接班")
    clock.now = end + timedelta(hours=1)
    books.review(_CAST["LEAD"].principal(), "P1", end, "已审阅，交接完整")


# The key registers (seed 000 篇2): (property, who adds, key id, unit, slot, copies).
KEYS: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("P1", "LEAD", "K001", "3栋1201 李女士家", "A-01", 1),
    ("P1", "LEAD", "K002", "3栋1202", "A-02", 2),
    ("P1", "LEAD", "K003", "5栋0302", "A-03", 1),
    ("P1", "LEAD", "K004", "地下一层水泵房", "B-01", 2),
    ("P1", "LEAD", "K005", "7栋2301", "A-05", 1),
    ("P1", "LEAD", "K006", "会所活动室", "B-02", 1),
    ("P2", "mgr_p2", "K001", "L2-15 商鋪", "1-01", 1),
    ("P2", "mgr_p2", "K002", "天台機房", "1-02", 2),
    ("P2", "mgr_p2", "K003", "L1 貨物升降機房", "1-03", 1),
)


def seed_keys(service: CaseService, clock: _SeedClock, now: datetime) -> list[Any]:
    """Both properties' key registers: two keys out in P1 (one overdue), one damaged,
    one lost with its lock-change case (returned: the cases it made)."""
    from chalicelib.adapters.key_store import DynamoKeyStore
    from chalicelib.services.key_service import KeyService
    store = service.store
    assert isinstance(store, DynamoStore)
    keys = KeyService(service, DynamoKeyStore(store.m), clock)
    clock.now = now - _hours(30)
    for property_id, who, key_id, unit, slot, copies in KEYS:
        keys.add_key(_CAST[who].principal(), property_id,
                     _valid("AddKey", {"key_id": key_id, "unit": unit, "slot": slot, "copies": copies}))
    lead, desk = PEOPLE["LEAD"].principal(), PEOPLE["DESK"].principal()
    clock.now = now - _hours(5)
    keys.lend(lead, "P1", "K003", _valid("LendKey", {
        "borrower": {"name": "美家装修 黄师傅", "kind": "contractor", "phone": "137 1234 5678"},
        "purpose": "repair", "due": (now - _hours(1)).isoformat(), "note": "卫生间防水维修"}))
    clock.now = now - _hours(1)
    keys.lend(lead, "P1", "K002", _valid("LendKey", {
        "borrower": {"name": "工程部张师傅", "kind": "staff", "phone": "139 0000 0001"},
        "purpose": "repair", "due": (now + _hours(3)).isoformat(), "note": "更换厨房角阀"}))
    clock.now = now - _hours(26)
    keys.report_damaged(desk, "P1", "K004", _valid("KeyReason", {"reason": "钥匙齿磨损，开锁时卡住"}))
    clock.now = now - _hours(20)
    _key, case = keys.report_lost(PEOPLE["STAFF"].principal(), "P1", "K005",
                                  _valid("KeyReason", {"reason": "检修后在地下车库遗失，已找寻未果"}))
    clock.now = now
    return [case]
