"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright for
Python. Playwright never downloads a browser here: ``./dev test`` installs the
Debian package (``ensure_browser``), and a missing browser fails loudly."""
from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium. "
                    "`./dev test` installs it (apt-get install chromium); CI must run ./dev test as root.")
    # Never let Playwright look for (or fetch) its own browser build.
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
