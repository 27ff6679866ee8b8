"""Uploads: issue a presigned POST, check what arrived, make thumbnails.

The rules are chalicelib/domain/uploads.py's; storage is reached through
``ports.UploadStore`` (the upload slots, with the quota) and
``ports.ObjectStore`` (the bucket). Attaching a checked upload to a case is the
case service's (``CaseService._require_stored_attachments`` asks this store).
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain import attachments, auth, quotas, uploads
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.uploads import Upload, UploadRejected
from chalicelib.observability import logger, record_metric
from chalicelib.services.ports import QuotaExceeded

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from chalicelib.services.case_service import CaseService
    from chalicelib.services.ports import ObjectStore, UploadStore

Thumbnailer = Callable[[bytes], "bytes | None"]


def new_upload_id() -> str:
    return secrets.token_hex(16)


def view(upload: Upload, bucket: str) -> dict[str, Any]:
    """What the owner sees of an upload; ``ref`` is what they attach, once complete."""
    return {"upload_id": upload.upload_id, "status": upload.status, "content_type": upload.content_type,
            "size": upload.size if upload.size is not None else upload.declared_size, "case_id": upload.case_id,
            "ref": f"s3://{bucket}/{upload.stored_key}" if upload.status == "complete" else None}


class UploadService:
    def __init__(self, cases: CaseService, store: UploadStore, objects: ObjectStore, clock: Callable[[], datetime],
                 *, thumbnailer: Thumbnailer | None = None, new_id: Callable[[], str] = new_upload_id) -> None:
        self.cases = cases
        self.store = store
        self.objects = objects
        self.clock = clock
        self.thumbnailer = thumbnailer
        self.new_id = new_id

    def _require_case(self, principal: auth.Principal, property_id: str, case_id: str) -> None:
        """A tenant uploads for their own case, staff for one of their property (404 otherwise)."""
        auth.authorize(principal, "case.read", property_id)
        case = self.cases.store.get_case(property_id, case_id)
        if principal.role == "tenant" and case.tenant_id != principal.subject:
            raise NotFound("no such case", code="case_not_found")

    def start(self, principal: auth.Principal, property_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """A new upload slot and the presigned POST that fills it (``start_once`` without a key)."""
        return self.start_once(principal, property_id, params, None)[0]

    def start_once(self, principal: auth.Principal, property_id: str, params: dict[str, Any],
                   idempotency_key: str | None) -> tuple[dict[str, Any], bool]:
        """A new upload slot and the presigned POST that fills it; (answer, replayed).
        Counts against the caller's uploads-per-hour quota (``RateLimited``).

        With an Idempotency-Key the slot's id is derived from (caller, property,
        key): the upload record is its own idempotency record (written conditional
        on not existing), so a retry makes no second slot and takes no second
        quota step; it is answered with the same slot (a fresh presigned POST while
        it is pending). The same key for another file is 422 idempotency_key_reused."""
        auth.authorize(principal, "upload.create", property_id)
        upload_id = self.new_id()
        if idempotency_key is not None:
            from chalicelib.services.case_service import _require_key
            _require_key(idempotency_key)
            upload_id = hashlib.sha256("\x1f".join(("upload", principal.subject, property_id, idempotency_key))
                                       .encode()).hexdigest()[:32]
            earlier = self.store.get_upload(property_id, upload_id)
            if earlier is not None:
                return self._replay_start(earlier, principal, params), True
        prop = self.cases.property(property_id)
        if params.get("case_id"):
            self._require_case(principal, property_id, params["case_id"])
        now = self.clock()
        upload = uploads.start(upload_id=upload_id, property_id=property_id, subject=principal.subject,
                               role=principal.role, params=params, now=now)
        quota = quotas.upload(prop.quotas, property_id, principal.subject, now)
        try:
            self.store.create_upload(upload, quota=quota)
        except QuotaExceeded:
            raise quota.exceeded(now) from None
        except Exception:
            earlier = self.store.get_upload(property_id, upload_id) if idempotency_key is not None else None
            if earlier is None:
                raise
            return self._replay_start(earlier, principal, params), True  # a concurrent retry made it first
        record_metric("UploadStarted", dimensions={"content_type": upload.content_type}, property_id=property_id)
        return self._slot(upload), False

    def _slot(self, upload: Upload) -> dict[str, Any]:
        form = self.objects.presigned_post(upload.key, content_type=upload.content_type, max_bytes=upload.max_bytes,
                                           expires_in=uploads.POST_SECONDS)
        return {**view(upload, self.objects.bucket), "url": form["url"], "fields": form["fields"],
                "expires_in": uploads.POST_SECONDS}

    def _replay_start(self, earlier: Upload, principal: auth.Principal, params: dict[str, Any]) -> dict[str, Any]:
        asked = (params.get("content_type"), params.get("size"), params.get("case_id"))
        if earlier.owner != principal.subject or asked != (earlier.content_type, earlier.declared_size,
                                                           earlier.case_id):
            raise ValidationFailed("this Idempotency-Key was used for a different request",
                                   code="idempotency_key_reused")
        if earlier.status == "pending":
            return self._slot(earlier)
        return view(earlier, self.objects.bucket)

    def _own(self, principal: auth.Principal, property_id: str, upload_id: str) -> Upload:
        upload = self.store.get_upload(property_id, upload_id)
        if upload is None or upload.owner != principal.subject:
            raise NotFound("no such upload", code="upload_not_found")  # another's upload is never revealed
        return upload

    def complete(self, principal: auth.Principal, property_id: str, upload_id: str) -> dict[str, Any]:
        """Check the uploaded object and make it attachable; idempotent (a
        completed upload answers the same again, a rejected one the same 422)."""
        auth.authorize(principal, "upload.complete", property_id)
        upload = self._own(principal, property_id, upload_id)
        if upload.status == "pending":
            upload = self._check(upload)
        if upload.status == "rejected":
            raise UploadRejected(_REASONS.get(upload.reason or "", "the file was refused"),
                                 details={"reason": upload.reason, "content_type": upload.content_type,
                                          "limit": min(upload.declared_size, uploads.LIMITS[upload.content_type])})
        return view(upload, self.objects.bucket)

    def _check(self, upload: Upload) -> Upload:
        staged = self.objects.size(upload.key)
        if staged is None:
            if not self.objects.exists(upload.stored_key):
                raise Conflict("nothing has been uploaded for this upload yet: POST the file to the url first",
                               code="upload_not_received")
        else:
            # First the staged file (a wrong one never reaches the attachments), then the
            # copy: the POST is still valid, and only the copy is out of its holder's reach.
            reason = uploads.rejection(upload, staged, self.objects.head_bytes(upload.key, uploads.HEAD_BYTES))
            if reason:
                return self._reject(upload, reason)
            self.objects.copy(upload.key, upload.stored_key)
        size = self.objects.size(upload.stored_key) or 0
        reason = uploads.rejection(upload, size, self.objects.head_bytes(upload.stored_key, uploads.HEAD_BYTES)
                                   if size else b"")
        if reason:
            return self._reject(upload, reason)
        self.objects.delete([upload.key])
        done = upload.completed(size)
        if not self.store.finish_upload(done):  # a concurrent complete finished it: its outcome stands
            return self.store.get_upload(upload.property_id, upload.upload_id) or done
        record_metric("UploadCompleted", dimensions={"content_type": upload.content_type},
                      property_id=upload.property_id)
        return done

    def _reject(self, upload: Upload, reason: str) -> Upload:
        self.objects.delete([upload.key, upload.stored_key, attachments.thumbnail_key(upload.stored_key)])
        rejected = upload.rejected(reason)
        if not self.store.finish_upload(rejected):
            return self.store.get_upload(upload.property_id, upload.upload_id) or rejected
        record_metric("UploadRejected", dimensions={"reason": reason}, property_id=upload.property_id)
        logger.info("upload rejected", extra={"upload_id": upload.upload_id, "reason": reason,
                                              "property_id": upload.property_id})
        return rejected

    # --- viewing -------------------------------------------------------------

    def attachment(self, principal: auth.Principal, property_id: str, case_id: str,
                   n: int) -> tuple[dict[str, Any], str, str | None]:
        """Attachment ``n`` of a case the caller may read: the item, its key and
        its thumbnail's key (None while there is none: not made yet, or not an image)."""
        item, key = self.cases.attachment(principal, property_id, case_id, n)
        thumb = attachments.thumbnail_key(key)
        try:
            made = self.objects.exists(thumb)
        except Exception:  # noqa: BLE001 - the photo itself still opens; the thumbnail is a nicety
            logger.warning("thumbnail lookup failed", extra={"case_id": case_id}, exc_info=True)
            made = False
        return item, key, thumb if made else None

    # --- thumbnails (off the request path) -----------------------------------------

    def make_thumbnail(self, key: str) -> str:
        """Make the thumbnail of a newly stored object, beside it. Returns what
        happened: ``made``, or why not (``skipped``: not an attachment or a
        thumbnail itself; ``gone``; ``too_large``; ``not_an_image``: a video, a
        PDF, a HEIC photo Pillow cannot decode). Redelivery makes it again."""
        if not attachments.wants_thumbnail(key):
            return "skipped"
        size = self.objects.size(key)
        if size is None:
            return "gone"
        if size > uploads.MAX_BYTES:
            return "too_large"
        if self.thumbnailer is None:
            return "off"
        thumb = self.thumbnailer(self.objects.read(key))
        if thumb is None:
            return "not_an_image"
        self.objects.put(attachments.thumbnail_key(key), thumb, content_type="image/jpeg")
        return "made"


_REASONS = {
    "empty": "the uploaded file is empty",
    "too_large": "the uploaded file is larger than declared or allowed",
    "type_mismatch": "the uploaded file is not of the declared type",
}
