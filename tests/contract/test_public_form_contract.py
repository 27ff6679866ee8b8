"""The web form's submission store (ports.PublicFormStore) on both implementations:
the in-memory twin and DynamoDB under moto."""
from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain import public_form, quotas
from chalicelib.domain.errors import VersionConflict
from chalicelib.services.ports import QuotaExceeded
from tests.conftest import T0


@pytest.fixture(params=["memory", "dynamo"])
def repo(request):
    if request.param == "memory":
        from chalicelib.adapters.public_memory import MemoryPublicFormStore
        return MemoryPublicFormStore()
    request.getfixturevalue("store")
    from chalicelib.adapters.models import MODELS
    from chalicelib.adapters.public_store import DynamoPublicFormStore
    return DynamoPublicFormStore(MODELS)


def new(n=1, email="visitor@example.cn"):
    return public_form.new_submission(property_id="P1", submission_id=f"s{n}", location=None, code="123456",
                                      salt="00ff", now=T0, params={"email": email, "place": "大堂",
                                                                  "content": "灯坏了 <b>", "lang": "zh-Hant"})


def test_a_submission_is_stored_and_read_back_whole(repo):
    sub = new()
    repo.create_submission(sub)
    got = repo.get_submission("P1", "s1")
    assert replace(got, version=0) == sub and got.version == 1
    assert repo.get_submission("P2", "s1") is None and repo.get_submission("P1", "nope") is None


def test_saves_are_conditional_on_the_version(repo):
    repo.create_submission(new())
    got = repo.get_submission("P1", "s1")
    repo.save_submission(replace(got, attempts=1), expected_version=got.version)
    with pytest.raises(VersionConflict):
        repo.save_submission(replace(got, attempts=1), expected_version=got.version)  # a concurrent try lost
    assert repo.get_submission("P1", "s1").attempts == 1


def test_quotas_are_stepped_with_the_submission_and_name_the_one_at_its_limit(repo):
    limits = quotas.Limits(public_submissions_per_ip_per_hour=3, public_submissions_per_contact_per_day=2)
    ip = quotas.public_by_ip(limits, "P1", "10.0.0.1", T0)
    for n in (1, 2):
        repo.create_submission(new(n), quotas=[ip, quotas.public_by_contact(limits, "P1", "k1", T0)])
    with pytest.raises(QuotaExceeded) as caught:
        repo.create_submission(new(3), quotas=[ip, quotas.public_by_contact(limits, "P1", "k1", T0)])
    assert caught.value.args == ("public_per_contact",)
    assert repo.get_submission("P1", "s3") is None  # nothing written
    repo.create_submission(new(4), quotas=[ip, quotas.public_by_contact(limits, "P1", "k2", T0)])
    with pytest.raises(QuotaExceeded) as caught:
        repo.create_submission(new(5), quotas=[ip, quotas.public_by_contact(limits, "P1", "k3", T0)])
    assert caught.value.args == ("public_per_ip",)
