"""pynamodb models, built from the access patterns:

- case by id: ``cases`` table, hash ``property_id``, range ``case_id``;
- a tenant's cases, newest first: GSI ``by_tenant`` (``tenant_id``, ``created_key``);
- a property's open queue by next deadline: sparse GSI ``open_queue``
  (``queue_property``, ``next_due_key``), present only while the case is open;
  status/kind/department/category/channel/tier are top-level so they can filter;
- a department's open queue by next deadline: sparse GSI ``dept_queue``
  (``dept_queue`` = ``<property>#<department>``, ``next_due_key``), present
  while the case is open and has a department;
- a property's cases by last change: GSI ``by_activity`` (``activity_property``,
  ``updated_key`` = ``<updated_at>#<case_id>``), for what a shift or day touched;
- duplicate candidates of a new case: sparse GSI ``dedupe`` (``dedupe_key`` =
  ``<property>#<category>``, ``created_key``), set while the case has a category and
  was not merged away; an INCLUDE projection of ``status`` and ``dedupe`` (the place,
  reporter, a compact text, closed_at: chalicelib/domain/duplicates.py ``Candidate``),
  so one Query reads small items (about 0.5 KB each), not whole cases;
- a case's audit trail in order: ``case_events`` table (``case_key``, ``seq``);
- property settings, case-number counters, idempotency records, mail
  threading ids, tenant addresses and quarantined mail: ``meta`` table
  (``pk``, ``sk``), always read by key or one partition;
- written replies of a case: ``replies`` table (``case_key``, ``reply_id``);
  a manager's approval queue and the outbox: sparse GSI ``reply_queue``
  (``queue`` = ``pending#<property>`` | ``unsent`` | ``sending``, ``queued_at``);
- the front office's records (key register and loans, the handover logbook,
  the owner archive and its access log): ``records`` table (``pk``, ``sk``),
  one partition per property and kind of record, with a sparse GSI ``lookup``
  (``lookup_pk``, ``lookup_sk``) for the second access path each kind needs
  (keys out by due time, a resident by phone number, ...). Key formats live
  in the adapter that owns each kind, never in services.

The models and their indexes are module-level classes (an index class beside
its model), so they can be imported and typed. Table names come from config,
which is read lazily (environment variables differ per stage and per test):
``bind()`` writes the configured names and region into each model's ``Meta``
at first use and whenever config has changed since.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib import config

NO_DUE = "~"  # sorts after every ISO timestamp: cases without a pending deadline go last


class TextJSONAttribute(JSONAttribute):
    """JSON stored as UTF-8 text, not \\u escapes: Chinese content stays
    readable in the console and takes half the bytes."""

    def serialize(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- cases -------------------------------------------------------------------

class ByTenant(GlobalSecondaryIndex["CaseModel"]):
    class Meta:
        index_name = "by_tenant"
        projection = AllProjection()
    tenant_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class OpenQueue(GlobalSecondaryIndex["CaseModel"]):
    class Meta:
        index_name = "open_queue"
        projection = AllProjection()
    queue_property = UnicodeAttribute(hash_key=True)
    next_due_key = UnicodeAttribute(range_key=True)


class DeptQueue(GlobalSecondaryIndex["CaseModel"]):
    # A department's open cases, earliest deadline first: its staff's everyday
    # view is one Query, not a filter over the whole property's queue.
    class Meta:
        index_name = "dept_queue"
        projection = AllProjection()
    dept_queue = UnicodeAttribute(hash_key=True)
    next_due_key = UnicodeAttribute(range_key=True)


class ByActivity(GlobalSecondaryIndex["CaseModel"]):
    # A property's cases by their last change: what a shift or a day touched,
    # however old the case (handovers and statistics).
    class Meta:
        index_name = "by_activity"
        projection = AllProjection()
    activity_property = UnicodeAttribute(hash_key=True)
    updated_key = UnicodeAttribute(range_key=True)


class Dedupe(GlobalSecondaryIndex["CaseModel"]):
    # A new case's duplicate candidates: the property's cases of its category, newest
    # first, one Query (chalicelib/adapters/dynamodb.py duplicate_candidates).
    class Meta:
        index_name = "dedupe"
        projection = IncludeProjection(["status", "dedupe"])
    dedupe_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class CaseModel(Model):
    class Meta:
        table_name: str | None = None  # set by bind()
        region: str | None = None  # set by bind()
        billing_mode = "PAY_PER_REQUEST"
    property_id = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute(null=True)
    created_key = UnicodeAttribute()
    queue_property = UnicodeAttribute(null=True)
    dept_queue = UnicodeAttribute(null=True)  # "<property>#<department>" while open and routed
    activity_property = UnicodeAttribute(null=True)
    updated_key = UnicodeAttribute(null=True)  # "<updated_at>#<case_id>"
    next_due_key = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    kind = UnicodeAttribute(null=True)
    department = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    tier = UnicodeAttribute()
    body = TextJSONAttribute()
    dedupe_key = UnicodeAttribute(null=True)  # "<property>#<category>" while categorised and not merged
    dedupe = TextJSONAttribute(null=True)  # what the dedupe index projects (duplicates.Candidate)
    version = VersionAttribute()
    by_tenant = ByTenant()
    open_queue = OpenQueue()
    dept_queue_index = DeptQueue()
    by_activity = ByActivity()
    dedupe_index = Dedupe()


# --- a case's audit trail ------------------------------------------------------

class EventModel(Model):
    class Meta:
        table_name: str | None = None  # set by bind()
        region: str | None = None  # set by bind()
        billing_mode = "PAY_PER_REQUEST"
    case_key = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    actor = TextJSONAttribute()
    changes = TextJSONAttribute()
    data = TextJSONAttribute()


# --- settings, counters, idempotency, mail records --------------------------------

class MetaModel(Model):
    class Meta:
        table_name: str | None = None  # set by bind()
        region: str | None = None  # set by bind()
        billing_mode = "PAY_PER_REQUEST"
        # Its stream starts case watchers from their outbox records (adapters/watch_stream.py);
        # create_tables and infra/tables.py both read it from here.
        stream_view_type = "NEW_IMAGE"
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    n = NumberAttribute(null=True)
    data = TextJSONAttribute(null=True)
    expires_at = TTLAttribute(null=True)


# --- written replies -----------------------------------------------------------

class ReplyQueue(GlobalSecondaryIndex["ReplyModel"]):
    class Meta:
        index_name = "reply_queue"
        projection = AllProjection()
    queue = UnicodeAttribute(hash_key=True)
    queued_at = UnicodeAttribute(range_key=True)


class ReplyModel(Model):
    class Meta:
        table_name: str | None = None  # set by bind()
        region: str | None = None  # set by bind()
        billing_mode = "PAY_PER_REQUEST"
    case_key = UnicodeAttribute(hash_key=True)
    reply_id = UnicodeAttribute(range_key=True)
    queue = UnicodeAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    body = TextJSONAttribute()
    version = VersionAttribute()
    reply_queue = ReplyQueue()


# --- the front office's records -----------------------------------------------------

class RecordLookup(GlobalSecondaryIndex["RecordModel"]):
    # The second access path of a kind of record: sparse, set only on items that need it.
    class Meta:
        index_name = "lookup"
        projection = AllProjection()
    lookup_pk = UnicodeAttribute(hash_key=True)
    lookup_sk = UnicodeAttribute(range_key=True)


class RecordModel(Model):
    class Meta:
        table_name: str | None = None  # set by bind()
        region: str | None = None  # set by bind()
        billing_mode = "PAY_PER_REQUEST"
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    lookup_pk = UnicodeAttribute(null=True)
    lookup_sk = UnicodeAttribute(null=True)
    data = TextJSONAttribute(null=True)
    # An atomic counter (ADD) beside ``data``, e.g. a notification feed's unread count (notify_store).
    counter = NumberAttribute(null=True)
    version = VersionAttribute()
    expires_at = TTLAttribute(null=True)
    lookup = RecordLookup()


# --- binding to the configured tables ----------------------------------------------

@dataclass(frozen=True)
class Models:
    Case: type[CaseModel]
    Event: type[EventModel]
    Meta: type[MetaModel]
    Reply: type[ReplyModel]
    Record: type[RecordModel]


MODELS = Models(CaseModel, EventModel, MetaModel, ReplyModel, RecordModel)


def _bind_model(model: type[Model], table_name: str, region: str) -> None:
    meta = model.Meta
    if meta.table_name == table_name and meta.region == region:
        return
    meta.table_name, meta.region = table_name, region
    # pynamodb caches one TableConnection per model class and replaces it only
    # when the table name changes (Model._get_connection), not the region:
    # drop it so the next request builds one for the table and region bound now.
    model._connection = None


def bind() -> Models:
    """The models, bound to the tables configured now (cheap when nothing changed)."""
    region = config.region()
    _bind_model(CaseModel, config.cases_table(), region)
    _bind_model(EventModel, config.events_table(), region)
    _bind_model(MetaModel, config.meta_table(), region)
    _bind_model(ReplyModel, config.replies_table(), region)
    _bind_model(RecordModel, config.records_table(), region)
    return MODELS


def create_tables(models: Models) -> None:
    """Create the tables if missing (local stack and tests; infra/ owns AWS)."""
    for model in (models.Case, models.Event, models.Meta, models.Reply, models.Record):
        if not model.exists():
            model.create_table(wait=True)
