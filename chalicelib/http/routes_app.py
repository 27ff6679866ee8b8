"""The tenant app (a PWA): static files served by the same Chalice app at /app,
as a blueprint (``app.register_blueprint(app_routes)``), like the staff console.

The files hold no data, so these routes are public; every call the app makes
goes to the API with the tenant's bearer token. Only the files named in
``ASSETS`` are served (text only: the icon is SVG, no binary media types); no
path from the request reaches the file system.
``/app/config.json`` tells the app how to sign in here (see ``sign_in_config``).
The service worker is served from /app/ so that its scope is /app/.
"""
from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice import Blueprint, Response

from chalicelib import config

app_routes = Blueprint(__name__)

ROOT = Path(__file__).resolve().parent / "app"

_JS = "text/javascript; charset=utf-8"
# file name -> Content-Type. Anything else is a 404.
ASSETS: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": _JS,
    "api.js": _JS,
    "i18n.js": _JS,
    "icons.js": _JS,
    "drafts.js": _JS,
    "photo.js": _JS,
    "sw.js": _JS,
    "app.css": "text/css; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json; charset=utf-8",
    "icon.svg": "image/svg+xml",
}

# Only its own scripts; it talks to this origin, to the photo storage (presigned
# POST uploads and GETs) and, to sign in, to the user pool's endpoint
# (sign_in_config). Images: the system's storage, data: (the photo previews
# are made on the device as data URLs) and blob:.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' {connect}; "
        "img-src 'self' data: blob: {storage}; manifest-src 'self'; worker-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'")
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def cognito_endpoint() -> str | None:
    """Where the app sends InitiateAuth: the AWS endpoint (or the local stack's
    moto, through AWS_ENDPOINT_URL), only when a user pool is configured."""
    if not config.user_pool_id():
        return None
    override = config._env("TD_COGNITO_ENDPOINT") or config._env("AWS_ENDPOINT_URL")
    return (override.rstrip("/") + "/") if override else f"https://cognito-idp.{config.region()}.amazonaws.com/"


def sign_in_config() -> dict[str, Any]:
    """How the app signs in on this deployment.

    - ``password``: USER_PASSWORD_AUTH straight to the pool's endpoint (the
      password never reaches this API). Locally (moto knows no SRP nor hosted UI)
      and wherever the app client allows that flow (TD_APP_SIGNIN=password).
    - ``hosted_ui``: on AWS the apps' client allows SRP and the hosted UI's code
      flow with PKCE only (infra/identity.py); the app redirects to
      ``hosted_ui`` and exchanges the code at its /oauth2/token.
    - ``developer_token``: true when the API accepts the local HS256 tokens.
    """
    clients = config.user_pool_client_ids()
    client_id = config._env("TD_APP_CLIENT_ID") or (clients[-1] if clients else None)
    hosted = config._env("TD_HOSTED_UI_URL")
    local = config.auth_mode() == "local"
    mode = config._env("TD_APP_SIGNIN") or ("password" if local or not hosted else "hosted_ui")
    return {"mode": mode if client_id else "none", "region": config.region(), "client_id": client_id,
            "endpoint": cognito_endpoint() if client_id else None, "hosted_ui": hosted,
            "developer_token": local}


def _csp() -> str:
    endpoint = sign_in_config()
    connect = " ".join(o for o in (_origin(endpoint.get("endpoint")), _origin(endpoint.get("hosted_ui"))) if o)
    return _csp_for(config.mail_bucket(), connect)


@lru_cache(maxsize=4)
def _csp_for(bucket: str, connect: str) -> str:
    from chalicelib.adapters import s3  # first request only: presigned URLs are signed with boto3 anyway
    storage = s3.storage_origin(s3.signer(), bucket)
    origins = dict.fromkeys([storage, *connect.split()])  # in order, once each
    return _CSP.format(storage=storage, connect=" ".join(origins))


@cache
def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def asset(name: str) -> Response:
    content_type = ASSETS.get(name)
    if content_type is None:
        return Response(body='{"code":"not_found","message":"no such app file"}', status_code=404,
                        headers={"Content-Type": "application/json; charset=utf-8"})
    headers: dict[str, str | list[str]] = {"Content-Type": content_type, "Content-Security-Policy": _csp(), **_HEADERS}
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/app/"
    return Response(body=_read(name), status_code=200, headers=headers)

# The routes are public and listed in chalicelib/http/openapi.py ROUTES.


@app_routes.route("/app", methods=["GET"])
def app_page():
    """To the page inside the service worker's scope (/app/): a page at /app is not controlled by it."""
    return Response(body="", status_code=302, headers={"Location": "/app/index.html", **_HEADERS})


@app_routes.route("/app/config.json", methods=["GET"])
def app_config():
    return Response(body=json.dumps(sign_in_config()), status_code=200,
                    headers={"Content-Type": "application/json; charset=utf-8", **_HEADERS})


@app_routes.route("/app/{name}", methods=["GET"])
def app_asset(name):
    return asset(name)
