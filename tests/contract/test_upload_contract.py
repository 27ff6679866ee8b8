"""The upload store's contract (ports.UploadStore) on both implementations:
the in-memory twin and DynamoDB under moto."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import quotas, uploads
from chalicelib.services.ports import QuotaExceeded
from tests.conftest import T0


@pytest.fixture(params=["memory", "dynamo"])
def repo(request):
    if request.param == "memory":
        from chalicelib.adapters.memory_uploads import MemoryUploadStore
        return MemoryUploadStore()
    request.getfixturevalue("store")  # the tables, under moto
    from chalicelib.adapters.dynamodb_uploads import DynamoUploadStore
    from chalicelib.adapters.models import MODELS
    return DynamoUploadStore(MODELS)


def new(n=1, *, pid="P1", subject="tenant-1", content_type="image/jpeg"):
    return uploads.start(upload_id=f"{n:032x}", property_id=pid, subject=subject, role="tenant",
                         params={"content_type": content_type, "size": 2048, "case_id": "TD-20261123-0001"}, now=T0)


def test_an_upload_is_stored_and_read_back_whole(repo):
    upload = new(content_type="image/heic")
    repo.create_upload(upload)
    assert repo.get_upload("P1", upload.upload_id) == upload
    assert repo.get_upload("P2", upload.upload_id) is None  # another property's key
    assert repo.get_upload("P1", f"{9:032x}") is None


def test_several_uploads_are_read_at_once_and_missing_ones_left_out(repo):
    for n in (1, 2, 3):
        repo.create_upload(new(n))
    repo.create_upload(new(4, pid="P2"))
    found = repo.get_uploads("P1", [f"{n:032x}" for n in (1, 3, 4, 5, 1)])
    assert sorted(found) == [f"{1:032x}", f"{3:032x}"]


def test_an_upload_is_finished_exactly_once(repo):
    upload = new()
    repo.create_upload(upload)
    assert repo.finish_upload(upload.completed(2000)) is True
    assert repo.finish_upload(upload.rejected("type_mismatch")) is False  # a racing second complete
    stored = repo.get_upload("P1", upload.upload_id)
    assert stored.status == "complete" and stored.size == 2000


def test_the_quota_steps_with_the_upload_and_refuses_beyond_its_limit(repo):
    limits = quotas.Limits(uploads_per_principal_per_hour=2)
    for n in (1, 2):
        repo.create_upload(new(n), quota=quotas.upload(limits, "P1", "tenant-1", T0))
    with pytest.raises(QuotaExceeded):
        repo.create_upload(new(3), quota=quotas.upload(limits, "P1", "tenant-1", T0 + timedelta(minutes=30)))
    assert repo.get_upload("P1", f"{3:032x}") is None  # nothing written
    repo.create_upload(new(4, subject="tenant-2"), quota=quotas.upload(limits, "P1", "tenant-2", T0))  # per person
    repo.create_upload(new(5), quota=quotas.upload(limits, "P1", "tenant-1", T0 + timedelta(hours=1)))  # next hour
