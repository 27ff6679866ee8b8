"""Lint, import order and types are part of the suite, so `./dev test` (and CI, which runs exactly that)
fails on them: ruff and mypy as configured in pyproject.toml, run from this venv, and lines of at most
120 characters. `./dev test -k lint` runs just these."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINE = 120
SOURCES = ("app.py", "chalicelib", "devstack", "infra", "bench", "tests")
SKIPPED_DIRS = {"cdk.out", "node_modules", "__pycache__"}


def _tool(module: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:  # a missing install fails loudly, never skips
        pytest.fail(f"{module} is not installed in {sys.prefix}: ./dev installs requirements-dev.txt", pytrace=False)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, check=False)


def test_ruff_finds_nothing():
    result = _tool("ruff", "check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    result = _tool("mypy")  # files and strictness per layer: pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_domain_may_not_read_the_wall_clock():
    """The ban is configured (ruff TID251), and only the domain is held to it."""
    source = "from datetime import datetime\n\n\ndef stamp():\n    return datetime.now()\n"
    domain = _tool("ruff", "check", "--no-cache", "--output-format", "concise",
                   "--stdin-filename", "chalicelib/domain/probe.py", "-", stdin=source)
    assert "TID251" in domain.stdout and domain.returncode == 1
    service = _tool("ruff", "check", "--no-cache", "--output-format", "concise",
                    "--stdin-filename", "chalicelib/services/probe.py", "-", stdin=source)
    assert service.returncode == 0, service.stdout


def _python_files() -> list[Path]:
    files = []
    for name in SOURCES:
        path = ROOT / name
        found = [path] if path.is_file() else path.rglob("*.py")
        files += [p for p in found if not SKIPPED_DIRS & set(p.relative_to(ROOT).parts)]
    return sorted(files)


def test_no_line_is_longer_than_120_characters():
    """Counted in characters, not display columns: ruff's E501 counts a Chinese character as two and would
    flag Chinese texts that fit (so pyproject.toml leaves E501 to this test)."""
    assert len(_python_files()) > 50
    long = [f"{path.relative_to(ROOT)}:{n}: {len(line)}"
            for path in _python_files()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if len(line) > MAX_LINE]
    assert long == []
