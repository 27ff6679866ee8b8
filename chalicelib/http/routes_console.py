"""The staff web console: static files served by the same Chalice app, as a
blueprint (``app.register_blueprint(console_routes)``).

The page and its scripts hold no data, so these routes are public; every call
the console makes goes to the API, which checks the bearer token and the
permission of each route. Only the files named in ``ASSETS`` are served: no
path from the request ever reaches the file system.
"""
from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib import config

console_routes = Blueprint(__name__)

ROOT = Path(__file__).resolve().parent / "console"

# file name -> Content-Type. Anything else is a 404.
ASSETS: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "logbook.js": "text/javascript; charset=utf-8",
    "i18n.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "keys.js": "text/javascript; charset=utf-8",
    "archive.js": "text/javascript; charset=utf-8",
    "dedupe.js": "text/javascript; charset=utf-8",
    "qr.js": "text/javascript; charset=utf-8",
    "reports.js": "text/javascript; charset=utf-8",
    "dupstats.js": "text/javascript; charset=utf-8",
    "timeline.js": "text/javascript; charset=utf-8",
    "library.js": "text/javascript; charset=utf-8",
    "flags.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}

# The console runs only its own scripts and talks only to this origin. Images
# come only from the system's own storage (attachments, through presigned URLs
# the API hands out): never from a link a tenant wrote (chalicelib/domain/attachments.py).
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data: {storage}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def _csp() -> str:
    return _csp_for(config.mail_bucket())


@lru_cache(maxsize=4)
def _csp_for(bucket: str) -> str:
    from chalicelib.adapters import s3  # the console's first request only: it signs with boto3 anyway
    return _CSP.format(storage=s3.storage_origin(s3.signer(), bucket))

# Both routes are public and listed in chalicelib/http/openapi.py ROUTES.


@cache
def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def asset(name: str) -> Response:
    content_type = ASSETS.get(name)
    if content_type is None:
        return Response(body='{"code":"not_found","message":"no such console file"}', status_code=404,
                        headers={"Content-Type": "application/json; charset=utf-8"})
    return Response(body=_read(name), status_code=200,
                    headers={"Content-Type": content_type, "Content-Security-Policy": _csp(), **_HEADERS})


@console_routes.route("/console", methods=["GET"])
def console_page():
    return asset("index.html")


@console_routes.route("/console/{name}", methods=["GET"])
def console_asset(name):
    return asset(name)
