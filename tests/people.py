"""Principals and a submit helper shared by the case-service tests on both stores
(tests/service on the in-memory store, tests/store on DynamoDB under moto)."""
from __future__ import annotations

from chalicelib.domain.auth import Principal

TENANT = Principal("tenant-1", "tenant", frozenset({"P1", "P2"}), name="李女士")
TENANT2 = Principal("tenant-2", "tenant", frozenset({"P1"}), name="陳先生")
DESK = Principal("desk-1", "front_desk", frozenset({"P1"}), name="前台")
DESK2 = Principal("desk-2", "front_desk", frozenset({"P1"}), name="前台二")
MANAGER = Principal("mgr-1", "manager", frozenset({"P1"}))


def submit(svc, principal=TENANT, key=None, pid="P1", **params):
    body = {"channel": "app", "unit": "3栋1201", "content": "楼上装修噪音，晚上十点还在施工"}
    body.update(params)
    return svc.submit(principal, pid, body, key)
