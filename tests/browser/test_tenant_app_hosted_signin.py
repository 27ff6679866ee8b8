"""The tenant app's sign-in on AWS: the hosted UI's authorization code flow with PKCE
(infra gives every function TD_HOSTED_UI_URL and the apps' client). moto has no hosted
UI, so a small authorization server here plays Cognito's two endpoints as the app uses
them: /oauth2/authorize answers with a redirect back to the app carrying a code, and
/oauth2/token takes that code only with the verifier whose S256 hash was the challenge
(and the same redirect URI and client), later a refresh token. The stack runs with the
hosted UI configured, so its CSP must let the app reach the token endpoint too."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.test_console import token
from tests.browser.test_tenant_app import open_app
from tests.e2e.test_devstack import launch

# A well-formed token the API refuses (its signature is not the stack's): the app's first
# call meets a 401 and must refresh through the token endpoint.
STALE = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c3RhbGU"


class HostedUi:
    """Cognito's hosted UI, the two endpoints the app calls; records what it was asked."""

    def __init__(self) -> None:
        self.codes: dict[str, dict[str, str]] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.id_token = ""  # the stack's tenant token, set once the stack is up
        self.app_origin = ""
        ui = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def _answer(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json",
                                    "Access-Control-Allow-Origin": ui.app_origin, **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                ui.seen.append(("authorize", q))
                if url.path != "/oauth2/authorize" or q.get("response_type") != "code" \
                        or q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                    return self._answer(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(12)
                ui.codes[code] = q
                back = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
                return self._answer(302, headers={"Location": back})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                ui.seen.append(("token", form))
                if self.path != "/oauth2/token":
                    return self._answer(404)
                if form.get("grant_type") == "refresh_token":
                    if form.get("refresh_token") != "refresh-1":
                        return self._answer(400, {"error": "invalid_grant"})
                    return self._answer(200, {"id_token": ui.id_token, "access_token": "a2", "expires_in": 1800,
                                              "token_type": "Bearer"})
                asked = ui.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                same = asked is not None and all(form.get(k) == asked[k] for k in ("redirect_uri", "client_id"))
                if not same or challenge != asked["code_challenge"]:
                    return self._answer(400, {"error": "invalid_grant"})
                return self._answer(200, {"id_token": STALE, "access_token": "a1", "refresh_token": "refresh-1",
                                          "expires_in": 1800, "token_type": "Bearer"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def asked(self, kind: str) -> list[dict[str, str]]:
        return [q for k, q in self.seen if k == kind]


@pytest.fixture(scope="module")
def hosted():
    ui = HostedUi()
    yield ui
    ui.server.shutdown()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, hosted):
    for running in launch(tmp_path_factory.mktemp("hosted-stack"),
                          settings={"TD_HOSTED_UI_URL": hosted.url, "TD_APP_SIGNIN": "hosted_ui"}):
        hosted.id_token = token(running, "TENANT")
        hosted.app_origin = running.url
        yield running


def test_a_tenant_signs_in_through_the_hosted_ui_with_pkce_and_the_app_refreshes_a_refused_token(
        browser, stack, hosted):
    context, page, problems = open_app(browser, stack, "iphone")
    try:
        page.wait_for_selector("#signin-hosted")
        assert page.locator("#signin-form").count() == 0  # no password form: the apps' client allows none
        config = page.evaluate("fetch('/app/config.json').then(r => r.json())")
        page.tap("#signin-hosted")
        page.wait_for_selector("#case-list li.case")  # the list the API gave the tenant's token
        (authorize,) = hosted.asked("authorize")
        assert authorize["client_id"] == config["client_id"]
        assert authorize["redirect_uri"] == stack.url + "/app/index.html"
        assert authorize["scope"] == "openid email profile" and len(authorize["state"]) >= 16
        exchange, refresh = hosted.asked("token")
        assert exchange["grant_type"] == "authorization_code" and len(exchange["code_verifier"]) >= 43
        assert refresh == {"client_id": config["client_id"], "grant_type": "refresh_token",
                           "refresh_token": "refresh-1"}
        # Signed in as the stack's demo tenant: their own cases are listed, the code is gone from the address.
        assert "code=" not in page.url and "state=" not in page.url
        assert problems == []  # no CSP refusal of the token endpoint, no script error
    finally:
        context.close()


def test_a_code_whose_state_is_not_the_one_the_app_sent_is_refused_without_asking_for_tokens(browser, stack, hosted):
    context, page, problems = open_app(browser, stack, "android")
    try:
        before = len(hosted.asked("token"))
        page.goto(stack.url + "/app/index.html?code=stolen&state=not-ours")
        page.wait_for_selector("#signin-hosted")
        assert len(hosted.asked("token")) == before  # a forged redirect never reaches the token endpoint
        assert page.evaluate("localStorage.getItem('td.session')") is None
        assert page.locator("#nav-new").count() == 0
    finally:
        context.close()
