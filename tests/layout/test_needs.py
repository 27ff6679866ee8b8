"""Outside CI a missing machine tool (chromium, a CJK font, npm's asl-validator) skips only
the tests that need it, saying why and how to get it; with CI=true the same tests fail."""
from __future__ import annotations

import pytest

from tests import needs


@pytest.mark.parametrize("value", ["", "false", "0"])
def test_outside_ci_a_missing_tool_skips_with_the_fix(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="apt-get install fonts-noto-cjk"):
        monkeypatch.setattr(needs, "cjk_font_installed", lambda: False)
        needs.cjk_font()


def test_in_ci_a_missing_tool_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(needs, "cjk_font_installed", lambda: False)
    with pytest.raises(pytest.fail.Exception, match="CI runs every test"):
        needs.cjk_font()


def test_a_present_tool_neither_skips_nor_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    needs.need(True, "never shown")


def test_the_asl_validator_outside_ci_is_a_skip_not_an_error(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(needs, "ROOT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match="npm"):
        needs.asl_validator()


def _dev_missing(ci: str):
    """./dev's own rule (functions in_ci and missing), run as ./dev runs them."""
    import re
    import subprocess
    source = (needs.ROOT / "dev").read_text(encoding="utf-8")
    functions = "\n".join(re.search(rf"^{name}\(\) {{\n.*?^}}\n", source, re.M | re.S).group(0)
                          for name in ("in_ci", "missing"))
    script = functions + '\nset -euo pipefail\nmissing "npm is needed"\necho still-running\n'
    return subprocess.run(["bash", "-c", script], env={"CI": ci, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=False)


def test_dev_warns_and_goes_on_outside_ci_and_stops_in_ci():
    outside = _dev_missing("")
    assert outside.returncode == 0 and "still-running" in outside.stdout
    assert "warning: npm is needed -- the tests that need it are skipped" in outside.stderr
    inside = _dev_missing("true")
    assert inside.returncode == 1 and "still-running" not in inside.stdout and "error: npm is needed" in inside.stderr


def test_ci_runs_with_ci_true():
    """.ci/run sets CI=true itself, so a CI machine without the tools fails rather than skips."""
    script = (needs.ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export CI=true" in script and script.index("export CI=true") < script.index("exec ./dev test")
