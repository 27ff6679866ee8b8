"""Attachments: the count and size limits, the names they are stored under
(made safe, or generated from the Content-ID and type), and the record of
those skipped with the reason, so no file a tenant sent is silently lost."""
from __future__ import annotations

from chalicelib.mail.lazy import LazyPattern
from chalicelib.mail.result import Attachment

MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_FILENAME_CHARS = 200                # the attachment schema's name limit
_EXTENSIONS = {
    "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/pjpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
    "image/webp": ".webp", "image/heic": ".heic", "image/heif": ".heif", "image/bmp": ".bmp",
    "image/tiff": ".tif", "application/pdf": ".pdf", "message/rfc822": ".eml", "video/mp4": ".mp4",
    "video/quicktime": ".mov", "audio/mpeg": ".mp3", "audio/amr": ".amr", "audio/x-m4a": ".m4a",
    "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "application/zip": ".zip",
}


def _safe_filename(name: str) -> str:
    """A filename safe to show and to use in a storage key: no directories, no
    control or bidi-override characters, at most ``MAX_FILENAME_CHARS``."""
    name = _FILENAME_JUNK.sub("", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[:MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


_FILENAME_JUNK = LazyPattern("[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class Attachments:
    """The attachments of one message, in document order, and the ones skipped
    as (name, reason): undecodable, empty, too_large, too_many. The limits are
    read at each call, so a test can lower them."""

    def __init__(self):
        self.attachments: list[Attachment] = []
        self.skipped: list[tuple[str, str]] = []
        self._generated = 0

    def add(self, data: bytes | None, filename: str, ctype: str, cid: str | None, inline: bool) -> None:
        name = _safe_filename(filename) or self._generated_name(ctype, cid)
        if data is None:
            self.skipped.append((name, "undecodable"))
        elif not data:
            self.skipped.append((name, "empty"))
        elif len(data) > MAX_ATTACHMENT_BYTES:
            self.skipped.append((name, "too_large"))
        elif len(self.attachments) >= MAX_ATTACHMENTS:
            self.skipped.append((name, "too_many"))
        else:
            self.attachments.append(Attachment(filename=name, content_type=ctype, size=len(data), data=data,
                                               content_id=cid, inline=inline))

    def _generated_name(self, ctype: str, cid: str | None) -> str:
        ext = _EXTENSIONS.get(ctype, ".bin")
        if cid:
            stem = _safe_filename(cid.split("@", 1)[0])
            if stem:
                return stem if "." in stem[1:] else stem + ext
        self._generated += 1
        return f"attachment-{self._generated}{ext}"
