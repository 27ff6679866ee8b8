"""The local stack's replacement for moto's TransactWriteItems
(devstack/moto_compat.py) behaves exactly like moto's own: the same items
afterwards and the same errors, for transactions that succeed, that are
cancelled after earlier operations were applied, and that are invalid. Each
scenario runs twice on fresh tables, once per implementation, and the
outcomes are compared."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack import moto_compat

REGION = "ap-southeast-1"


def s(value: str) -> dict:
    return {"S": value}


def make_tables(ddb) -> None:
    ddb.create_table(TableName="one", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.create_table(TableName="two", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}])
    ddb.put_item(TableName="one", Item={"pk": s("kept"), "v": {"N": "1"}, "note": s("楼道灯坏了")})
    ddb.put_item(TableName="one", Item={"pk": s("doomed"), "v": {"N": "1"}})
    ddb.put_item(TableName="two", Item={"pk": s("P1"), "sk": s("TD-0001"), "status": s("received"), "v": {"N": "1"}})


TOUCHED = [("one", {"pk": s(k)}) for k in ("kept", "doomed", "new")] + [
    ("two", {"pk": s("P1"), "sk": s(k)}) for k in ("TD-0001", "TD-0002")]


def snapshot(ddb) -> list:
    """Every item any scenario touches, as stored (None: absent)."""
    return [ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") for table, key in TOUCHED]


PUT_NEW = {"Put": {"TableName": "one", "Item": {"pk": s("new"), "v": {"N": "1"}},
                   "ConditionExpression": "attribute_not_exists(pk)"}}
PUT_OVER = {"Put": {"TableName": "one", "Item": {"pk": s("kept"), "v": {"N": "9"}}}}
UPDATE_RANGE = {"Update": {"TableName": "two", "Key": {"pk": s("P1"), "sk": s("TD-0001")},
                           "UpdateExpression": "SET #s = :s ADD v :one",
                           "ConditionExpression": "v = :v",
                           "ExpressionAttributeNames": {"#s": "status"},
                           "ExpressionAttributeValues": {":s": s("routed"), ":one": {"N": "1"}, ":v": {"N": "1"}}}}
UPDATE_CREATES = {"Update": {"TableName": "two", "Key": {"pk": s("P1"), "sk": s("TD-0002")},
                             "UpdateExpression": "SET #s = :s", "ExpressionAttributeNames": {"#s": "status"},
                             "ExpressionAttributeValues": {":s": s("received")}}}
DELETE = {"Delete": {"TableName": "one", "Key": {"pk": s("doomed")}}}
CHECK_FAILS = {"ConditionCheck": {"TableName": "one", "Key": {"pk": s("kept")},
                                  "ConditionExpression": "v = :two", "ExpressionAttributeValues": {":two": {"N": "2"}},
                                  "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
PUT_EXISTING_FAILS = {"Put": {"TableName": "one", "Item": {"pk": s("doomed"), "v": {"N": "5"}},
                              "ConditionExpression": "attribute_not_exists(pk)"}}
BAD_UPDATE = {"Update": {"TableName": "one", "Key": {"pk": s("kept")}, "UpdateExpression": "SET v = :missing"}}
SCENARIOS = {
    "all apply": [PUT_NEW, PUT_OVER, UPDATE_RANGE, UPDATE_CREATES, DELETE],
    "last condition fails after four writes": [PUT_NEW, UPDATE_RANGE, UPDATE_CREATES, DELETE, CHECK_FAILS],
    "two conditions fail": [PUT_EXISTING_FAILS, UPDATE_RANGE, CHECK_FAILS],
    "same item twice": [UPDATE_RANGE, PUT_NEW, {"Delete": {"TableName": "one", "Key": {"pk": s("new")}}}],
    "invalid update after a write": [PUT_NEW, DELETE, BAD_UPDATE],
    "unknown table": [PUT_NEW, {"Put": {"TableName": "nope", "Item": {"pk": s("x")}}}],
}


def outcome(ddb, items: list[dict]) -> tuple:
    try:
        ddb.transact_write_items(TransactItems=items)
        error = None
    except ClientError as exc:
        reasons = [(r.get("Code"), r.get("Item")) for r in exc.response.get("CancellationReasons", [])]
        error = (exc.response["Error"]["Code"], reasons)
    return error, snapshot(ddb)


@pytest.mark.parametrize("name", SCENARIOS)
def test_item_level_rollback_matches_moto(aws, monkeypatch, name):
    from moto.dynamodb.models import DynamoDBBackend

    ddb = boto3.client("dynamodb", region_name=REGION)
    # The suite runs on the thread-safe moto (tests/conftest.py): compare with moto's own method.
    original = getattr(DynamoDBBackend, "_tenantdesk_moto_methods", {}).get("transact_write_items",
                                                                          DynamoDBBackend.transact_write_items)
    assert original.__module__ == "moto.dynamodb.models" and original is not moto_compat.transact_write_items
    results = []
    for implementation in (original, moto_compat.transact_write_items):
        monkeypatch.setattr(DynamoDBBackend, "transact_write_items", implementation)
        for table in ddb.list_tables()["TableNames"]:
            ddb.delete_table(TableName=table)
        make_tables(ddb)
        results.append(outcome(ddb, SCENARIOS[name]))
    assert results[0] == results[1]
    if name != "all apply":
        assert results[1][0] is not None  # the scenario did fail, and was rolled back alike
