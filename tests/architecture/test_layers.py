"""The layers import in one direction (README, Architecture): the domain knows
nothing of AWS or HTTP, services reach storage and AWS only through ports,
adapters never call back into services or the HTTP edge. Reads the source's
imports (function-level ones too); imports nothing of the app."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
AWS_AND_WEB = ("boto3", "botocore", "pynamodb", "chalice", "aws_lambda_powertools", "jwt", "fastjsonschema")

# layer -> the chalicelib modules (prefixes) it may import, and third-party roots it may not.
RULES = {
    "domain": (("chalicelib.domain",), AWS_AND_WEB),
    "mail": (("chalicelib.mail", "chalicelib.domain"), AWS_AND_WEB),
    "services": (("chalicelib.services", "chalicelib.domain", "chalicelib.mail", "chalicelib.schemas",
                  "chalicelib.config", "chalicelib.observability"), ("boto3", "botocore", "pynamodb", "chalice")),
    "adapters": (("chalicelib.adapters", "chalicelib.domain", "chalicelib.mail", "chalicelib.services.ports",
                  "chalicelib.config", "chalicelib.resources", "chalicelib.observability"), ("chalice",)),
}


def _layer(path: Path) -> str:
    rel = path.relative_to(CHALICELIB)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= ({f"chalicelib.{a.name}" for a in node.names} if node.module == "chalicelib" else {node.module})
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def _modules(layer: str) -> list[Path]:
    return sorted(p for p in CHALICELIB.rglob("*.py") if _layer(p) == layer)


@pytest.mark.parametrize("layer", sorted(RULES))
def test_each_layer_imports_only_what_it_may(layer):
    allowed, forbidden = RULES[layer]
    assert _modules(layer), f"no modules in layer {layer}"
    wrong = []
    for path in _modules(layer):
        for name in sorted(_imports(path)):
            if name.startswith("chalicelib"):
                if not any(name == a or name.startswith(a + ".") for a in allowed):
                    wrong.append(f"{path.relative_to(CHALICELIB)} imports {name}")
            elif name.split(".")[0] in forbidden:
                wrong.append(f"{path.relative_to(CHALICELIB)} imports {name}")
    assert wrong == []


def test_the_domain_is_pure_python():
    """The rules run (and are tested) with nothing but the standard library."""
    for path in _modules("domain"):
        for name in _imports(path):
            root = name.split(".")[0]
            assert root in ("chalicelib", "__future__") or root in __import__("sys").stdlib_module_names, \
                f"{path.name} imports {name}"
