"""Uploads in the services, on the in-memory stores (no AWS): issue a slot,
"post" the file, complete it, attach it; refusals; thumbnails with Pillow.
The same over HTTP against moto's S3 is tests/api/test_uploads_api.py."""
from __future__ import annotations

import pytest

from chalicelib import config
from chalicelib.adapters.images import thumbnail
from chalicelib.adapters.memory_uploads import MemoryObjects, MemoryUploadStore
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Conflict, NotFound, RateLimited, ValidationFailed
from chalicelib.domain.uploads import UploadRejected
from chalicelib.services.upload_service import UploadService
from tests.conftest import contacts_of
from tests.people import DESK, TENANT, TENANT2, submit
from tests.uploads import files

ADMIN = Principal("admin-0", "admin", frozenset({"P1", "P2"}))


@pytest.fixture
def objects():
    return MemoryObjects(config.mail_bucket())


@pytest.fixture
def ups(svc, clock, objects):
    svc.uploads = MemoryUploadStore()
    ids = iter(f"{n:032x}" for n in range(1, 1000))
    return UploadService(svc, svc.uploads, objects, clock, thumbnailer=thumbnail, new_id=lambda: next(ids))


def uploaded(ups, objects, data, principal=TENANT, content_type="image/jpeg", size=None, **params):
    slot = ups.start(principal, "P1", {"content_type": content_type, "size": size or len(data), **params})
    objects.post(slot, data)
    return slot


def test_a_photo_is_uploaded_checked_and_attached_to_a_new_case(ups, objects, svc):
    photo = files.jpeg()
    slot = ups.start(TENANT, "P1", {"content_type": "image/jpeg", "size": len(photo)})
    assert slot["fields"]["key"] == f"uploads/P1/tenant-1/{slot['upload_id']}"
    assert objects.forms[slot["fields"]["key"]] == {  # S3 refuses anything larger, or of another type
        "content-length-range": [1, len(photo)], "Content-Type": "image/jpeg", "expires_in": 900}
    assert slot["status"] == "pending" and slot["ref"] is None and slot["expires_in"] == 900
    objects.post(slot, photo)
    done = ups.complete(TENANT, "P1", slot["upload_id"])
    assert done["status"] == "complete" and done["size"] == len(photo)
    key = f"attachments/P1/uploads/tenant-1/{slot['upload_id']}"
    assert done["ref"] == f"s3://{config.mail_bucket()}/{key}"
    assert objects.read(key) == photo and not objects.exists(slot["fields"]["key"])  # copied, staging removed
    assert ups.complete(TENANT, "P1", slot["upload_id"]) == done  # idempotent
    case, _ = submit(svc, attachments=[{"ref": done["ref"], "name": "厨房漏水.jpg", "content_type": "text/html"}])
    _, events = svc.get(TENANT, "P1", case.case_id)
    assert events[0].data["attachments"] == [{"ref": done["ref"], "name": "厨房漏水.jpg",
                                              "content_type": "image/jpeg", "size": len(photo)}]


def test_completing_before_the_file_arrived_is_a_409_and_can_be_retried(ups, objects):
    slot = ups.start(TENANT, "P1", {"content_type": "image/png", "size": 500})
    with pytest.raises(Conflict) as err:
        ups.complete(TENANT, "P1", slot["upload_id"])
    assert err.value.code == "upload_not_received"
    objects.post(slot, files.png((10, 10)))
    assert ups.complete(TENANT, "P1", slot["upload_id"])["status"] == "complete"


@pytest.mark.parametrize(("content_type", "data", "declared", "reason"), [
    ("image/png", files.HTML, None, "type_mismatch"),  # a web page posted as a PNG
    ("image/jpeg", files.png((20, 20)), None, "type_mismatch"),  # a real image of another type
    ("image/heic", files.MP4, None, "type_mismatch"),
    ("image/jpeg", files.jpeg((900, 900)), 100, "too_large"),  # more than declared (S3's range not enforced)
])
def test_a_file_that_is_not_what_was_declared_is_rejected_and_deleted(ups, objects, svc, content_type, data,
                                                                       declared, reason):
    slot = uploaded(ups, objects, data, content_type=content_type, size=declared)
    with pytest.raises(UploadRejected) as err:
        ups.complete(TENANT, "P1", slot["upload_id"])
    assert err.value.status == 422 and err.value.code == "upload_rejected"
    assert err.value.details["reason"] == reason
    assert objects.objects == {}  # neither the staged file nor a copy is kept
    with pytest.raises(UploadRejected):  # the same answer again
        ups.complete(TENANT, "P1", slot["upload_id"])
    ref = f"s3://{config.mail_bucket()}/attachments/P1/uploads/tenant-1/{slot['upload_id']}"
    with pytest.raises(ValidationFailed) as err2:
        submit(svc, attachments=[{"ref": ref}])
    assert err2.value.code == "upload_not_attachable"


def test_a_file_swapped_after_the_check_is_caught_on_the_copy(ups, objects):
    """The presigned POST stays valid: a second POST after the staged file was
    checked must not slip through. Only the copy counts, and it is checked too."""
    slot = uploaded(ups, objects, files.jpeg((40, 40)))
    original = objects.copy

    def swap_then_copy(source, key):
        objects.post(slot, b"\xff\xd8" + files.HTML)  # lands between the check and the copy
        original(source, key)

    objects.copy = swap_then_copy
    with pytest.raises(UploadRejected) as err:
        ups.complete(TENANT, "P1", slot["upload_id"])
    assert err.value.details["reason"] == "type_mismatch" and objects.objects == {}


def test_nobody_else_completes_or_attaches_a_tenants_upload(ups, objects, svc):
    slot = uploaded(ups, objects, files.jpeg((30, 30)))
    for who in (TENANT2, DESK):
        with pytest.raises(NotFound) as err:
            ups.complete(who, "P1", slot["upload_id"])
        assert err.value.code == "upload_not_found"
    ref = ups.complete(TENANT, "P1", slot["upload_id"])["ref"]
    with pytest.raises(ValidationFailed) as err2:
        submit(svc, TENANT2, attachments=[{"ref": ref}])
    assert err2.value.code == "upload_not_attachable" and err2.value.details["field"] == "attachments[0].ref"
    with pytest.raises(ValidationFailed) as err_log:
        svc.log(DESK, "P1", {"channel": "phone", "unit": "大堂", "content": "来电",
                             "reporter": {"name": "陈先生", "phone": "138"}, "attachments": [{"ref": ref}]}, None)
    assert err_log.value.code == "upload_not_attachable"
    # A forged reference to an id nobody issued is refused the same way.
    forged = ref.rsplit("/", 1)[0] + "/" + "f" * 32
    with pytest.raises(ValidationFailed) as err3:
        submit(svc, attachments=[{"ref": forged}])
    assert err3.value.code == "upload_not_attachable"


def test_an_upload_for_a_case_goes_only_to_that_case(ups, objects, svc):
    mine, _ = submit(svc)
    other, _ = submit(svc, content="另一件事")
    slot = uploaded(ups, objects, files.png((10, 10)), content_type="image/png", case_id=mine.case_id)
    ref = ups.complete(TENANT, "P1", slot["upload_id"])["ref"]
    with pytest.raises(ValidationFailed):
        svc.act(TENANT, "P1", other.case_id, "message", {"text": "照片", "attachments": [{"ref": ref}]})
    with pytest.raises(ValidationFailed):
        submit(svc, content="新案件", attachments=[{"ref": ref}])
    case = svc.act(TENANT, "P1", mine.case_id, "message", {"text": "补一张照片", "attachments": [{"ref": ref}]})
    assert case.version == mine.version + 1


def test_a_tenant_uploads_only_for_their_own_case_and_property(ups, svc):
    theirs, _ = submit(svc, TENANT2)
    with pytest.raises(NotFound):
        ups.start(TENANT, "P1", {"content_type": "image/jpeg", "size": 10, "case_id": theirs.case_id})
    with pytest.raises(NotFound):
        ups.start(TENANT2, "P2", {"content_type": "image/jpeg", "size": 10})  # not their property


def test_the_front_desk_uploads_for_a_case_of_its_property_and_for_a_case_it_logs(ups, objects, svc):
    case, _ = submit(svc)
    slot = uploaded(ups, objects, files.webp((30, 30)), principal=DESK, content_type="image/webp",
                    case_id=case.case_id)
    assert slot["fields"]["key"].startswith("uploads/P1/desk-1/")
    assert ups.complete(DESK, "P1", slot["upload_id"])["status"] == "complete"
    draft = uploaded(ups, objects, files.jpeg((30, 30)), principal=DESK)
    ref = ups.complete(DESK, "P1", draft["upload_id"])["ref"]
    logged, _ = svc.log(DESK, "P1", {"channel": "walk_in", "unit": "大堂", "content": "访客拿来照片",
                                     "reporter": {"name": "陈先生", "phone": "138"}, "attachments": [{"ref": ref}]}, None)
    assert svc.get(DESK, "P1", logged.case_id)[1][0].data["attachments"][0]["ref"] == ref


def test_uploads_per_person_are_limited_per_hour(ups, svc, clock):
    svc.put_property(ADMIN, "P1", {"name": "滨江花园", "contacts": contacts_of("riverside.example"),
                                   "quotas": {"uploads_per_principal_per_hour": 2}})
    for _ in range(2):
        ups.start(TENANT, "P1", {"content_type": "image/jpeg", "size": 10})
    with pytest.raises(RateLimited) as err:
        ups.start(TENANT, "P1", {"content_type": "image/jpeg", "size": 10})
    assert err.value.details["quota"] == "uploads_per_principal"
    ups.start(TENANT2, "P1", {"content_type": "image/jpeg", "size": 10})
    clock.advance(hours=1)
    ups.start(TENANT, "P1", {"content_type": "image/jpeg", "size": 10})


def test_a_thumbnail_is_made_beside_each_stored_image_and_nothing_else(ups, objects):
    from PIL import Image
    objects.put("attachments/P1/abc/1-厨房.png", files.png((1600, 900)), content_type="image/png")
    assert ups.make_thumbnail("attachments/P1/abc/1-厨房.png") == "made"
    data, content_type = objects.objects["attachments/P1/abc/1-厨房.png.thumb.jpg"]
    with Image.open(__import__("io").BytesIO(data)) as thumb:
        assert content_type == "image/jpeg" and thumb.format == "JPEG" and thumb.size == (320, 180)
    assert ups.make_thumbnail("attachments/P1/abc/1-厨房.png.thumb.jpg") == "skipped"  # no thumbnail of a thumbnail
    objects.put("attachments/P1/abc/2-photo.heic", files.HEIC, content_type="image/heic")
    assert ups.make_thumbnail("attachments/P1/abc/2-photo.heic") == "not_an_image"  # no HEIC decoder shipped
    objects.put("attachments/P1/abc/3-clip.mp4", files.MP4, content_type="video/mp4")
    assert ups.make_thumbnail("attachments/P1/abc/3-clip.mp4") == "not_an_image"
    assert ups.make_thumbnail("attachments/P1/abc/gone.jpg") == "gone"
    assert ups.make_thumbnail("inbound/raw-message") == "skipped"
    assert sorted(k for k in objects.objects if k.endswith(".thumb.jpg")) == ["attachments/P1/abc/1-厨房.png.thumb.jpg"]
