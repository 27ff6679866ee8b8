"""The public web form (``/p/{property}``) and its QR codes, as a Chalice
blueprint (``app.register_blueprint(public_routes)``).

The form's page, script and API routes take no token: a visitor has no account.
The service (chalicelib/services/public_form_service.py) limits them per source
address and per contact and verifies the contact with a one-time code before
anything becomes a case. The QR route is staff's (``property.qr``).
"""
from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib import config, runtime
from chalicelib.domain.public_form import SubmissionExpired, pick_lang
from chalicelib.http import web
from chalicelib.http.authorizer import users

public_routes = Blueprint(__name__)


ROOT = Path(__file__).resolve().parent / "public"
# file name -> Content-Type; anything else is a 404 (no request path reaches the file system).
ASSETS: dict[str, str] = {
    "form.html": "text/html; charset=utf-8",
    "form.js": "text/javascript; charset=utf-8",
    "form.css": "text/css; charset=utf-8",
}
# The form runs only its own script and talks only to this origin; no images, no frames.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache",
            "Content-Security-Policy": _CSP}


def _request():
    return public_routes.current_request


@cache
def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def _asset(name: str, lang: str | None = None) -> Response:
    content_type = ASSETS.get(name)
    if content_type is None:
        return Response(body='{"code":"not_found","message":"no such file"}', status_code=404,
                        headers={"Content-Type": "application/json; charset=utf-8"})
    body = _read(name)
    if lang:  # the page's first language from Accept-Language; the page's switch changes it
        body = body.replace('<html lang="zh-Hans">', f'<html lang="{lang}">', 1)
    return Response(body=body, status_code=200, headers={"Content-Type": content_type, **_HEADERS})


def _source(req) -> str:
    """The caller's address as API Gateway saw it (not a header a caller can write)."""
    return str(((req.context or {}).get("identity") or {}).get("sourceIp") or "unknown")[:64]


@public_routes.route("/p/{property_id}", methods=["GET"])
def form_page(property_id):
    """The form's page; it holds no data (it reads the property's public information)."""
    return _asset("form.html", pick_lang(None, (_request().headers or {}).get("accept-language")))


@public_routes.route("/public/{name}", methods=["GET"])
def form_asset(name):
    return _asset(name if name != "form.html" else "")


@public_routes.route("/v1/public/properties/{property_id}", methods=["GET"])
@web.api
def form_information(property_id):
    """A property's name, hours, categories and phones, for the public form (404 unknown property)."""
    req = _request()
    info = runtime.public_form().form(web.property_id(property_id))
    return web.conditional(req, web.json_response(info), "public")


@public_routes.route("/v1/public/properties/{property_id}/submissions", methods=["POST"])
@web.api
def submit(property_id):
    """202: a pending submission; the code goes to the contact given. Nothing is a case yet."""
    req = _request()
    params = web.body(req, "PublicSubmission")
    params["lang"] = pick_lang(params.get("lang"), (req.headers or {}).get("accept-language"))
    result = runtime.public_form().submit(web.property_id(property_id), params, source=_source(req))
    return web.json_response(result, 202)


@public_routes.route("/v1/public/properties/{property_id}/submissions/{submission_id}/verify",
                      methods=["POST"])
@web.api
def verify(property_id, submission_id):
    """201 with the case number once the code is right (200 on a repeat); 422 wrong_code
    with ``attempts_left``; 410 submission_expired."""
    req = _request()
    params = web.body(req, "VerifySubmission")
    if not submission_id.replace("-", "").replace("_", "").isalnum() or len(submission_id) > 64:
        raise SubmissionExpired("this submission has expired; please fill in the form again")
    case, created = runtime.public_form().verify(web.property_id(property_id), submission_id, params["code"])
    return web.json_response({"case_id": case.case_id, "property_id": case.property_id, "channel": case.channel,
                              "verified": case.verified, "link": f"/p/{case.property_id}?case={case.case_id}"},
                             201 if created else 200)


@public_routes.route("/v1/properties/{property_id}/qr", methods=["GET"], authorizer=users)
@web.api
def qr_code(property_id):
    """The complaint box: an SVG QR code opening the form (``?area=`` / ``unit=`` / ``building=``
    fills the place in); its title and description carry the URL in plain text. ``Accept:
    application/json`` answers ``{url, label, svg}`` instead."""
    req = _request()
    params = web.query(req)
    location = {f"{k}_id": params[k] for k in ("area", "unit", "building") if params.get(k)}
    target = runtime.public_form().qr_target(web.principal(req), web.property_id(property_id), location or None)
    url = _base_url(req) + target["path"]
    import segno  # ~20 ms, the QR route only
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, title=url, desc=target["label"],
                                    encoding="utf-8")
    svg = out.getvalue().decode("utf-8")
    accept = (req.headers or {}).get("accept") or ""
    if "application/json" in accept and "image/svg+xml" not in accept:  # a client that wants the parts
        return web.json_response({"url": url, "label": target["label"], "svg": svg})
    return Response(body=svg, status_code=200,
                    headers={"Content-Type": "image/svg+xml; charset=utf-8", "Cache-Control": "no-cache",
                             "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"})


def _base_url(req) -> str:
    """Where visitors open the form: ``TD_PUBLIC_BASE_URL`` (the deployed domain), else this request's host."""
    configured = config.public_base_url()
    if configured:
        return configured.rstrip("/")
    headers = req.headers or {}
    host = "".join(ch for ch in (headers.get("host") or "localhost") if ch.isalnum() or ch in ".-:[]")[:100]
    proto = "https" if headers.get("x-forwarded-proto") == "https" else "http"
    return f"{proto}://{host}"
