"""What some tests need from the machine beyond the venv: Debian's chromium (and a CJK
font, fonts-noto-cjk) for the browser tests, npm's asl-validator for the state machine
file. `./dev test` installs them (apt-get as root, npm). Outside CI (env CI unset or
false) a missing one skips ONLY the tests that need it, with the reason and the fix;
with CI=true it fails them, so CI always runs everything."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def need(present: object, message: str) -> None:
    """Skip (outside CI) or fail (CI) the calling test when ``present`` is falsy."""
    if present:
        return
    if in_ci():
        pytest.fail(f"{message} (CI=true: CI runs every test)", pytrace=False)
    pytest.skip(message)


def chromium() -> str:
    need(os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing: the browser tests need Debian's chromium. "
         "`./dev test` installs it as root (apt-get install chromium fonts-noto-cjk)")
    return CHROMIUM


def cjk_font_installed() -> bool:
    if shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
        return bool(found.stdout.strip())
    return bool(glob.glob("/usr/share/fonts/**/*CJK*", recursive=True))


def cjk_font() -> None:
    need(cjk_font_installed(), "no Chinese font is installed, so Chinese renders as empty boxes: "
         "`./dev test` installs it as root (apt-get install fonts-noto-cjk)")


def asl_validator() -> str:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "asl-validator"
    command = str(local) if local.exists() else shutil.which("asl-validator")
    need(command, "asl-validator is missing: it comes from npm; `./dev test` installs it into .tools "
         "(On Debian/Ubuntu: sudo apt-get install nodejs npm)")
    return str(command)
