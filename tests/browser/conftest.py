"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright for
Python. Playwright never downloads a browser here: ``./dev test`` installs the
Debian package with fonts-noto-cjk (``ensure_browser``). A missing browser skips
these tests with the reason outside CI and fails them in CI (tests/needs.py)."""
from __future__ import annotations

import os

import pytest

from tests.needs import chromium

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    executable = chromium()
    # Never let Playwright look for (or fetch) its own browser build.
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()
