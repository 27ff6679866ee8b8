"""Uploads over HTTP against moto's S3, with the presigned POST really used
(``requests`` to the URL the API hands out, intercepted by moto): start,
post, complete, attach, view with a thumbnail; and every refusal."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import requests

from tests.api.helpers import call, case_url
from tests.conftest import make_token
from tests.uploads import files

BUCKET = "tenantdesk-test-mail"
TENANT = make_token("tenant", subject="tenant-1")
TENANT2 = make_token("tenant", subject="tenant-2")
DESK = make_token("front_desk")
DESK_P2 = make_token("front_desk", properties=("P2",), subject="front-p2")
UPLOADS = "/v1/properties/P1/uploads"


@pytest.fixture(autouse=True)
def s3_over_http(aws):
    """Let ``requests`` reach moto's S3 as a browser reaches S3 (presigned POST
    and GET). The session's mock registers these routes when it starts, but the
    per-test reset (tests/conftest.py ``aws``) clears them: add them back, as
    moto's own ``_enable_patching`` does (moto internals: moto is pinned)."""
    from moto import backend_index
    from moto.core import models
    from moto.core.custom_responses_mock import CallbackResponse
    for method in models.RESPONSES_METHODS:
        for _service, pattern in backend_index.backend_url_patterns:
            models.responses_mock.add(CallbackResponse(method=method, url=pattern,
                                                       callback=models.botocore_stubber.process_request))


@pytest.fixture(autouse=True)
def bucket(monkeypatch, mailbox):
    monkeypatch.setenv("TD_MAIL_BUCKET", BUCKET)
    import boto3
    boto3.client("s3", region_name="ap-southeast-1").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})


def start(client, data, token=TENANT, content_type="image/jpeg", size=None, **extra):
    status, slot = call(client, "POST", UPLOADS, token, {"content_type": content_type, "size": size or len(data),
                                                          **extra})
    assert status == 201, slot
    return slot


def post(slot, data, content_type="image/jpeg"):
    """What the app does: a multipart form POST to S3 with the fields, the file last."""
    resp = requests.post(slot["url"], data=slot["fields"], files={"file": ("photo", data, content_type)},
                         timeout=10)
    assert resp.status_code in (200, 201, 204), resp.text
    return resp


def uploaded(client, data, token=TENANT, content_type="image/jpeg", **extra):
    slot = start(client, data, token, content_type, **extra)
    post(slot, data, content_type)
    status, done = call(client, "POST", f"{UPLOADS}/{slot['upload_id']}/complete", token, {})
    assert status == 200, done
    return done


def thumbnails(client, key):
    """Deliver S3's ObjectCreated notification (as SQS carries it) to the thumbnail handler."""
    body = json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Copy",
                                    "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}}]})
    event = client.events.generate_sqs_event(message_bodies=[body], queue_name="tenantdesk-thumbnails")
    return client.lambda_.invoke("make_thumbnails", event).payload


def test_a_tenant_uploads_a_photo_submits_it_and_views_it_with_its_thumbnail(client):
    photo = files.jpeg((2000, 1500))
    slot = start(client, photo)
    url = urlsplit(slot["url"])
    assert f"{url.scheme}://{url.netloc}" == f"https://{BUCKET}.s3.ap-southeast-1.amazonaws.com"
    assert slot["fields"]["key"] == f"uploads/P1/tenant-1/{slot['upload_id']}"
    assert slot["fields"]["Content-Type"] == "image/jpeg" and "policy" in slot["fields"]
    policy = json.loads(__import__("base64").b64decode(slot["fields"]["policy"]))
    assert ["content-length-range", 1, len(photo)] in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    post(slot, photo)
    status, done = call(client, "POST", f"{UPLOADS}/{slot['upload_id']}/complete", TENANT, {})
    assert status == 200 and done["status"] == "complete", done
    assert call(client, "POST", f"{UPLOADS}/{slot['upload_id']}/complete", TENANT, {}) == (200, done)
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT,
                        {"unit": "3栋1201", "content": "厨房天花板漏水，見照片 see photo",
                         "attachments": [{"ref": done["ref"], "name": "厨房漏水.jpg"}]})
    assert status == 201, case
    status, got = call(client, "GET", case_url(case["case_id"], "/attachments/1"), TENANT)
    assert status == 200 and got["thumbnail_url"] is None  # not made yet
    assert requests.get(got["url"], timeout=10).content == photo
    key = done["ref"].split(f"s3://{BUCKET}/", 1)[1]
    assert thumbnails(client, key) == {key: "made"}
    for token in (TENANT, DESK):
        status, got = call(client, "GET", case_url(case["case_id"], "/attachments/1"), token)
        assert status == 200 and got["content_type"] == "image/jpeg" and got["name"] == "厨房漏水.jpg"
        thumb = requests.get(got["thumbnail_url"], timeout=10)
        assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff" and len(thumb.content) < len(photo)
    # Another tenant gets neither the photo nor its thumbnail, nor does another property's desk.
    for token in (TENANT2, DESK_P2):
        status, answer = call(client, "GET", case_url(case["case_id"], "/attachments/1"), token)
        assert status == 404, answer


def test_an_email_attachment_gets_a_thumbnail_the_same_way(client):
    import boto3
    key = "attachments/P1/3f9a0c1d2e4b5a6c/1-漏水.png"
    boto3.client("s3", region_name="ap-southeast-1").put_object(Bucket=BUCKET, Key=key, Body=files.png((900, 900)),
                                                                ContentType="image/png")
    assert thumbnails(client, key.replace(" ", "+")) == {key: "made"}
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT,
                        {"unit": "3栋1201", "content": "见邮件照片", "attachments": [{"ref": f"s3://{BUCKET}/{key}"}]})
    assert status == 201, case
    assert call(client, "GET", case_url(case["case_id"], "/attachments/1"), DESK)[1]["thumbnail_url"]


@pytest.mark.parametrize(("body", "code"), [
    ({"content_type": "image/gif", "size": 100}, "unsupported_content_type"),
    ({"content_type": "text/html", "size": 100}, "unsupported_content_type"),
    ({"content_type": "image/png", "size": 10 * 1024 * 1024 + 1}, "upload_too_large"),
    ({"content_type": "video/mp4", "size": 20 * 1024 * 1024 + 1}, "upload_too_large"),
    ({"content_type": "image/png", "size": 0}, "validation_error"),
    ({"content_type": "image/png", "size": 100, "case_id": "../x"}, "validation_error"),
])
def test_a_wrong_type_or_size_is_refused_before_anything_is_issued(client, body, code):
    status, answer = call(client, "POST", UPLOADS, TENANT, body)
    assert status == 422 and answer["code"] == code, answer


@pytest.mark.parametrize(("content_type", "data", "declared", "reason"), [
    ("image/png", files.HTML, None, "type_mismatch"),
    ("image/webp", files.jpeg((20, 20)), None, "type_mismatch"),
    ("image/jpeg", files.jpeg((800, 800)), 200, "too_large"),  # moto does not enforce content-length-range
])
def test_an_upload_that_is_not_what_was_declared_is_rejected_on_complete(client, content_type, data, declared,
                                                                          reason):
    import boto3
    slot = start(client, data, content_type=content_type, size=declared)
    post(slot, data, content_type)
    status, answer = call(client, "POST", f"{UPLOADS}/{slot['upload_id']}/complete", TENANT, {})
    assert status == 422 and answer["code"] == "upload_rejected" and answer["details"]["reason"] == reason, answer
    listed = boto3.client("s3", region_name="ap-southeast-1").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    assert listed == []  # deleted
    ref = f"s3://{BUCKET}/attachments/P1/uploads/tenant-1/{slot['upload_id']}"
    status, answer = call(client, "POST", "/v1/properties/P1/cases", TENANT,
                          {"unit": "3栋1201", "content": "漏水", "attachments": [{"ref": ref}]})
    assert status == 422 and answer["code"] == "upload_not_attachable", answer


def test_completing_before_posting_is_a_409(client):
    slot = start(client, b"x" * 100)
    status, answer = call(client, "POST", f"{UPLOADS}/{slot['upload_id']}/complete", TENANT, {})
    assert status == 409 and answer["code"] == "upload_not_received", answer


def test_another_tenants_upload_cannot_be_completed_or_attached(client):
    slot = start(client, files.png((10, 10)), content_type="image/png")
    post(slot, files.png((10, 10)), "image/png")
    for token in (TENANT2, DESK):
        status, answer = call(client, "POST", f"{UPLOADS}/{slot['upload_id']}/complete", token, {})
        assert status == 404 and answer["code"] == "upload_not_found", answer
    done = call(client, "POST", f"{UPLOADS}/{slot['upload_id']}/complete", TENANT, {})[1]
    status, answer = call(client, "POST", "/v1/properties/P1/cases", TENANT2,
                          {"unit": "5栋", "content": "借用别人的照片", "attachments": [{"ref": done["ref"]}]})
    assert status == 422 and answer["code"] == "upload_not_attachable", answer
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT2, {"unit": "5栋", "content": "漏水"})
    status, answer = call(client, "POST", case_url(case["case_id"], "/messages"), TENANT2,
                          {"text": "照片", "attachments": [{"ref": done["ref"]}]})
    assert status == 422 and answer["code"] == "upload_not_attachable", answer


def test_another_propertys_uploads_are_not_found(client):
    status, answer = call(client, "POST", "/v1/properties/P2/uploads", TENANT, {"content_type": "image/png",
                                                                                 "size": 10})
    assert status == 404, answer
    slot = start(client, b"x" * 10)
    status, answer = call(client, "POST", f"/v1/properties/P2/uploads/{slot['upload_id']}/complete", DESK_P2, {})
    assert status == 404, answer
    status, answer = call(client, "POST", f"{UPLOADS}/not-an-id/complete", TENANT, {})
    assert status == 404 and answer["code"] == "upload_not_found", answer


def test_a_tenant_uploads_for_their_own_case_only_and_staff_for_their_propertys(client):
    status, case = call(client, "POST", "/v1/properties/P1/cases", TENANT, {"unit": "3栋", "content": "漏水"})
    status, answer = call(client, "POST", UPLOADS, TENANT2, {"content_type": "image/png", "size": 10,
                                                             "case_id": case["case_id"]})
    assert status == 404, answer
    done = uploaded(client, files.webp((30, 30)), DESK, "image/webp", case_id=case["case_id"])
    assert done["case_id"] == case["case_id"]


def test_uploads_per_person_per_hour_are_limited(client):
    admin = make_token("admin", properties=("P1", "P2"))
    from tests.conftest import contacts_of
    status, _ = call(client, "PUT", "/v1/properties/P1", admin, {
        "name": "滨江花园", "contacts": contacts_of("riverside.example"),
        "quotas": {"uploads_per_principal_per_hour": 1}})
    assert status == 200
    start(client, b"x" * 10)
    status, answer = call(client, "POST", UPLOADS, TENANT, {"content_type": "image/png", "size": 10})
    assert status == 429 and answer["details"]["quota"] == "uploads_per_principal", answer


def test_a_retried_start_is_the_same_slot_and_a_reused_key_is_refused(client):
    photo = files.jpeg((400, 300))
    body, key = {"content_type": "image/jpeg", "size": len(photo)}, {"Idempotency-Key": "photo-1"}
    status, first = call(client, "POST", UPLOADS, TENANT, body, headers=key)
    assert status == 201, first
    status, again = call(client, "POST", UPLOADS, TENANT, body, headers=key)
    assert status == 200 and again["upload_id"] == first["upload_id"]
    assert again["fields"]["key"] == first["fields"]["key"]
    status, out = call(client, "POST", UPLOADS, TENANT, {**body, "size": len(photo) + 1}, headers=key)
    assert (status, out["code"]) == (422, "idempotency_key_reused")
    status, theirs = call(client, "POST", UPLOADS, TENANT2, body, headers=key)  # keys are the caller's own
    assert status == 201 and theirs["upload_id"] != first["upload_id"]
    post(again, photo)
    status, done = call(client, "POST", f"{UPLOADS}/{first['upload_id']}/complete", TENANT, {})
    assert status == 200 and done["status"] == "complete"
    status, late = call(client, "POST", UPLOADS, TENANT, body, headers=key)  # answered as it is now
    assert status == 200 and late == done
    status, out = call(client, "POST", UPLOADS, TENANT, body, headers={"Idempotency-Key": "bad key ✗"})
    assert (status, out["code"]) == (400, "invalid_idempotency_key")
