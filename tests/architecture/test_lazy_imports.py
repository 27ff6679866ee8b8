"""Imports inside functions are kept only where they buy cold start: a heavy
module that few requests use (boto3, botocore, pynamodb through the adapters,
the email package, html.parser, PyJWT, fastjsonschema) or a part of the app that
loads on first use (services and adapters wired by runtime, the report routes'
service). Everything else is imported at module level, where a reader sees it."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHALICELIB = REPO / "chalicelib"
MAY_LOAD_LATE = ("boto3", "botocore", "jwt", "fastjsonschema", "email", "html", "PIL", "chalicelib.adapters",
                 "chalicelib.services", "chalicelib.mail.outgoing",
                 "urllib.request",  # urllib.request (http.client, email): the JWKS fetch only
                 # Web Push (chalicelib/adapters/push.py): only the delivery worker and key set-up load them.
                 "pywebpush", "py_vapid", "cryptography",
                 "segno")  # QR codes: the staff's QR route only (chalicelib/http/routes_public.py)
HEAVY = ("boto3", "pynamodb", "jwt", "fastjsonschema", "email", "html.parser", "PIL", "chalicelib.services",
         "chalicelib.adapters")


def _function_level_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.append((node.lineno, node.module))
            elif isinstance(node, ast.Import):
                found += [(node.lineno, a.name) for a in node.names]
    return found


def _late(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in MAY_LOAD_LATE)


def test_function_level_imports_only_defer_heavy_or_first_use_modules():
    wrong = [f"{p.relative_to(REPO)}:{line} {module}" for p in sorted(CHALICELIB.rglob("*.py"))
             for line, module in _function_level_imports(p) if not _late(module)]
    assert wrong == []


def test_importing_the_app_loads_no_heavy_module():
    code = (f"import sys, app; heavy = {HEAVY!r}; "
            "print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
