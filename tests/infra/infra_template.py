"""Helpers for reading the synthesized templates (tests/infra)."""
from __future__ import annotations

import json
from pathlib import Path

ASL_FILE = Path(__file__).resolve().parents[2] / "statemachines" / "case_watch.asl.json"


def resources(template: dict, type_: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def asl() -> dict:
    return json.loads(ASL_FILE.read_text(encoding="utf-8"))
