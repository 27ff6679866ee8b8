"""DynamoDB tables, built from the pynamodb models (chalicelib/adapters/models.py): the keys,
attribute types, GSIs and TTL attribute are read from the models, so the app and the
deployed tables cannot disagree."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as ddb

from chalicelib.resources import ResourceNames

_TYPES = {"S": ddb.AttributeType.STRING, "N": ddb.AttributeType.NUMBER, "B": ddb.AttributeType.BINARY}


def key_schemas() -> dict[str, dict]:
    """Table suffix -> {"hash", "range": (name, "S"|"N"|"B"), "indexes": {name: (hash, range)},
    "include": {index: [non-key attributes]} for INCLUDE projections, "ttl": attribute or None,
    "stream": view type or None}, read from the models (``models.bind()``; only keys are read,
    so whatever table names config gives at synth time do not matter)."""
    from chalicelib.adapters import models as pynamodb_models

    bound = pynamodb_models.bind()
    out = {}
    for suffix, model in (("cases", bound.Case), ("case-events", bound.Event), ("meta", bound.Meta),
                          ("replies", bound.Reply), ("records", bound.Record)):
        attrs = model.get_attributes()

        def key(name: str) -> tuple[str, str]:
            return name, attrs[name].attr_type  # noqa: B023 - called in this iteration only

        indexes, include = {}, {}
        for index in model._indexes.values():  # pynamodb keeps the model's indexes here
            iattrs = index.Meta.attributes
            ihash = next(a for a in iattrs.values() if a.is_hash_key)
            irange = next((a for a in iattrs.values() if a.is_range_key), None)
            indexes[index.Meta.index_name] = (
                (ihash.attr_name, ihash.attr_type),
                (irange.attr_name, irange.attr_type) if irange else None,
                type(index.Meta.projection).__name__)
            if index.Meta.projection.non_key_attributes:
                include[index.Meta.index_name] = list(index.Meta.projection.non_key_attributes)
        ttl = model._ttl_attribute()
        out[suffix] = {"hash": key(model._hash_keyname),
                       "range": key(model._range_keyname) if model._range_keyname else None,
                       "indexes": indexes, "include": include, "ttl": ttl.attr_name if ttl else None,
                       "stream": getattr(model.Meta, "stream_view_type", None)}
    return out


class Tables:
    """The five tables (on demand, point-in-time recovery; prod: deletion protection and
    Retain). Created in the stack's scope: their logical ids (CasesTable, ...) stay the
    deployed ones."""

    def __init__(self, stack: cdk.Stack, names: ResourceNames, *, prod: bool) -> None:
        keep = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
        schemas = key_schemas()
        table_names = {"cases": names.cases_table, "case-events": names.events_table,
                       "meta": names.meta_table, "replies": names.replies_table,
                       "records": names.records_table}

        def attribute(key: tuple[str, str] | None) -> ddb.Attribute | None:
            return ddb.Attribute(name=key[0], type=_TYPES[key[1]]) if key else None

        def table(suffix: str) -> ddb.Table:
            schema = schemas[suffix]
            t = ddb.Table(
                stack, f"{suffix.title().replace('-', '')}Table",
                table_name=table_names[suffix],
                partition_key=attribute(schema["hash"]),
                sort_key=attribute(schema["range"]),
                billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True),
                time_to_live_attribute=schema["ttl"],
                # The meta table's stream starts case watchers (app's watch_stream, infra/functions.py).
                stream=ddb.StreamViewType(schema["stream"]) if schema["stream"] else None,
                deletion_protection=prod,
                removal_policy=keep,
            )
            for index_name, (ihash, irange, projection) in schema["indexes"].items():
                if projection == "AllProjection":
                    t.add_global_secondary_index(
                        index_name=index_name, projection_type=ddb.ProjectionType.ALL,
                        partition_key=attribute(ihash), sort_key=attribute(irange))
                elif projection == "IncludeProjection":
                    t.add_global_secondary_index(
                        index_name=index_name, projection_type=ddb.ProjectionType.INCLUDE,
                        non_key_attributes=schema["include"][index_name],
                        partition_key=attribute(ihash), sort_key=attribute(irange))
                else:
                    raise ValueError(f"{suffix}.{index_name}: only ALL and INCLUDE projections are built here")
            return t

        self.cases = table("cases")
        self.events = table("case-events")
        self.meta = table("meta")
        self.replies = table("replies")
        self.records = table("records")
        self.all = [self.cases, self.events, self.meta, self.replies, self.records]
