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
