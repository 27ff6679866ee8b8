"""Every picture the README shows is in the repository (a fresh clone has only what git
tracks, so a file an ignore rule kept out fails here in CI)."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_image_the_readme_links_exists():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    images = set(re.findall(r"\]\(([^)\s]+\.(?:png|jpe?g|gif|svg|webp))\)", readme))
    assert images, "the README shows no pictures: its screenshots were meant to be at the top"
    missing = sorted(p for p in images if not (REPO / p).is_file())
    assert missing == []
