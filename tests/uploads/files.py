"""Small real files of each allowed type (made with Pillow where it can), and impostors."""
from __future__ import annotations

import io

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
HTML = b"<html><script>alert(1)</script></html>"


def image(fmt: str = "JPEG", size: tuple[int, int] = (1200, 800), color=(200, 60, 40)) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (1200, 800)) -> bytes:
    return image("JPEG", size)


def png(size: tuple[int, int] = (640, 480)) -> bytes:
    return image("PNG", size)


def webp(size: tuple[int, int] = (640, 480)) -> bytes:
    return image("WEBP", size)
