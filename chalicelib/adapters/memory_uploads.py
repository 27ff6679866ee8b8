"""The in-memory twins of the upload store and the object store (service tests,
no AWS): same contract as dynamodb_uploads.py and s3_objects.py
(tests/contract/test_upload_contract.py runs one suite on both)."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.domain.uploads import Upload
from chalicelib.services.ports import QuotaExceeded

if TYPE_CHECKING:
    from chalicelib.domain.quotas import Quota


class MemoryUploadStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._uploads: dict[tuple[str, str], Upload] = {}
        self._quotas: dict[tuple[str, str, str], int] = {}

    def create_upload(self, upload: Upload, *, quota: Quota | None = None) -> None:
        with self._lock:
            key = (upload.property_id, upload.upload_id)
            if key in self._uploads:
                raise ValueError("upload exists")  # as DynamoDB's failed condition: a programming error
            if quota is not None:
                qid = (quota.name, quota.key, quota.window_start.isoformat())
                if self._quotas.get(qid, 0) >= quota.limit:
                    raise QuotaExceeded()
                self._quotas[qid] = self._quotas.get(qid, 0) + 1
            self._uploads[key] = upload

    def get_upload(self, property_id: str, upload_id: str) -> Upload | None:
        with self._lock:
            return self._uploads.get((property_id, upload_id))

    def get_uploads(self, property_id: str, upload_ids: Sequence[str]) -> dict[str, Upload]:
        with self._lock:
            return {u: self._uploads[(property_id, u)] for u in list(dict.fromkeys(upload_ids))[:25]
                    if (property_id, u) in self._uploads}

    def finish_upload(self, upload: Upload) -> bool:
        with self._lock:
            current = self._uploads.get((upload.property_id, upload.upload_id))
            if current is None or current.status != "pending":
                return False
            self._uploads[(upload.property_id, upload.upload_id)] = upload
            return True


class MemoryObjects:
    """A bucket as a dict. ``presigned_post`` returns a form a test can "post"
    with :meth:`post` (which, like moto, does not enforce the size range);
    ``forms`` keeps each form's conditions by key."""

    def __init__(self, bucket: str = "tenantdesk-test-mail") -> None:
        self.bucket = bucket
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.forms: dict[str, dict[str, Any]] = {}

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        self.forms[key] = {"content-length-range": [1, max_bytes], "Content-Type": content_type,
                           "expires_in": expires_in}
        return {"url": f"memory://{self.bucket}", "fields": {"key": key, "Content-Type": content_type}}

    def post(self, form: dict[str, Any], data: bytes) -> None:
        self.objects[form["fields"]["key"]] = (data, form["fields"]["Content-Type"])

    def size(self, key: str) -> int | None:
        found = self.objects.get(key)
        return None if found is None else len(found[0])

    def head_bytes(self, key: str, n: int) -> bytes:
        return self.objects[key][0][:n]

    def read(self, key: str) -> bytes:
        return self.objects[key][0]

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def copy(self, source: str, key: str) -> None:
        self.objects[key] = self.objects[source]

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def exists(self, key: str) -> bool:
        return key in self.objects
