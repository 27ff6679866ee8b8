"""Attachments are references to objects the system stores, never URLs.

A tenant-supplied URL would be loaded by staff browsers: it could track them
or make them GET internal addresses. So a reference is only ever a key in the
system's own storage (``s3://<mail bucket>/attachments/<property>/...``, where
the mail intake stores what arrives by email, and where a checked upload is
copied: ``attachments/<property>/uploads/<owner>/<upload id>``, see
chalicelib/domain/uploads.py; such a reference is attached only by its owner),
and a browser loads it only through a short-lived presigned URL that the API
hands to a caller it has authorised. References stored before this rule (http
links) stay on the trail as text and are never loaded.

Each stored object may have a thumbnail beside it (``<key>.thumb.jpg``), made
off the request path when the object is stored; a thumbnail is never an
attachment itself.

The rules are pure (no AWS); signing the short-lived URLs is the S3 adapter's
(chalicelib/adapters/s3.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.domain.errors import NotFound, ValidationFailed

PREFIX = "attachments/"
UPLOADED = "uploads"  # attachments/<property>/uploads/<owner>/<upload id>: a checked upload
THUMBNAIL_SUFFIX = ".thumb.jpg"
URL_SECONDS = 300  # long enough to load a photo, short enough not to be worth sharing


def stored_key(ref: Any, *, bucket: str, property_id: str) -> str | None:
    """The storage key ``ref`` names, when it is one of this property's stored
    objects; None for anything else (a URL, another bucket or property, a path trick)."""
    if not isinstance(ref, str):
        return None
    head = f"s3://{bucket}/"
    if not ref.startswith(head):
        return None
    key = ref[len(head):]
    if not key.startswith(f"{PREFIX}{property_id}/") or any(part in ("", ".", "..") for part in key.split("/")) \
            or is_thumbnail(key):
        return None
    if key.split("/")[2] == UPLOADED and uploaded_parts(key) is None:
        return None
    return key


def uploaded_parts(key: str) -> tuple[str, str, str] | None:
    """(property, owner, upload id) when ``key`` is a checked upload's, else None
    (a mail attachment's key has a message digest where this has ``uploads``)."""
    parts = key.split("/")
    if len(parts) != 5 or parts[0] + "/" != PREFIX or parts[2] != UPLOADED or not all(parts):
        return None
    return parts[1], parts[3], parts[4]


def thumbnail_key(key: str) -> str:
    """Where the thumbnail of a stored object lives: beside it."""
    return key + THUMBNAIL_SUFFIX


def is_thumbnail(key: str) -> bool:
    return key.endswith(THUMBNAIL_SUFFIX)


def wants_thumbnail(key: str) -> bool:
    """Whether an object just stored gets a thumbnail: every attachment (mail's
    and checked uploads), never a thumbnail itself (stored under the same
    prefix, so its own ObjectCreated event arrives too), never raw mail."""
    return key.startswith(PREFIX) and not is_thumbnail(key)


def require_stored(attachments: Iterable[dict[str, Any]] | None, *, bucket: str, property_id: str) -> None:
    """Refuse new references that are not this property's stored objects (422
    ``attachment_not_stored``), links never. A checked upload passes this rule;
    that it is the caller's own is the upload store's to say
    (services/case_service.py ``_require_stored_attachments``)."""
    for n, item in enumerate(attachments or []):
        if stored_key(item.get("ref"), bucket=bucket, property_id=property_id) is None:
            raise ValidationFailed("an attachment must be a file the system stores, not a link",
                                   code="attachment_not_stored", details={"field": f"attachments[{n}].ref"})


def on_trail(events: Iterable[Any]) -> list[dict[str, Any]]:
    """Every attachment recorded on a case's trail, in order: number ``n`` (from 1)
    is the n-th, as the console lists them."""
    return [item for e in events for item in ((e.data or {}).get("attachments") or []) if isinstance(item, dict)]


def pick(events: Iterable[Any], n: int, *, bucket: str, property_id: str) -> tuple[dict[str, Any], str]:
    """Attachment ``n`` of a trail and its storage key; 404 when there is none
    or it is not a stored object (an old link is shown as text, never fetched)."""
    items = on_trail(events)
    if not 1 <= n <= len(items):
        raise NotFound("no such attachment", code="attachment_not_found")
    key = stored_key(items[n - 1].get("ref"), bucket=bucket, property_id=property_id)
    if key is None:
        raise NotFound("this attachment is a link, not a stored file: it is never loaded",
                       code="attachment_not_stored")
    return items[n - 1], key
