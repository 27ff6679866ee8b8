"""Upload slots in DynamoDB (ports.UploadStore): one item each in the
``records`` table, and the per-person upload quota in the ``meta`` table,
counted in the same transaction as the slot it pays for.

Key formats (this module is their one home):
- an upload: ``pk = UPLOAD#<property>``, ``sk = <upload id>``; read by key only;
- its quota counter: the meta table's ``QUOTA#...`` item (dynamodb.quota_key).

A pending upload is written at version 1 and finished (complete or rejected)
exactly once, by a write conditional on version 1: two concurrent
``complete`` calls cannot both finish it. Pending and rejected uploads expire
(TTL) a day after they were made; a completed one stays, so it can still be
attached later.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb import _connection, _reasons, quota_key
from chalicelib.adapters.models import Models, RecordModel
from chalicelib.domain.uploads import PENDING_TTL, Upload
from chalicelib.services.ports import QuotaExceeded

if TYPE_CHECKING:
    from chalicelib.domain.quotas import Quota

MAX_BATCH = 25


def upload_key(property_id: str, upload_id: str) -> tuple[str, str]:
    return f"UPLOAD#{property_id}", upload_id


class DynamoUploadStore:
    def __init__(self, models: Models) -> None:
        self.m = models
        self._connection = _connection(models.Record.Meta.region)

    def _item(self, upload: Upload) -> RecordModel:
        expires = None if upload.status == "complete" else upload.created_at + PENDING_TTL
        return self.m.Record(*upload_key(upload.property_id, upload.upload_id), data=upload.to_dict(),
                             expires_at=expires)

    def create_upload(self, upload: Upload, *, quota: Quota | None = None) -> None:
        ops: list[str] = []
        meta = self.m.Meta
        try:
            with TransactWrite(connection=self._connection) as tx:
                ops.append("upload")
                tx.save(self._item(upload))  # version unset: conditional on the item not existing
                if quota is not None:
                    ops.append("quota")
                    tx.update(meta(*quota_key(quota)), actions=[meta.n.add(1), meta.expires_at.set(quota.expires_at)],
                              condition=meta.n.does_not_exist() | (meta.n < quota.limit))
        except TransactWriteError as exc:
            reasons = dict(zip(ops, _reasons(exc), strict=False))
            if reasons.get("quota") == "ConditionalCheckFailed":
                raise QuotaExceeded() from exc
            raise

    def get_upload(self, property_id: str, upload_id: str) -> Upload | None:
        try:
            item = self.m.Record.get(*upload_key(property_id, upload_id), consistent_read=True)
        except DoesNotExist:
            return None
        return Upload.from_dict(item.data) if item.data else None

    def get_uploads(self, property_id: str, upload_ids: Sequence[str]) -> dict[str, Upload]:
        keys = [upload_key(property_id, u) for u in dict.fromkeys(upload_ids)][:MAX_BATCH]
        found = {}
        for item in self.m.Record.batch_get(keys, consistent_read=True):
            if item.data:
                upload = Upload.from_dict(item.data)
                found[upload.upload_id] = upload
        return found

    def finish_upload(self, upload: Upload) -> bool:
        item = self._item(upload)
        item.version = 1  # pending uploads are at version 1: pynamodb conditions on it and writes 2
        try:
            item.save()
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
