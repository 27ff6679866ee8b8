"""The public web form's pending submissions (``ports.PublicFormStore``) on
DynamoDB: one item each in the ``records`` table, read by key only; the
web form's rate limits are quota counters in the ``meta`` table
(``dynamodb.quota_key``), stepped in the same transaction as the submission
they pay for. The in-memory twin is ``adapters/public_memory.py``; the
contract suite holds both to the same behaviour.

Key format (this module is its one home): ``pk = WEBFORM#<property>``,
``sk = <submission id>``. Items carry ``expires_at`` (TTL): an unverified
submission disappears by itself; a verified one is kept a day longer, so a
repeated verify (a double tap, a retry) answers the same case.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb import _connection, _reasons, quota_key
from chalicelib.adapters.models import Models, RecordModel
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.public_form import Submission
from chalicelib.services.ports import QuotaExceeded

if TYPE_CHECKING:
    from chalicelib.domain.quotas import Quota

VERIFIED_KEPT = timedelta(days=1)


def submission_key(property_id: str, submission_id: str) -> tuple[str, str]:
    return f"WEBFORM#{property_id}", submission_id


class DynamoPublicFormStore:
    def __init__(self, models: Models) -> None:
        self.m = models
        self._connection = _connection(models.Record.Meta.region)

    def _item(self, sub: Submission) -> RecordModel:
        expires = sub.expires_at + (VERIFIED_KEPT if sub.verified else timedelta(0))
        return self.m.Record(*submission_key(sub.property_id, sub.submission_id), data=sub.to_dict(),
                             expires_at=expires)

    def create_submission(self, sub: Submission, *, quotas: Sequence[Quota] = ()) -> None:
        ops: list[str] = []
        meta = self.m.Meta
        try:
            with TransactWrite(connection=self._connection) as tx:
                ops.append("submission")
                tx.save(self._item(sub))  # version unset: conditional on the item not existing
                for quota in quotas:  # updates go after puts; cancellation reasons come in this order
                    ops.append(quota.name)
                    tx.update(meta(*quota_key(quota)), actions=[meta.n.add(1), meta.expires_at.set(quota.expires_at)],
                              condition=meta.n.does_not_exist() | (meta.n < quota.limit))
        except TransactWriteError as exc:
            for name, reason in zip(ops, _reasons(exc), strict=False):
                if name != "submission" and reason == "ConditionalCheckFailed":
                    raise QuotaExceeded(name) from exc
            raise

    def get_submission(self, property_id: str, submission_id: str) -> Submission | None:
        try:
            item = self.m.Record.get(*submission_key(property_id, submission_id), consistent_read=True)
        except DoesNotExist:
            return None
        return Submission.from_dict(item.data, int(item.version or 0)) if item.data else None

    def save_submission(self, sub: Submission, *, expected_version: int) -> None:
        item = self._item(sub)
        item.version = expected_version  # pynamodb conditions on it and writes +1
        try:
            item.save()
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise VersionConflict("the submission was changed at the same time; try again",
                                      code="busy_retry") from exc
            raise
