"""Photos (and short videos) a tenant or staff member uploads straight to S3.

The API never carries the file: it issues a presigned POST for one object
whose key it chooses (``uploads/<property>/<owner>/<upload id>``, the staging
key), limited to the declared content type and size; the browser or app posts
the file to S3; ``complete`` then checks what arrived (its size, its first
bytes against the declared type), copies it to its stored key
(``attachments/<property>/uploads/<owner>/<upload id>``), checks the copy again
and removes the staging object. The copy matters: the presigned POST stays
valid for its quarter hour, so its holder could post a different file after a
check; nobody but the API can write the stored key. Only then can the upload be
attached: by its owner, in its property, and (when it was made for a case) only
to that case. chalicelib/domain/attachments.py has the one rule of what a
stored reference looks like; staging objects expire after a day (infra).

Pure rules: no AWS, no clock (``now`` is passed in), no randomness (the
service chooses the upload id).

Allowed types. Photos: JPEG, PNG, HEIC (what iPhones take), WebP, up to
10 MB (a 48-megapixel HEIC is 3-6 MB). Short video: MP4 up to 20 MB, about
20 seconds of 1080p from a phone. It is worth it because the complaints that
matter most here are the ones a still photo shows badly: a noise (air
conditioning, renovation next door), water dripping, a door that does not
close. MP4 plays inline in every browser and in both mobile platforms' players;
QuickTime (.mov, an iPhone's default) is not accepted: the app exports MP4
(iOS's picker and AVAssetExportSession do). A video gets no thumbnail (Pillow
decodes no video; ffmpeg in a Lambda layer is ~70 MB for one icon): the
console and app show a video icon.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.attachments import PREFIX, UPLOADED
from chalicelib.domain.errors import DomainError, ValidationFailed

MB = 1024 * 1024
# content type -> largest size accepted, in bytes
LIMITS: dict[str, int] = {
    "image/jpeg": 10 * MB,
    "image/png": 10 * MB,
    "image/heic": 10 * MB,
    "image/webp": 10 * MB,
    "video/mp4": 20 * MB,
}
CONTENT_TYPES = tuple(LIMITS)
IMAGE_TYPES = frozenset(t for t in LIMITS if t.startswith("image/"))
MAX_BYTES = max(LIMITS.values())
# How many leading bytes ``complete`` reads to recognise a file.
HEAD_BYTES = 32
# The presigned POST is valid this long: enough for a phone on a slow network.
POST_SECONDS = 15 * 60
# An upload never completed is forgotten after this (its record expires by TTL).
PENDING_TTL = timedelta(days=1)

HEIF_BRANDS = frozenset({b"heic", b"heix", b"mif1"})
MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"})

STATUSES = ("pending", "complete", "rejected")
_SAFE_OWNER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class UploadRejected(DomainError):
    """What arrived is not what was declared (or nothing usable arrived): the
    object is deleted and the upload cannot be attached."""

    status = 422
    code = "upload_rejected"


@dataclass(frozen=True)
class Upload:
    upload_id: str
    property_id: str
    owner: str  # the principal's subject
    role: str
    content_type: str
    declared_size: int
    created_at: datetime
    case_id: str | None = None
    status: str = "pending"
    size: int | None = None  # what arrived, once checked
    reason: str | None = None  # why it was rejected

    @property
    def key(self) -> str:
        """Where the presigned POST puts the file (checked, then copied away)."""
        return staging_key(self.property_id, self.owner, self.upload_id)

    @property
    def stored_key(self) -> str:
        """Where the checked file lives, and what an attachment refers to."""
        return stored_key(self.property_id, self.owner, self.upload_id)

    @property
    def max_bytes(self) -> int:
        """What the presigned POST allows: the declared size (itself within the type's limit)."""
        return self.declared_size

    def completed(self, size: int) -> Upload:
        return replace(self, status="complete", size=size)

    def rejected(self, reason: str) -> Upload:
        return replace(self, status="rejected", reason=reason)

    def to_dict(self) -> dict[str, Any]:
        return {"upload_id": self.upload_id, "property_id": self.property_id, "owner": self.owner, "role": self.role,
                "content_type": self.content_type, "declared_size": self.declared_size,
                "created_at": self.created_at.isoformat(), "case_id": self.case_id, "status": self.status,
                "size": self.size, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Upload:
        return cls(upload_id=d["upload_id"], property_id=d["property_id"], owner=d["owner"], role=d["role"],
                   content_type=d["content_type"], declared_size=int(d["declared_size"]),
                   created_at=datetime.fromisoformat(d["created_at"]), case_id=d.get("case_id"),
                   status=d.get("status", "pending"), size=None if d.get("size") is None else int(d["size"]),
                   reason=d.get("reason"))


def owner_segment(subject: str) -> str:
    """The owner part of an upload's key: the subject itself when it is key-safe
    (every local and Cognito subject is), else a digest of it."""
    if _SAFE_OWNER.match(subject):
        return subject
    return "u-" + hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]


STAGING_PREFIX = "uploads/"


def staging_key(property_id: str, owner: str, upload_id: str) -> str:
    return f"{STAGING_PREFIX}{property_id}/{owner_segment(owner)}/{upload_id}"


def stored_key(property_id: str, owner: str, upload_id: str) -> str:
    return f"{PREFIX}{property_id}/{UPLOADED}/{owner_segment(owner)}/{upload_id}"


def start(*, upload_id: str, property_id: str, subject: str, role: str, params: dict[str, Any],
          now: datetime) -> Upload:
    """A new upload slot from ``{content_type, size, case_id?}``, or a 422:
    ``unsupported_content_type`` or ``upload_too_large`` (``details.limit``)."""
    content_type = params.get("content_type")
    if content_type not in LIMITS:
        raise ValidationFailed(f"only {', '.join(CONTENT_TYPES)} can be uploaded", code="unsupported_content_type",
                               details={"field": "content_type", "allowed": list(CONTENT_TYPES)})
    size = params.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValidationFailed("size must be the file's size in bytes", details={"field": "size"})
    if size > LIMITS[content_type]:
        raise ValidationFailed(f"a {content_type} file may be at most {LIMITS[content_type] // MB} MB",
                               code="upload_too_large", details={"field": "size", "limit": LIMITS[content_type]})
    if not UPLOAD_ID.match(upload_id):
        raise ValueError("upload ids are 32 lower-case hex digits")
    return Upload(upload_id=upload_id, property_id=property_id, owner=subject, role=role, content_type=content_type,
                  declared_size=size, created_at=now, case_id=params.get("case_id") or None)


def matches_type(content_type: str, head: bytes) -> bool:
    """Whether a file's first bytes are those of ``content_type``."""
    if content_type == "image/jpeg":
        return head[:3] == b"\xff\xd8\xff"
    if content_type == "image/png":
        return head[:8] == b"\x89PNG\r\n\x1a\n"
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if content_type == "image/heic":
        return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS
    if content_type == "video/mp4":
        return head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS
    return False


def rejection(upload: Upload, size: int, head: bytes) -> str | None:
    """Why the object that arrived is refused (None: it is accepted):
    ``empty``, ``too_large`` (more than declared, or than the type allows: S3
    enforces the POST's content-length-range, but the check is ours too) or
    ``type_mismatch`` (its first bytes are not the declared type's)."""
    if size < 1:
        return "empty"
    if size > upload.declared_size or size > LIMITS.get(upload.content_type, 0):
        return "too_large"
    if not matches_type(upload.content_type, head):
        return "type_mismatch"
    return None


def require_attachable(upload: Upload | None, *, key: str, subject: str, property_id: str, case_id: str | None,
                       field: str) -> None:
    """An upload may be attached by its owner, in its property, once it was
    checked, and (if it was made for a case) only to that case. Anything else is
    one 422 ``upload_not_attachable``: whether another's upload exists is not said."""
    ok = (upload is not None and upload.stored_key == key and upload.status == "complete" and upload.owner == subject
          and upload.property_id == property_id and (upload.case_id is None or upload.case_id == case_id))
    if not ok:
        raise ValidationFailed("this upload is not one of yours that was completed (POST .../complete) for this "
                               "case", code="upload_not_attachable", details={"field": field})


def attachment_item(upload: Upload, item: dict[str, Any]) -> dict[str, Any]:
    """The attachment as recorded on the trail: the type and size are what the
    check found, not what the client claims; the name is the client's."""
    return {**item, "content_type": upload.content_type, "size": upload.size}
