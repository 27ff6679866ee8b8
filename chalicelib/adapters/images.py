"""Thumbnails with Pillow (imported on first use: only the thumbnail handler needs it).

A thumbnail is a JPEG at most ``SIZE`` pixels on its longer side, turned the
way the camera's EXIF orientation says (phones store photos sideways), without
the photo's metadata (no GPS position leaves with it). Anything Pillow cannot
decode yields None: a video, a PDF from a mail, a HEIC photo (Pillow reads HEIC
only with the pillow-heif plugin, which we do not ship: such a photo is shown
by its name, and opens in full through its presigned URL, as before).
"""
from __future__ import annotations

import io

SIZE = 320
QUALITY = 80
# Refuse to decode images beyond this many pixels (a decompression bomb: a
# small file that expands to gigabytes). 50 MP covers every phone camera's
# default mode; Pillow's own limit is 89 MP with a warning, 179 MP an error.
MAX_PIXELS = 50_000_000


def thumbnail(data: bytes) -> bytes | None:
    """The JPEG thumbnail of an image file, or None when it is not one Pillow can read."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                return None
            opened.draft("RGB", (SIZE, SIZE))  # JPEG: decode at a reduced scale, much faster
            img = ImageOps.exif_transpose(opened)
            img.thumbnail((SIZE, SIZE))
            if img.mode != "RGB":
                background = Image.new("RGB", img.size, (255, 255, 255))
                rgba = img.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                img = background
            out = io.BytesIO()
            img.save(out, format="JPEG", quality=QUALITY, optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None
