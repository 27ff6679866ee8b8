#!/usr/bin/env python
"""Duplicate finder quality on the committed labelled set, and its DynamoDB cost.

Reads tests/data/duplicate_pairs.jsonl (made by tests/data/make_duplicate_pairs.py) and
decides every pair with ``chalicelib.domain.duplicates.is_duplicate`` (same place, same
category, text similarity >= ``DUPLICATE_THRESHOLD``). Prints precision, recall and F1 per
language (zh-Hans, zh-Hant, en, mixed = Simplified vs Traditional) and overall, the
threshold used, a sweep of other thresholds, and the DynamoDB requests per new case
(counted on an in-process moto table: the submit's reads and writes, see ``--no-dynamo``).

    python bench/dedupe.py [--json] [--check] [--no-dynamo]

``--check`` exits 1 when precision < 0.9 or recall < 0.8 overall.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from chalicelib.domain import duplicates  # noqa: E402

PAIRS = REPO / "tests" / "data" / "duplicate_pairs.jsonl"
GOAL_P, GOAL_R = 0.9, 0.8


def load(path: Path = PAIRS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def decide(row: dict[str, Any], threshold: float) -> bool:
    a, b = row["a"], row["b"]
    return duplicates.score(a["place"], a["category"], a["text"], b["place"], b["category"], b["text"]) >= threshold


def measure(rows: list[dict[str, Any]], threshold: float) -> dict[str, dict[str, float]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "n": 0})
    for row in rows:
        said, truth = decide(row, threshold), bool(row["label"])
        key = ("tp" if truth else "fp") if said else ("fn" if truth else "tn")
        for group in (row["lang"], "overall"):
            counts[group][key] += 1
            counts[group]["n"] += 1
    out = {}
    for group, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[group] = {"pairs": c["n"], "duplicates": c["tp"] + c["fn"], "precision": round(p, 3),
                      "recall": round(r, 3), "f1": round(f1, 3)}
    return out


def dynamo_requests() -> dict[str, Any]:
    """The DynamoDB requests of one new case through the service on moto (the submit)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "TD_TABLE_PREFIX"):
        os.environ.pop(name, None)
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "ap-southeast-1", "AWS_REGION": "ap-southeast-1",
                       "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"})
    from datetime import datetime, timezone

    import botocore.client
    from moto import mock_aws

    from chalicelib.adapters import models
    from chalicelib.adapters.dynamodb import DynamoStore
    from chalicelib.domain import auth
    from chalicelib.services.case_service import CaseService

    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return real(self, operation, params)

    now = [datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)]
    with mock_aws():
        bound = models.bind()
        models.create_tables(bound)
        service = CaseService(DynamoStore(bound), lambda: now[0])
        admin = auth.Principal("admin-0", "admin", frozenset({"P1"}))
        service.put_property(admin, "P1", {"name": "滨江花园", "email": "service@riverside.example", "contacts": {
            r: f"{r}@riverside.example" for r in ("front_desk", "manager", "director", "on_duty")}})
        tenant = auth.Principal("t-1", "tenant", frozenset({"P1"}), name="Tenant")
        params = {"content": "空调不制冷，办公室里很热", "unit": "3-301", "category": "air_conditioning"}
        for _ in range(3):  # earlier cases, and a warm process (property settings cached)
            service.submit(tenant, "P1", dict(params), None)
        botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
        try:
            case, _ = service.submit(tenant, "P1", {**params, "content": "办公室空调吹出来的是热风"}, None)
        finally:
            botocore.client.BaseClient._make_api_call = real  # type: ignore[method-assign]
    return {"requests": len(calls), "operations": calls, "queries": calls.count("Query"),
            "scans": calls.count("Scan"), "suggested": [d["case_id"] for d in case.possible_duplicates]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--no-dynamo", action="store_true", help="skip the moto request count")
    args = parser.parse_args()
    rows = load()
    chosen = duplicates.DUPLICATE_THRESHOLD
    result: dict[str, Any] = {"pairs": len(rows), "threshold": chosen, "by_language": measure(rows, chosen),
                              "sweep": {f"{t:.2f}": measure(rows, t)["overall"]
                                        for t in (0.15, 0.18, 0.20, 0.22, 0.25, 0.30, 0.35, 0.40)}}
    if not args.no_dynamo:
        result["dynamodb_per_new_case"] = dynamo_requests()
    overall = result["by_language"]["overall"]
    result["goal_met"] = overall["precision"] >= GOAL_P and overall["recall"] >= GOAL_R
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"labelled pairs: {len(rows)}   threshold: {chosen}")
        print(f"{'language':<10}{'pairs':>7}{'dups':>6}{'precision':>11}{'recall':>8}{'F1':>7}")
        for group in ("zh-Hans", "zh-Hant", "en", "mixed", "overall"):
            m = result["by_language"].get(group)
            if m:
                print(f"{group:<10}{m['pairs']:>7}{m['duplicates']:>6}{m['precision']:>11.3f}{m['recall']:>8.3f}"
                      f"{m['f1']:>7.3f}")
        print("threshold sweep (overall P / R / F1):")
        for t, m in result["sweep"].items():
            print(f"  {t}: {m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}")
        if "dynamodb_per_new_case" in result:
            d = result["dynamodb_per_new_case"]
            print(f"DynamoDB requests per new case: {d['requests']} ({', '.join(d['operations'])}); "
                  f"Query {d['queries']}, Scan {d['scans']}; suggested {d['suggested']}")
        print(f"goal P >= {GOAL_P}, R >= {GOAL_R}: {'met' if result['goal_met'] else 'MISSED'}")
    return 1 if args.check and not result["goal_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
