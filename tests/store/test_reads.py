"""adapters/reads.py: the submit path's BatchGetItem and Query on the lean client
answer what pynamodb's own batch_get and index query answer, unprocessed keys and
further pages included."""
from __future__ import annotations

import pytest
from pynamodb.exceptions import GetError

from chalicelib.adapters import reads
from chalicelib.adapters.dynamodb import _connection
from chalicelib.adapters.models import bind, create_tables


def test_batch_get_returns_the_existing_items_as_pynamodb_does(aws):
    m = bind()
    create_tables(m)
    m.Meta("COUNTER#P1", "20261206", n=7).save()
    m.Meta("IDEMP#t-1", "k", data={"case": "P1#TD-1", "說明": "繁體 / 简体"}).save()
    client = _connection("ap-southeast-1").client
    keys = [("COUNTER#P1", "20261206"), ("IDEMP#t-1", "k"), ("IDEMP#t-1", "missing"), ("COUNTER#P1", "20261206")]
    ours = {(i.pk, i.sk): i.attribute_values for i in reads.batch_get(client, m.Meta, keys)}
    theirs = {(i.pk, i.sk): i.attribute_values for i in m.Meta.batch_get(list(dict.fromkeys(keys)))}
    assert ours == theirs
    assert ours[("IDEMP#t-1", "k")]["data"] == {"case": "P1#TD-1", "說明": "繁體 / 简体"}
    assert ours[("COUNTER#P1", "20261206")]["n"] == 7
    assert reads.batch_get(client, m.Meta, []) == []


class _Throttled:
    """A client whose first answers leave keys unprocessed, as DynamoDB does under throttling."""

    def __init__(self, table: str, item: dict, unprocessed_times: int):
        self.table, self.item, self.left, self.calls = table, item, unprocessed_times, []

    def batch_get_item(self, RequestItems):
        self.calls.append(RequestItems)
        if self.left:
            self.left -= 1
            return {"Responses": {self.table: []}, "UnprocessedKeys": RequestItems}
        return {"Responses": {self.table: [self.item]}}


def test_unprocessed_keys_are_asked_again_until_answered(monkeypatch):
    monkeypatch.setattr(reads, "BATCH_PAUSE_S", 0)
    m = bind()
    client = _Throttled(m.Meta.Meta.table_name, {"pk": {"S": "A"}, "sk": {"S": "b"}, "n": {"N": "3"}}, 2)
    found = reads.batch_get(client, m.Meta, [("A", "b")])
    assert [(i.pk, i.sk, i.n) for i in found] == [("A", "b", 3)]
    assert len(client.calls) == 3


def test_keys_never_processed_raise_rather_than_answer_not_found(monkeypatch):
    monkeypatch.setattr(reads, "BATCH_PAUSE_S", 0)
    m = bind()
    client = _Throttled(m.Meta.Meta.table_name, {}, 99)
    with pytest.raises(GetError):
        reads.batch_get(client, m.Meta, [("A", "b")])
    assert len(client.calls) == reads.BATCH_ATTEMPTS


def test_query_on_an_index_newest_first_with_a_limit_across_pages(aws, monkeypatch):
    m = bind()
    create_tables(m)
    for n in range(1, 8):
        m.Case("P1", f"TD-2026120{n}-0001", status="received", body={}, channel="app", tier="front_desk",
               created_key=f"2026-12-0{n}T01:00:00Z#P1#TD-{n}", dedupe_key="P1#air_conditioning",
               dedupe={"place": "3栋1201", "text": f"冷氣不冷 {n}"}).save()
    m.Case("P1", "TD-20261207-0002", status="received", body={}, channel="app", tier="front_desk",
           created_key="2026-12-07T02:00:00Z#P1#TD-x", dedupe_key="P1#cleaning").save()
    client = _connection("ap-southeast-1").client
    pages = []
    real_query = client.query

    def small_pages(**request):  # as if each page hit DynamoDB's 1 MB: three items at most
        pages.append(request.get("ExclusiveStartKey"))
        return real_query(**{**request, "Limit": min(request["Limit"], 3)})

    monkeypatch.setattr(client, "query", small_pages)
    found = reads.query(client, m.Case, index="dedupe", newest_first=True, limit=5,
                        key_condition=(m.Case.dedupe_key == "P1#air_conditioning")
                        & (m.Case.created_key >= "2026-12-02"))
    assert [c.case_id for c in found] == [f"TD-2026120{n}-0001" for n in (7, 6, 5, 4, 3)]
    assert found[0].dedupe == {"place": "3栋1201", "text": "冷氣不冷 7"}
    assert len(pages) == 2 and pages[0] is None and pages[1] is not None


def test_get_answers_as_model_get_and_raises_does_not_exist_when_absent(aws):
    from pynamodb.exceptions import DoesNotExist
    m = bind()
    create_tables(m)
    m.Case("P1", "TD-20261206-0003", status="assigned", body={"content": "走廊燈壞了 / 走廊灯坏了"}, channel="phone",
           tier="manager", created_key="k").save()
    client = _connection("ap-southeast-1").client
    ours = reads.get(client, m.Case, "P1", "TD-20261206-0003", consistent_read=True)
    assert ours.attribute_values == m.Case.get("P1", "TD-20261206-0003").attribute_values
    assert (ours.version, ours.body["content"]) == (1, "走廊燈壞了 / 走廊灯坏了")
    with pytest.raises(DoesNotExist):
        reads.get(client, m.Case, "P1", "TD-20261206-9999")


def test_more_than_a_hundred_keys_go_in_requests_of_a_hundred(aws):
    m = bind()
    create_tables(m)
    for n in range(0, 150, 7):
        m.Meta("MANY", f"k{n:03d}", n=n).save()
    client = _connection("ap-southeast-1").client
    sizes = []
    real = client.batch_get_item

    def counting(RequestItems):
        sizes.append(len(next(iter(RequestItems.values()))["Keys"]))
        return real(RequestItems=RequestItems)

    client.batch_get_item = counting
    try:
        found = reads.batch_get(client, m.Meta, [("MANY", f"k{n:03d}") for n in range(150)])
    finally:
        del client.batch_get_item
    assert sorted(i.n for i in found) == list(range(0, 150, 7)) and sizes == [100, 50]
