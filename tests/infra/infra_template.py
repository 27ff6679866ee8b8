"""Helpers for reading the synthesized templates (tests/infra)."""
from __future__ import annotations

import json
from pathlib import Path

ASL_FILE = Path(__file__).resolve().parents[2] / "statemachines" / "case_watch.asl.json"


def resources(template: dict, type_: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def asl() -> dict:
    return json.loads(ASL_FILE.read_text(encoding="utf-8"))


def model_tables(names) -> dict:
    """Table name -> what the pynamodb models (chalicelib/adapters/models.py) declare: keys
    [(attribute, HASH|RANGE)], indexes {name: keys}, attribute types {attribute: S|N|B}
    of every key, and the TTL attribute (or None)."""
    from chalicelib.adapters import models

    bound = models.bind()  # only the keys are read: the configured table names do not matter

    def keys(hash_attr, range_attr) -> list:
        return [(hash_attr.attr_name, "HASH")] + ([(range_attr.attr_name, "RANGE")] if range_attr else [])

    out = {}
    for table, model in ((names.cases_table, bound.Case), (names.events_table, bound.Event),
                         (names.meta_table, bound.Meta), (names.replies_table, bound.Reply),
                         (names.records_table, bound.Record)):
        attrs = model.get_attributes()
        hash_attr = attrs[model._hash_keyname]
        range_attr = attrs[model._range_keyname] if model._range_keyname else None
        key_attrs = [a for a in (hash_attr, range_attr) if a]
        indexes = {}
        for index in model._indexes.values():
            iattrs = list(index.Meta.attributes.values())
            ihash = next(a for a in iattrs if a.is_hash_key)
            irange = next((a for a in iattrs if a.is_range_key), None)
            indexes[index.Meta.index_name] = keys(ihash, irange)
            key_attrs += [a for a in (ihash, irange) if a]
        ttl = model._ttl_attribute()
        out[table] = {"keys": keys(hash_attr, range_attr), "indexes": indexes,
                      "types": {a.attr_name: a.attr_type for a in key_attrs},
                      "ttl": ttl.attr_name if ttl else None}
    return out
