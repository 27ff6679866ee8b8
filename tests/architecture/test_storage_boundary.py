"""Storage stays behind its interface: only the adapters know key formats,
and the services know the ``ports`` protocols, never the DynamoDB adapter.
Reads the source; imports nothing of the app, so it needs no AWS."""
from __future__ import annotations

import re
from pathlib import Path

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
ADAPTERS = {"adapters/dynamodb.py", "adapters/memory.py", "adapters/models.py",  # models: the tables and indexes
            "adapters/logbook_store.py", "adapters/logbook_memory.py", "adapters/dynamodb_uploads.py",
            "adapters/key_store.py", "adapters/archive_store.py", "adapters/archive_memory.py"}
SERVICES = tuple(sorted({p.relative_to(CHALICELIB).as_posix() for p in (CHALICELIB / "services").glob("*.py")
                         if p.name != "ports.py"}
                        | {"domain/quotas.py"}))
PREFIXES = ("PROPERTY", "PROPERTIES", "INBOX", "IDEMP", "COUNTER", "MSGID", "QUARANTINE", "HANDOVER", "HANDOVER_SIG",
            "QUOTA", "MAILTRY", "ACKRATE", "TENANT", "TENANT_EMAIL", "MAIL", "DAILY", "WATCH_OUTBOX",
            "LOGBOOK", "LOGDIARY", "UPLOAD", "KEYS", "KEY", "KEYLOG", "KEYS_OUT",
            # the owner archive (adapters/archive_store.py)
            "ARCHIVE", "ARCHIVE_UNITS", "RESIDENTS", "RESIDENT_UNIT", "RESIDENT_PHONES", "PHONE", "ARCHIVE_ACCESS")
# A string literal (plain or f-string) that starts with a key prefix and "#",
# or is one of the bare partition names.
KEY_LITERAL = re.compile(r"""(?<![\w])[rbfRBF]{0,2}(["'])(?:(?:"""
                         + "|".join(sorted(PREFIXES, key=len, reverse=True))
                         + r""")#|(?:WATCH_OUTBOX|PROPERTIES)\1)""")
GENERIC_META = re.compile(r"\.(get_meta|put_meta|put_meta_if_absent|delete_meta|meta_partition|count_attempt|"
                          r"take_slot|next_number|catch_up_counter)\(")


def _sources(names=None):
    for path in sorted(CHALICELIB.rglob("*.py")):
        rel = path.relative_to(CHALICELIB).as_posix()
        if rel in ADAPTERS or (names is not None and rel not in names):
            continue
        yield rel, path.read_text(encoding="utf-8")


def _hits(pattern, names=None):
    return [f"{rel}:{n}: {line.strip()}" for rel, text in _sources(names)
            for n, line in enumerate(text.splitlines(), start=1) if pattern.search(line)]


def test_the_pattern_catches_key_literals():
    for line in ('pk = f"IDEMP#{actor}"', "x = 'PROPERTY#P1'", 'WATCH = "WATCH_OUTBOX"', 'f"QUARANTINE#{p}"'):
        assert KEY_LITERAL.search(line), line
    for line in ('env = "TD_PROPERTIES"', 'text = "see #3"', 'name = "PROPERTY"', 'ref = f"{pid}#{cid}"'):
        assert not KEY_LITERAL.search(line), line


def test_no_key_format_outside_the_storage_adapters():
    assert _hits(KEY_LITERAL) == []


def test_services_use_the_named_storage_methods_not_the_generic_meta_ones():
    assert _hits(GENERIC_META, SERVICES) == []


def test_services_depend_on_the_ports_not_on_the_dynamodb_adapter():
    hits = _hits(re.compile(r"DynamoStore|chalicelib\.adapters\.dynamodb\b|from chalicelib\.adapters import"), SERVICES)
    assert hits == []


def test_service_tests_on_the_in_memory_store_run_without_moto():
    """tests/service uses chalicelib.adapters.memory: importing its modules and
    running a submit loads no moto and no AWS mock."""
    import subprocess
    import sys
    root = CHALICELIB.parent
    code = ("import sys, tests.service.test_case_service, tests.service.test_quota_service\n"
            "from chalicelib.adapters.memory import MemoryStore\n"
            "from chalicelib.services.case_service import CaseService\n"
            "from tests.conftest import T0\n"
            "CaseService(MemoryStore(), lambda: T0)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'moto'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    for path in (root / "tests" / "service").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) moto|mock_aws|\baws\b|aws_calls", text, re.M), path
