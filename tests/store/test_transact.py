"""adapters/transact.py builds the very TransactWriteItems request pynamodb's
TransactWrite builds for the same items (its cheaper path must not change what
DynamoDB is asked), and reports a cancelled transaction as pynamodb does."""
from __future__ import annotations

import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb import _connection
from chalicelib.adapters.models import bind, create_tables
from chalicelib.adapters.transact import Transaction


def _items(tx, m):
    """The same calls on either builder: puts with and without conditions, a
    versioned item new and at a version, updates with and without the version."""
    meta, case, record = m.Meta, m.Case, m.Record
    tx.save(meta("COUNTER#P1", "20261206", n=4), condition=meta.n == 3)
    tx.save(meta("IDEMP#t-1", "key-1", data={"case": "P1#TD-1", "语言": "中文 / 中文"}),
            condition=meta.pk.does_not_exist())
    tx.save(case("P1", "TD-20261206-0004", status="received", body={"content": "冷氣不冷"}, tenant_id="t-1",
               created_key="k", channel="app", tier="front_desk"),
            condition=case.case_id.does_not_exist())
    at_three = case("P1", "TD-20261206-0001", status="assigned", body={}, created_key="k", channel="email",
                    tier="manager")
    at_three.version = 3
    tx.save(at_three)
    tx.save(record("FEED#t-1", "2026-12-06T01:00:00Z#P1#TD-1#000001", data={"k": "v"}),
            condition=record.pk.does_not_exist())
    tx.update(record("FEED#t-1", "~HEAD"), actions=[record.counter.add(1)], add_version_condition=False)
    tx.update(meta("QUOTA#t-1", "h"), actions=[meta.n.add(1)], condition=meta.n.does_not_exist() | (meta.n < 20))


def test_the_request_is_the_one_pynamodb_builds():
    m = bind()
    theirs = TransactWrite(connection=_connection("ap-southeast-1"))
    ours = Transaction(client=None)
    _items(theirs, m)
    _items(ours, m)
    expected = [{"Put": p} for p in theirs._put_items] + [{"Update": u} for u in theirs._update_items]
    assert ours.items == expected
    # The version steps as pynamodb's: 3 is the condition, 4 is written; a new item is written at 1.
    versioned = ours.items[3]["Put"]
    assert versioned["Item"]["version"] == {"N": "4"}
    assert versioned["ExpressionAttributeValues"] == {":0": {"N": "3"}}
    assert ours.items[2]["Put"]["Item"]["version"] == {"N": "1"}


def test_a_cancelled_transaction_raises_pynamodbs_error_with_the_reasons_in_order(aws):
    m = bind()
    create_tables(m)
    client = _connection("ap-southeast-1").client
    with Transaction(client) as tx:
        tx.save(m.Meta("COUNTER#P1", "20261206", n=1), condition=m.Meta.pk.does_not_exist())
    with pytest.raises(TransactWriteError) as caught:
        with Transaction(client) as tx:
            tx.save(m.Meta("A", "fresh", data={"x": 1}), condition=m.Meta.pk.does_not_exist())
            tx.save(m.Meta("COUNTER#P1", "20261206", n=2), condition=m.Meta.n == 5)
    assert [r.code if r else None for r in caught.value.cancellation_reasons] == [None, "ConditionalCheckFailed"]
    assert caught.value.cause_response_code == "TransactionCanceledException"
    # Nothing of the cancelled transaction was written; the first one was.
    assert m.Meta.get("COUNTER#P1", "20261206").n == 1
    assert list(m.Meta.batch_get([("A", "fresh")])) == []


def test_a_committed_transaction_steps_the_models_local_version(aws):
    m = bind()
    create_tables(m)
    item = m.Case("P1", "TD-20261206-0009", status="received", body={"content": "電梯異響"}, created_key="k",
                  channel="app", tier="front_desk")
    with Transaction(_connection("ap-southeast-1").client) as tx:
        tx.save(item, condition=m.Case.case_id.does_not_exist())
    assert item.version == 1
    stored = m.Case.get("P1", "TD-20261206-0009")
    assert (stored.version, stored.body) == (1, {"content": "電梯異響"})


def test_nothing_is_sent_when_the_block_raises():
    calls = []

    class Client:
        def transact_write_items(self, **kwargs):
            calls.append(kwargs)

    m = bind()
    with pytest.raises(RuntimeError):
        with Transaction(Client()) as tx:
            tx.save(m.Meta("A", "b"))
            raise RuntimeError("the caller changed its mind")
    assert calls == []
