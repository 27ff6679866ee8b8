"""Hostile input on every route: never a 500, always our error shape, nothing stored.

The write routes are read from the app's own route table (``app.routes``,
blueprints included), so a new write route is fuzzed as soon as it exists.
Each gets, with a valid token and real path parameters (a tenant's case, an
email case's reply, a handover, from the authorisation matrix's ``World``):

* deeply nested JSON (30,000 ``[``, bare and inside the body object);
* a JSON-escaped lone surrogate (``\\ud800``) in a value and in a key;
* huge numbers (10**400 and 1e400) in every integer field of the route's schema.

Each must be a 400/413/422 ``{code, message, details?}``, and every DynamoDB
table must hold exactly what it held before. GET routes get lone surrogates
and odd bytes in their query strings and path parameters: never a 5xx.
"""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import pytest

from chalicelib.domain.auth import PERMISSIONS
from chalicelib.http.openapi import ROUTES
from chalicelib.schemas import SCHEMAS
from tests.api.helpers import call
from tests.security.test_authz_matrix import MAIL_BUCKET, OWN, World, body_for, permission_for, token_for

HUGE = "1" + "0" * 400
NESTING = 30_000


def _app_routes() -> list[tuple[str, str]]:
    from app import app
    return sorted((method, path) for path, entries in app.routes.items() for method in entries)


WRITE_ROUTES = [(m, p) for m, p in _app_routes() if m in ("POST", "PUT", "PATCH", "DELETE")]
READ_ROUTES = [(m, p) for m, p in _app_routes() if m == "GET"]


def _role(method: str, path: str) -> str:
    """A role allowed on the route, so a request reaches the body parser for the right reason."""
    if permission_for(method, path, "tenant") is None:
        return "tenant"  # a public route (the web form): any caller, the token is not read
    for role in ("admin", "tenant", "manager", "front_desk"):
        if role in PERMISSIONS[permission_for(method, path, role)]:
            return role
    raise AssertionError(f"no role may call {method} {path}")


def _schema(method: str, path: str, role: str) -> dict:
    name = ROUTES[(method, path)][2]
    if name == "SubmitCase" and role != "tenant":
        name = "LogCase"
    return SCHEMAS[name] if name else {"properties": {}}


def _huge_numbers(schema: dict, body: dict) -> str:
    """``body`` with 10**400 in every integer field the schema names (inside
    arrays of objects too), as JSON text; a body with no integer field gets one extra."""
    marker = "\u2063HUGE\u2063"
    body = json.loads(json.dumps(body))
    found = False
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "integer":
            body[name], found = marker, True
        elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
            item = dict.fromkeys(prop["items"].get("required", []), "x")
            item.update({n: marker for n, p in prop["items"]["properties"].items() if p.get("type") == "integer"})
            if len(item) > len(prop["items"].get("required", [])):
                body[name], found = [item], True
    if not found:
        body["n"] = marker
    return json.dumps(body, ensure_ascii=False).replace(json.dumps(marker, ensure_ascii=False), HUGE)


def _with_surrogate_value(body: dict) -> dict:
    body = json.loads(json.dumps(body))
    for key, value in body.items():
        if isinstance(value, str):
            body[key] = value + "\ud800"
            return body
        if isinstance(value, dict):
            for inner, text in value.items():
                if isinstance(text, str):
                    value[inner] = "\udc00" + text
                    return body
    body["text"] = "\ud800"
    return body


def hostile_bodies(method: str, path: str, role: str) -> dict[str, bytes]:
    valid = body_for(method, path, role) or {}
    schema = _schema(method, path, role)
    huge = _huge_numbers(schema, valid)
    return {
        "nested array": b"[" * NESTING + b"]" * NESTING,
        "nested in the object": b'{"x":' + b"[" * NESTING + b"]" * NESTING + b"}",
        "nested objects": b'{"a":' * 2000 + b"1" + b"}" * 2000,
        "lone surrogate in a value": json.dumps(_with_surrogate_value(valid)).encode(),
        "lone surrogate in a key": json.dumps({**valid, "\ud800": "x"}).encode(),
        "10**400": huge.encode(),
        "1e400": huge.replace(HUGE, "1e400").encode(),
        "NaN": huge.replace(HUGE, "NaN").encode(),
    }


def dynamodb_snapshot() -> dict[str, list[str]]:
    """Every item of every table, read from moto's backend (no Scan on the API's path)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib import config
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][config.region()].tables
    return {name: sorted(json.dumps(item.to_json(), sort_keys=True) for item in table.all_items())
            for name, table in tables.items()}


@pytest.fixture
def world(client, mailbox, monkeypatch):
    from tests.api.test_notify_api import configure_push
    monkeypatch.setenv("TD_MAIL_BUCKET", MAIL_BUCKET)  # the bodies' attachments are stored objects there
    configure_push(monkeypatch)
    return World(client)


def _is_error_shape(body) -> bool:
    return (isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("message"), str)
            and set(body) <= {"code", "message", "developer_message", "details"})


def test_the_route_table_lists_every_write_route():
    assert len(WRITE_ROUTES) >= 24
    assert ("POST", "/v1/properties/{property_id}/cases") in WRITE_ROUTES
    assert ("POST", "/v1/properties/{property_id}/handovers/{shift_end}/sign") in WRITE_ROUTES  # a blueprint's


@pytest.mark.parametrize("method,path", WRITE_ROUTES, ids=[f"{m} {p}" for m, p in WRITE_ROUTES])
def test_hostile_json_is_refused_with_our_error_shape_and_stores_nothing(world, method, path):
    role = _role(method, path)
    world.prepare(path, role)
    url, token = world.url(path), token_for(role, OWN)
    failures = []
    for name, raw in hostile_bodies(method, path, role).items():
        before = dynamodb_snapshot()
        status, body = call(world.client, method, url, token, raw=raw)
        if status not in (400, 413, 422) or not _is_error_shape(body):
            failures.append(f"{name}: {status} {str(body)[:200]}")
        elif dynamodb_snapshot() != before:
            failures.append(f"{name}: {status}, but stored data changed")
    assert not failures, f"{method} {path} as {role}:\n" + "\n".join(failures)


def test_every_integer_in_every_request_schema_has_both_bounds():
    def integers(schema, where):
        if isinstance(schema, dict):
            if schema.get("type") == "integer":
                yield where, schema
            for key, value in schema.items():
                yield from integers(value, f"{where}.{key}")
        elif isinstance(schema, list):
            for i, value in enumerate(schema):
                yield from integers(value, f"{where}[{i}]")

    found = list(integers(SCHEMAS, "SCHEMAS"))
    assert found
    unbounded = [where for where, s in found if "minimum" not in s or "maximum" not in s]
    assert not unbounded


ODD = ["\ud800", "%ED%A0%80", "%FF%FE", "%00", "%C0%AF", "a\x00b", "\udcff\u4e2d", "%E4%B8%AD%F0%9F"]


def _with_params(path: str, world: World, odd: str) -> list[str]:
    """The path with each of its parameters in turn replaced by ``odd``."""
    urls = []
    for name in re.findall(r"{(\w+)}", path):
        url = path.replace("{" + name + "}", odd)
        try:
            urls.append(world.url(url))
        except AssertionError:  # a parameter World has no value for (the console's file name): use odd too
            urls.append(re.sub(r"{\w+}", odd, url))
    return urls


@pytest.mark.parametrize("method,path", READ_ROUTES, ids=[f"{m} {p}" for m, p in READ_ROUTES])
def test_odd_query_strings_and_path_parameters_are_never_a_server_error(world, method, path):
    role = _role(method, path) if ROUTES[(method, path)][1] else "admin"
    world.build(path)
    token = token_for(role, OWN)
    urls = []
    for odd in ODD:
        urls += _with_params(path, world, odd)
        try:
            base = world.url(path)
        except AssertionError:
            base = re.sub(r"{\w+}", "index.html", path)
        urls += [f"{base}?cursor={odd}", f"{base}?limit={odd}&department={odd}",
                 f"{base}?{odd}=1", f"{base}?cursor={quote(odd, errors='surrogatepass')}"]
    base = world.url(path) if "{name}" not in path else path.replace("{name}", "index.html")
    deep = base64.urlsafe_b64encode(b'{"s":' + b"[" * 1100).decode()  # deep enough, and under the length cap
    urls += [f"{base}?cursor={'W' * 3000}", f"{base}?cursor={deep}"]
    failures = []
    for url in urls:
        status, body = call(world.client, method, url, token)
        if status >= 500:
            failures.append(f"{url[:120]!r}: {status} {str(body)[:200]}")
    assert not failures, "\n".join(failures)
