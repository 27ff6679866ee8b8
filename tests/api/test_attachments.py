"""Attachments are the system's stored objects, loaded only through short-lived
URLs the API hands to an authorised caller; links are refused, and old ones
are shown as text, never loaded."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.domain.cases import Actor
from tests.api.helpers import call
from tests.conftest import make_token

BUCKET = "tenantdesk-test-mail"
STORED = {"ref": f"s3://{BUCKET}/attachments/P1/3f9a0c1d2e4b5a6c/1-kitchen.jpg", "name": "厨房漏水.jpg",
          "content_type": "image/jpeg", "size": 120_000}
TENANT = make_token("tenant", subject="tenant-1")
SUBMIT = {"unit": "3栋1201", "content": "厨房天花板漏水，见照片"}


@pytest.fixture(autouse=True)
def bucket(monkeypatch):
    monkeypatch.setenv("TD_MAIL_BUCKET", BUCKET)


def case_url(cid, suffix=""):
    return f"/v1/properties/P1/cases/{cid}{suffix}"


LINKS = ["https://tracker.example/pixel.png?who=staff", "http://169.254.169.254/latest/meta-data/",
         "//intranet.local/x.jpg", f"s3://{BUCKET}/attachments/P2/aa/1-x.jpg",  # another property's
         "s3://another-bucket/attachments/P1/aa/1-x.jpg", f"s3://{BUCKET}/raw/P1/message.eml",
         f"s3://{BUCKET}/attachments/P1/../../raw/mail.eml"]


@pytest.mark.parametrize("ref", LINKS)
def test_a_tenant_cannot_submit_a_link_as_an_attachment(client, ref):
    status, answer = call(client, "POST", "/v1/properties/P1/cases", TENANT,
                          {**SUBMIT, "attachments": [{"ref": ref, "name": "photo.png"}]})
    assert status == 422 and answer["code"] == "attachment_not_stored", answer
    assert answer["details"]["field"] == "attachments[0].ref"
    assert call(client, "GET", "/v1/me/cases", TENANT)[1]["items"] == []  # nothing stored


def test_a_message_with_a_link_is_refused_and_the_case_is_unchanged(client):
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT, SUBMIT)
    assert status == 201, case
    status, answer = call(client, "POST", case_url(case["case_id"], "/messages"), TENANT,
                          {"text": "再补一张", "attachments": [{"ref": "https://tracker.example/p.gif"}]})
    assert status == 422 and answer["code"] == "attachment_not_stored", answer
    status, after = call(client, "GET", case_url(case["case_id"]), TENANT)
    assert after["version"] == case["version"] and len(after["timeline"]) == 1


def test_staff_cannot_log_a_case_with_a_link(client):
    body = {"channel": "phone", "unit": "大堂", "content": "访客来电", "reporter": {"name": "陈先生", "phone": "138"},
            "attachments": [{"ref": "https://tracker.example/p.gif"}]}
    status, answer = call(client, "POST", "/v1/properties/P1/cases", make_token("front_desk"), body)
    assert status == 422 and answer["code"] == "attachment_not_stored", answer


def test_a_stored_attachment_is_opened_through_a_short_lived_url(client):
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT, {**SUBMIT, "attachments": [STORED]})
    assert status == 201, case
    for token in (make_token("front_desk"), TENANT):
        status, got = call(client, "GET", case_url(case["case_id"], "/attachments/1"), token)
        assert status == 200, got
        url = urlsplit(got["url"])
        # on the origin the console's CSP allows, and nowhere else
        assert f"{url.scheme}://{url.netloc}" == f"https://{BUCKET}.s3.ap-southeast-1.amazonaws.com"
        assert url.path == "/attachments/P1/3f9a0c1d2e4b5a6c/1-kitchen.jpg"
        query = parse_qs(url.query)
        assert "X-Amz-Signature" in query or "Signature" in query
        assert got["expires_in"] <= 600 and got["name"] == "厨房漏水.jpg"


def test_nobody_else_gets_the_url_of_a_tenants_attachment(client):
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT, {**SUBMIT, "attachments": [STORED]})
    other_tenant = make_token("tenant", subject="tenant-2")
    other_property = make_token("front_desk", properties=("P2",), subject="front-p2")
    for token in (other_tenant, other_property):
        status, answer = call(client, "GET", case_url(case["case_id"], "/attachments/1"), token)
        assert status == 404 and "url" not in answer
    assert call(client, "GET", case_url(case["case_id"], "/attachments/1"))[0] == 401
    assert call(client, "GET", case_url(case["case_id"], "/attachments/2"), TENANT)[1]["code"] == \
        "attachment_not_found"


def test_an_old_stored_link_is_never_turned_into_a_url(client, svc):
    # Stored before links were refused (the system path does not check): shown as text only.
    case, _ = svc.create_as(Actor("tenant-1", "tenant", "李女士"), "P1",
                            {**SUBMIT, "attachments": [{"ref": "https://tracker.example/old.png"}]}, None)
    status, answer = call(client, "GET", case_url(case.case_id, "/attachments/1"), make_token("front_desk"))
    assert status == 404 and answer["code"] == "attachment_not_stored"


def test_console_loads_images_only_from_the_systems_storage(client):
    resp = client.http.get("/console")
    csp = dict(part.strip().split(" ", 1) for part in resp.headers["Content-Security-Policy"].split(";"))
    sources = csp["img-src"].split()
    assert "http:" not in sources and "https:" not in sources and "*" not in sources
    assert sources == ["'self'", "data:", f"https://{BUCKET}.s3.ap-southeast-1.amazonaws.com"]


def test_console_labels_exactly_the_fields_the_tenant_sees():
    from chalicelib.domain.views import TENANT_FACING_INPUTS
    js = (Path(__file__).resolve().parents[2] / "chalicelib" / "http" / "console" / "app.js").read_text(
        encoding="utf-8")
    mirror = re.search(r"const TENANT_FACING = \{(.*?)\};", js).group(1)
    labelled = {action: set(re.findall(r'"(\w+)"', fields))
                for action, fields in re.findall(r"(\w+): \[([^\]]*)\]", mirror)}
    assert labelled == {action: set(fields) for action, fields in TENANT_FACING_INPUTS.items()}
