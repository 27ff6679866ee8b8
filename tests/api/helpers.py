import json


def call(client, method, path, token=None, body=None, headers=None, raw=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else b"")
    resp = getattr(client.http, method.lower())(path, headers=h, body=data)
    try:
        payload = json.loads(resp.body) if resp.body else None
    except ValueError:
        payload = resp.body
    return resp.status_code, payload


def case_url(cid, suffix="", property_id="P1"):
    return f"/v1/properties/{property_id}/cases/{cid}{suffix}"


def read_case(client, cid, token, property_id="P1"):
    """A case as ``token``'s holder reads it (asserting the read succeeds)."""
    status, body = call(client, "GET", case_url(cid, property_id=property_id), token)
    assert status == 200, body
    return body
