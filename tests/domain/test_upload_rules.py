"""The upload rules (chalicelib/domain/uploads.py) and the one rule of stored
references (domain/attachments.py) as it covers checked uploads: types, sizes,
magic bytes, keys and who may attach what."""
from __future__ import annotations

import pytest

from chalicelib.domain import attachments, uploads
from chalicelib.domain.errors import ValidationFailed
from tests.conftest import T0
from tests.uploads import files

UID = "0123456789abcdef0123456789abcdef"
BUCKET = "tenantdesk-test-mail"


def new(content_type="image/jpeg", size=1000, case_id=None, subject="tenant-1", pid="P1", upload_id=UID):
    return uploads.start(upload_id=upload_id, property_id=pid, subject=subject, role="tenant",
                         params={"content_type": content_type, "size": size, "case_id": case_id}, now=T0)


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/heic", "image/webp", "video/mp4"])
def test_photos_and_mp4_video_are_accepted(content_type):
    upload = new(content_type)
    assert upload.status == "pending" and upload.key == f"uploads/P1/tenant-1/{UID}"
    assert upload.stored_key == f"attachments/P1/uploads/tenant-1/{UID}"


@pytest.mark.parametrize("content_type", ["image/gif", "image/svg+xml", "text/html", "application/pdf",
                                          "video/quicktime", "IMAGE/JPEG", "image/jpeg; charset=utf-8"])
def test_other_types_are_refused_naming_the_allowed_ones(content_type):
    with pytest.raises(ValidationFailed) as err:
        new(content_type)
    assert err.value.code == "unsupported_content_type" and err.value.details["field"] == "content_type"
    assert "image/heic" in err.value.details["allowed"]


def test_photos_are_limited_to_10_mb_and_video_to_20_mb():
    assert new("image/png", 10 * 1024 * 1024).declared_size == 10 * 1024 * 1024
    with pytest.raises(ValidationFailed) as err:
        new("image/png", 10 * 1024 * 1024 + 1)
    assert err.value.code == "upload_too_large" and err.value.details["limit"] == 10 * 1024 * 1024
    assert new("video/mp4", 20 * 1024 * 1024).declared_size == 20 * 1024 * 1024
    with pytest.raises(ValidationFailed):
        new("video/mp4", 20 * 1024 * 1024 + 1)
    with pytest.raises(ValidationFailed):
        new("image/jpeg", 0)


@pytest.mark.parametrize(("content_type", "data"), [
    ("image/jpeg", files.jpeg((50, 50))), ("image/png", files.png((50, 50))), ("image/webp", files.webp((50, 50))),
    ("image/heic", files.HEIC), ("video/mp4", files.MP4)])
def test_each_type_is_recognised_by_its_first_bytes_and_no_other(content_type, data):
    assert uploads.matches_type(content_type, data[:uploads.HEAD_BYTES])
    for other in uploads.CONTENT_TYPES:
        if other != content_type:
            assert not uploads.matches_type(other, data[:uploads.HEAD_BYTES]), other


def test_what_arrived_is_judged_against_what_was_declared():
    upload = new("image/png", 5000)
    head = files.png((10, 10))[:32]
    assert uploads.rejection(upload, 4000, head) is None
    assert uploads.rejection(upload, 5001, head) == "too_large"  # more than declared: S3's range, checked again
    assert uploads.rejection(upload, 0, b"") == "empty"
    assert uploads.rejection(upload, 100, files.HTML[:32]) == "type_mismatch"
    assert uploads.rejection(upload, 100, files.jpeg((10, 10))[:32]) == "type_mismatch"  # a JPEG is not a PNG


def test_only_the_owner_attaches_a_completed_upload_in_its_property_and_for_its_case():
    done = new(case_id="TD-20261123-0001").completed(900)
    key = done.stored_key
    ok = {"key": key, "subject": "tenant-1", "property_id": "P1", "case_id": "TD-20261123-0001", "field": "f"}
    uploads.require_attachable(done, **ok)
    for change in ({"subject": "tenant-2"}, {"property_id": "P2"}, {"case_id": "TD-20261123-0002"},
                   {"case_id": None}, {"key": f"attachments/P1/uploads/tenant-2/{UID}"}):
        with pytest.raises(ValidationFailed) as err:
            uploads.require_attachable(done, **{**ok, **change})
        assert err.value.code == "upload_not_attachable" and err.value.details == {"field": "f"}
    for not_ready in (new(case_id="TD-20261123-0001"), new(case_id="TD-20261123-0001").rejected("type_mismatch"),
                      None):
        with pytest.raises(ValidationFailed):
            uploads.require_attachable(not_ready, **ok)
    draft = new().completed(900)  # made for no case: attachable to a new case or any of the owner's
    uploads.require_attachable(draft, **{**ok, "case_id": None})
    uploads.require_attachable(draft, **ok)


def test_the_trail_records_the_checked_type_and_size_not_the_clients_claim():
    done = new("image/webp", 5000).completed(4321)
    item = uploads.attachment_item(done, {"ref": "x", "name": "厨房.webp", "content_type": "text/html", "size": 1})
    assert item == {"ref": "x", "name": "厨房.webp", "content_type": "image/webp", "size": 4321}


def test_a_checked_uploads_reference_passes_the_one_stored_reference_rule():
    ref = f"s3://{BUCKET}/attachments/P1/uploads/tenant-1/{UID}"
    assert attachments.stored_key(ref, bucket=BUCKET, property_id="P1") == f"attachments/P1/uploads/tenant-1/{UID}"
    assert attachments.uploaded_parts(f"attachments/P1/uploads/tenant-1/{UID}") == ("P1", "tenant-1", UID)
    assert attachments.uploaded_parts("attachments/P1/3f9a0c1d2e4b5a6c/1-kitchen.jpg") is None  # a mail's
    for bad in (f"s3://{BUCKET}/uploads/P1/tenant-1/{UID}",  # the staging key: never attachable
                f"s3://{BUCKET}/attachments/P2/uploads/tenant-1/{UID}",  # another property
                f"s3://{BUCKET}/attachments/P1/uploads/tenant-1",  # no upload id
                f"s3://{BUCKET}/attachments/P1/uploads/tenant-1/{UID}/x",
                f"s3://{BUCKET}/attachments/P1/uploads/tenant-1/{UID}.thumb.jpg",
                f"s3://{BUCKET}/attachments/P1/3f9a/1-kitchen.jpg.thumb.jpg"):  # a thumbnail is no attachment
        assert attachments.stored_key(bad, bucket=BUCKET, property_id="P1") is None, bad


def test_thumbnails_live_beside_attachments_and_get_none_of_their_own():
    key = "attachments/P1/3f9a/1-厨房.jpg"
    assert attachments.thumbnail_key(key) == key + ".thumb.jpg"
    assert attachments.wants_thumbnail(key) and attachments.wants_thumbnail(f"attachments/P1/uploads/t/{UID}")
    assert not attachments.wants_thumbnail(attachments.thumbnail_key(key))
    assert not attachments.wants_thumbnail("inbound/abc") and not attachments.wants_thumbnail(f"uploads/P1/t/{UID}")


def test_an_unsafe_subject_gets_a_digest_for_its_key_segment():
    assert uploads.owner_segment("tenant-1") == "tenant-1"
    odd = uploads.owner_segment("李/../x")
    assert odd.startswith("u-") and "/" not in odd and odd == uploads.owner_segment("李/../x")
    upload = new(subject="李/../x")
    assert attachments.uploaded_parts(upload.stored_key) == ("P1", odd, UID)


def test_uploads_count_per_person_per_clock_hour():
    from datetime import timedelta

    from chalicelib.domain import quotas
    limits = quotas.Limits.from_dict({"uploads_per_principal_per_hour": 5})
    quota = quotas.upload(limits, "P1", "tenant-1", T0 + timedelta(minutes=59))
    assert (quota.limit, quota.key, quota.window_start) == (5, "P1#tenant-1", T0)
    assert quotas.upload(quotas.Limits(), "P1", "tenant-1", T0).limit == 60
    assert "uploads per person per hour" in quota.exceeded(T0).message
