"""Attachments are references to objects the system stores, never URLs.

A tenant-supplied URL would be loaded by staff browsers: it could track them
or make them GET internal addresses. So a reference is only ever a key in the
system's own storage (``s3://<mail bucket>/attachments/<property>/...``, where
the mail intake stores what arrives by email), and a browser loads it only
through a short-lived presigned URL that the API hands to a caller it has
authorised. References stored before this rule (http links) stay on the trail
as text and are never loaded.

The rules are pure (no AWS); :func:`presigned_get` and :func:`storage_origin`
are the S3 edge.
"""
from __future__ import annotations

from typing import Any, Iterable

from chalicelib.errors import NotFound, ValidationFailed

PREFIX = "attachments/"
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
    if not key.startswith(f"{PREFIX}{property_id}/") or any(part in ("", ".", "..") for part in key.split("/")):
        return None
    return key


def require_stored(attachments: Iterable[dict[str, Any]] | None, *, bucket: str, property_id: str) -> None:
    """Refuse new references that are not this property's stored objects (422
    ``attachment_not_stored``): uploads come later, links never."""
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


_signer: Any = None


def signer() -> Any:
    """The S3 client that signs GET URLs: SigV4 on the bucket's regional endpoint,
    so a browser goes straight there (no redirect to an origin the CSP does not
    list). Made once, on first use; honours AWS_ENDPOINT_URL (the local stack)."""
    global _signer
    if _signer is None:
        import boto3
        from botocore.config import Config
        from chalicelib import config
        import os
        region = config.region()
        if os.environ.get("AWS_ENDPOINT_URL"):  # the local stack: its one endpoint, path-style
            _signer = boto3.client("s3", region_name=region, config=Config(signature_version="s3v4"))
        else:
            _signer = boto3.client("s3", region_name=region, endpoint_url=f"https://s3.{region}.amazonaws.com",
                                   config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    return _signer


def presigned_get(s3: Any, bucket: str, key: str, *, name: str | None = None) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if name:
        from urllib.parse import quote
        params["ResponseContentDisposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return s3.generate_presigned_url("get_object", Params=params, ExpiresIn=URL_SECONDS)


def storage_origin(s3: Any, bucket: str) -> str:
    """The origin presigned URLs point at (for the console's CSP img-src): the
    same client signs both, so they cannot disagree."""
    from urllib.parse import urlsplit
    url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": PREFIX},
                                             ExpiresIn=60))
    return f"{url.scheme}://{url.netloc}"
