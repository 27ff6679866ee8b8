"""The mail parser's layout: one module per concern, each saying what it owns,
the standard library only, and nothing heavy loaded at import (Lambda cold start)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAIL = REPO / "chalicelib" / "mail"
MODULES = sorted(p for p in MAIL.glob("*.py") if p.name != "__init__.py")
# templates.py (mail texts) and outgoing.py (the mail we send) are not the parser.
PARSER_MODULES = [p for p in MODULES if p.name not in ("templates.py", "outgoing.py", "report_mail.py")]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_the_parser_is_split_by_concern():
    names = {p.stem for p in PARSER_MODULES}
    assert {"parse", "result", "mime", "headers", "params", "charsets", "body", "quotes", "attachments",
            "automatic", "lang", "subjects"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_every_mail_module_says_what_it_owns(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring and len(docstring) > 40


@pytest.mark.parametrize("path", PARSER_MODULES, ids=lambda p: p.name)
def test_parser_modules_use_only_the_standard_library(path):
    for module in _imports(path):
        top = module.split(".")[0]
        assert top in sys.stdlib_module_names or module.startswith("chalicelib.mail."), (path.name, module)
        assert module != "chalicelib.mail.templates", path.name


@pytest.mark.parametrize("path", [p for p in PARSER_MODULES if p.name != "parse.py"], ids=lambda p: p.name)
def test_only_callers_import_the_facade(path):
    # The concern modules never reach back into parse.py: no import cycles, and
    # each can be read and tested on its own.
    assert "chalicelib.mail.parse" not in _imports(path)


def test_no_parser_module_loads_the_email_package_at_import():
    modules = ", ".join(f"chalicelib.mail.{p.stem}" for p in PARSER_MODULES)
    code = (f"import sys; import {modules}; "
            "print(sorted(m for m in ('email', 'email.policy', 'email.utils', 'html', 'html.parser')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
