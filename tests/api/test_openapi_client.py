"""A mobile developer's first step: generate a client from /v1/openapi.json
(openapi-python-client, as an app team would) and use its models on what the
API really answers. Documented fields must come out typed (enums, datetimes,
nested models), and a real case, timeline page, public information and error
must parse with no field left over in ``additional_properties`` (a field the
document forgot)."""
from __future__ import annotations

import enum
import importlib
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from chalicelib.http.openapi import document
from tests.api.helpers import call, case_url
from tests.conftest import make_token

TENANT = make_token("tenant", subject="tenant-1", name="李女士")
DESK = make_token("front_desk", subject="front_desk-1", name="前台小王")
PACKAGE = "tenantdesk_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated package, imported (about 4 s: the generator renders ~150 modules)."""
    tool = Path(sys.executable).with_name("openapi-python-client")
    assert tool.exists(), "pip install openapi-python-client (requirements-dev.txt)"
    root = tmp_path_factory.mktemp("client")
    (root / "openapi.json").write_text(json.dumps(document()), encoding="utf-8")
    (root / "config.yaml").write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n", encoding="utf-8")
    done = subprocess.run([str(tool), "generate", "--path", "openapi.json", "--config", "config.yaml",
                           "--output-path", "out", "--meta", "none"], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    shutil.move(str(root / "out"), str(root / PACKAGE))
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(f"{PACKAGE}.models")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _fields(model) -> dict[str, str]:
    return {a.name: str(a.type) for a in model.__attrs_attrs__}


def test_the_case_model_has_a_typed_attribute_for_every_documented_field(generated):
    documented = set(document()["components"]["schemas"]["Case"]["properties"])
    fields = _fields(generated.Case)
    assert documented <= set(fields)
    for name, kind in {"status": "Status", "channel": "Channel", "lang": "Lang", "kind": "Kind",
                       "category": "Category", "tier": "Tier", "created_at": "datetime", "next_due": "datetime",
                       "version": "int", "overdue": "bool", "timeline": "TimelineItem", "actions": "CaseAction",
                       "rating": "CaseRating", "deadlines": "CaseDeadlines", "promise": "CasePromise"}.items():
        assert kind in fields[name], (name, fields[name])
    for name, kind in fields.items():
        if name != "additional_properties":
            assert not kind.startswith(("Any", "dict[str, Any]")), (name, kind)
    assert issubclass(generated.Status, enum.Enum) and {s.value for s in generated.Status} >= {"received", "closed"}
    # operation ids that read well became the client's function names
    api = importlib.import_module(f"{PACKAGE}.api")
    modules = {p.stem for p in Path(api.__file__).parent.rglob("*.py")}
    assert {"submit_case", "list_my_cases", "get_case", "list_case_timeline", "add_message", "rate_case",
            "get_property_public_info", "get_my_tenant_record"} <= modules


@pytest.mark.parametrize("token", [TENANT, DESK], ids=["tenant", "staff"])
def test_a_real_case_parses_into_the_generated_models_with_nothing_undocumented(client, generated, token):
    status, created = call(client, "POST", "/v1/properties/P1/cases", TENANT,
                           {"unit": "3栋1201", "content": "空调不制冷，室内温度30度", "category": "air_conditioning"})
    assert status == 201
    cid = created["case_id"]
    assert call(client, "POST", case_url(cid, "/messages"), TENANT, {"text": "下午在家"})[0] == 200
    status, body = call(client, "GET", case_url(cid), token)
    case = generated.Case.from_dict(body)
    assert case.additional_properties == {}, case.additional_properties
    assert isinstance(case.status, generated.Status) and case.status.value == "received"
    assert isinstance(case.created_at, datetime) and case.created_at.tzinfo is not None
    # a staff member's read of a case the tenant wrote on records an internal staff_read after the message
    assert isinstance(case.timeline[0], generated.TimelineItem)
    assert [i.action for i in case.timeline if i.action != "staff_read"][-1] == "message"
    assert case.content == "空调不制冷，室内温度30度"  # Chinese round-trips
    assert all(item.additional_properties == {} for item in case.timeline)
    assert case.deadlines.additional_properties["handoff"].due
    page = generated.CasePage.from_dict(call(client, "GET", "/v1/me/cases", TENANT)[1])
    assert page.items[0].additional_properties == {} and page.items[0].case_id == cid
    timeline = generated.TimelinePage.from_dict(call(client, "GET", case_url(cid, "/timeline"), token)[1])
    assert timeline.additional_properties == {} and [i.seq for i in timeline.items][:1] == [1]


def test_public_information_and_errors_parse_into_the_generated_models(client, generated):
    info = generated.PropertyPublic.from_dict(call(client, "GET", "/v1/properties/P1/public", TENANT)[1])
    assert info.additional_properties == {} and info.categories[0].labels.zh_hans
    status, body = call(client, "GET", case_url("TD-20261123-9999"), TENANT)
    error = generated.Error.from_dict(body)
    assert status == 404 and error.code == "case_not_found" and error.additional_properties == {}
