"""The domain and service tiers need no AWS at all: their tests pass in a
process where moto, boto3, botocore and pynamodb cannot even be imported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BLOCKED = ("moto", "boto3", "botocore", "pynamodb")


def test_domain_and_service_tests_pass_without_any_aws_library():
    code = ("import sys\n"
            f"for name in {BLOCKED!r}: sys.modules[name] = None  # any import of them fails\n"
            "import pytest\n"
            "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests/domain', 'tests/service']))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
