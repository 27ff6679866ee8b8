"""Service tests without AWS: the root fixtures (``svc``, ``clock``) run on
the in-memory store. What they prove about DynamoDB itself lives in
tests/store and tests/contract (under moto)."""
from __future__ import annotations

import pytest


@pytest.fixture
def store():
    from chalicelib.adapters.memory import MemoryStore
    return MemoryStore()
