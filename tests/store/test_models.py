"""The pynamodb models are module-level classes bound to the configured tables
lazily: a change of table names or region between tests (or stages) takes
effect at the next ``bind()``, connection included."""
from __future__ import annotations

from chalicelib.adapters import models
from chalicelib.adapters.models import CaseModel, EventModel, MetaModel, RecordModel, ReplyModel, bind, create_tables


def test_models_and_indexes_are_importable_module_level_classes():
    bound = bind()
    assert (bound.Case, bound.Event, bound.Meta, bound.Reply, bound.Record) == (
        CaseModel, EventModel, MetaModel, ReplyModel, RecordModel)
    assert isinstance(CaseModel.by_tenant, models.ByTenant)
    assert CaseModel.by_tenant._model is CaseModel
    assert set(CaseModel._indexes) == {"by_tenant", "open_queue", "dept_queue", "by_activity", "dedupe"}
    assert set(ReplyModel._indexes) == {"reply_queue"}


def test_a_changed_table_prefix_takes_effect_at_the_next_bind(aws, monkeypatch):
    monkeypatch.setenv("TD_TABLE_PREFIX", "first")
    create_tables(bind())
    MetaModel("pk", "sk", data={"at": "first"}).save()

    monkeypatch.setenv("TD_TABLE_PREFIX", "second")
    bound = bind()
    assert bound.Meta.Meta.table_name == "second-meta"
    assert bound.Meta._get_connection().table_name == "second-meta"
    create_tables(bound)
    assert list(MetaModel.batch_get([("pk", "sk")])) == []
    MetaModel("pk", "sk", data={"at": "second"}).save()

    monkeypatch.setenv("TD_TABLE_PREFIX", "first")
    assert bind().Meta.get("pk", "sk").data == {"at": "first"}


def test_a_changed_region_gets_a_new_connection(monkeypatch):
    bind()
    before = CaseModel._get_connection()
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    bind()
    after = CaseModel._get_connection()
    assert after is not before
    assert after.connection.region == "eu-west-1"
    assert CaseModel.Meta.region == "eu-west-1"


def test_binding_again_with_the_same_config_keeps_the_connection():
    bind()
    connection = EventModel._get_connection()
    bind()
    assert EventModel._get_connection() is connection
