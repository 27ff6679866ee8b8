"""The transactions' botocore client sends a fixed User-Agent (bench/submit_path.py:
botocore otherwise rebuilds its own string twice per request)."""
from __future__ import annotations

from chalicelib.adapters.dynamodb import USER_AGENT, _connection


def test_the_transaction_client_sends_the_fixed_user_agent_and_keeps_pynamodbs_settings():
    client = _connection("eu-west-1").client
    assert client.meta.config.user_agent == USER_AGENT
    assert USER_AGENT.startswith("tenantdesk Botocore/")
    # pynamodb's own Config (its retries, timeouts) is merged over ours, not replaced.
    assert client.meta.config.retries == {"total_max_attempts": 4, "mode": "standard"}
    assert client.meta.config.read_timeout == 30


def test_the_header_on_the_wire_is_the_fixed_string():
    client = _connection("eu-west-1").client
    seen: list[str] = []

    def capture(request, **_kwargs):
        seen.append(request.headers["User-Agent"])
        raise _Stop()

    client.meta.events.register("before-send.dynamodb.TransactWriteItems", capture)
    try:
        client.transact_write_items(TransactItems=[{"ConditionCheck": {
            "TableName": "t", "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_exists(pk)"}}])
    except _Stop:
        pass
    finally:
        client.meta.events.unregister("before-send.dynamodb.TransactWriteItems", capture)
    header = seen[0].decode() if isinstance(seen[0], bytes) else seen[0]
    assert header.startswith(USER_AGENT)  # Powertools, once imported, appends its own "PT/..." part


class _Stop(Exception):
    pass
