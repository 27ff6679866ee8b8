"""The API verifies a Cognito user pool's RS256 tokens itself (modes ``local`` with a
pool configured, and ``cognito_jwt``), with keys generated here: the same checks AWS
documents for a user pool token, and the same claims mapping as API Gateway's authorizer."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.domain.errors import Unauthorized
from chalicelib.http import identity
from chalicelib.http.identity import CognitoKeys, UserPool, authenticate, mint_token, verify_cognito_token
from tests.api.helpers import call
from tests.conftest import T0, TEST_SECRET

POOL = "ap-southeast-1_TestPool1"
ISSUER = f"https://cognito-idp.ap-southeast-1.amazonaws.com/{POOL}"
CLIENT = "app-client-1"
JWKS_URL = f"http://jwks.test/{POOL}/.well-known/jwks.json"
NOW = T0


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY, OTHER_KEY = _key(), _key()


def _jwks(*pairs):
    keys = []
    for kid, private in pairs:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


def _claims(**overrides):
    iat = int(NOW.timestamp())
    claims = {"sub": "5f1e-uuid", "iss": ISSUER, "aud": CLIENT, "token_use": "id", "iat": iat, "exp": iat + 3600,
              "cognito:groups": ["tenant"], "custom:properties": "P1", "custom:tenant_id": "tenant-1",
              "email": "li@example.cn", "name": "李女士", "locale": "zh-Hans"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _token(kid="k1", key=None, alg="RS256", **overrides):
    return jwt.encode(_claims(**overrides), key or KEY, algorithm=alg, headers={"kid": kid})


def _keys():
    return CognitoKeys(JWKS_URL, fetch=lambda: _jwks(("k1", KEY)))


def _verify(token, **kwargs):
    args = {"issuer": ISSUER, "client_ids": [CLIENT], "keys": _keys(), "now": NOW}
    args.update(kwargs)
    return verify_cognito_token(token, **args)


def _refused(code, token, **kwargs):
    with pytest.raises(Unauthorized) as info:
        _verify(token, **kwargs)
    assert info.value.code == code and info.value.status == 401
    return info.value.message


def test_a_good_id_token_gives_the_tenant_their_tenant_id_as_subject():
    pool = UserPool(ISSUER, [CLIENT], _keys())
    p = pool.principal(_token(), NOW)
    assert (p.subject, p.role, sorted(p.properties), p.name, p.lang) == ("tenant-1", "tenant", ["P1"], "李女士",
                                                                         "zh-Hans")


def test_staff_keep_their_cognito_sub_whatever_tenant_id_they_carry():
    pool = UserPool(ISSUER, [CLIENT], _keys())
    p = pool.principal(_token(**{"cognito:groups": ["front_desk"], "custom:tenant_id": "tenant-9"}), NOW)
    assert (p.subject, p.role) == ("5f1e-uuid", "front_desk")


def test_wrong_issuer_is_refused():
    assert "user pool" in _refused("invalid_token", _token(iss="https://cognito-idp.us-east-1.amazonaws.com/other"))


def test_another_app_client_is_refused():
    assert "app client" in _refused("invalid_token", _token(aud="someone-elses-client"))


def test_no_accepted_client_configured_refuses_everything():
    _refused("invalid_token", _token(), client_ids=[])


def test_expired_token_is_refused_as_expired():
    _refused("token_expired", _token(), now=NOW + timedelta(hours=1, seconds=31))
    assert _verify(_token(), now=NOW + timedelta(hours=1, seconds=29))["sub"] == "5f1e-uuid"  # 30 s leeway


def test_access_token_is_refused_with_a_hint_to_send_the_id_token():
    token = _token(token_use="access", aud=None, client_id=CLIENT)
    assert "id token" in _refused("invalid_token", token)
    # The verifier itself knows access tokens (client_id instead of aud), when asked for them.
    assert _verify(token, token_uses=("access",))["client_id"] == CLIENT


def test_tampered_signature_is_refused():
    head, body, sig = _token().split(".")
    forged = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged["custom:properties"] = "P1,P2"
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert "signature" in _refused("invalid_token", f"{head}.{body}.{sig}")
    # signed by a key that is not the pool's, under the pool's kid
    assert "signature" in _refused("invalid_token", _token(key=OTHER_KEY))


def test_unknown_kid_is_refused_and_refetches_the_keys_at_most_once_a_minute():
    fetches = []

    def fetch():
        fetches.append(1)
        return _jwks(("k1", KEY))

    keys = CognitoKeys(JWKS_URL, fetch=fetch)
    for _ in range(3):
        assert "unknown key" in _refused("invalid_token", _token(kid="rotated-k2", key=OTHER_KEY), keys=keys)
    assert _verify(_token(), keys=keys)["sub"] == "5f1e-uuid"
    assert len(fetches) == 1


def test_a_rotated_key_is_picked_up_after_the_refresh_interval(monkeypatch):
    served = [_jwks(("k1", KEY))]
    keys = CognitoKeys(JWKS_URL, fetch=lambda: served[-1])
    _verify(_token(), keys=keys)
    served.append(_jwks(("k1", KEY), ("k2", OTHER_KEY)))
    monkeypatch.setattr(identity, "JWKS_REFRESH_SECONDS", 0)
    assert _verify(_token(kid="k2", key=OTHER_KEY), keys=keys)["sub"] == "5f1e-uuid"


def test_unreachable_keys_refuse_the_token_without_a_500():
    def down():
        raise OSError("connection refused")
    _refused("invalid_token", _token(), keys=CognitoKeys(JWKS_URL, fetch=down))


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_a_token_that_is_not_rs256_is_refused(alg):
    if alg == "none":
        token = jwt.encode(_claims(), None, algorithm="none", headers={"kid": "k1"})
    else:
        token = jwt.encode(_claims(), "k" * 64, algorithm="HS256", headers={"kid": "k1"})
    _refused("invalid_token", token)


def test_local_mode_takes_dev_tokens_and_pool_tokens_side_by_side():
    pool = UserPool(ISSUER, [CLIENT], _keys())
    dev = mint_token(TEST_SECRET, subject="tenant-1", role="tenant", properties=["P1"], now=NOW)
    for token in (dev, _token()):
        p = authenticate({"Authorization": f"Bearer {token}"}, None, mode="local", secret=TEST_SECRET, now=NOW,
                         pool=pool)
        assert (p.subject, p.role) == ("tenant-1", "tenant")


def test_cognito_jwt_mode_refuses_dev_tokens():
    pool = UserPool(ISSUER, [CLIENT], _keys())
    dev = mint_token(TEST_SECRET, subject="tenant-1", role="tenant", properties=["P1"], now=NOW)
    with pytest.raises(Unauthorized) as info:
        authenticate({"Authorization": f"Bearer {dev}"}, None, mode="cognito_jwt", secret=TEST_SECRET, now=NOW,
                     pool=pool)
    assert info.value.code == "invalid_token"
    with pytest.raises(Unauthorized) as info:
        authenticate({"Authorization": f"Bearer {_token()}"}, None, mode="cognito_jwt", secret=None, now=NOW)
    assert info.value.code == "auth_not_configured"


@pytest.fixture
def pool_configured(monkeypatch):
    monkeypatch.setenv("TD_USER_POOL_ID", POOL)
    monkeypatch.setenv("TD_USER_POOL_CLIENT_IDS", f"other-client, {CLIENT}")
    monkeypatch.setenv("TD_COGNITO_JWKS_URL", JWKS_URL)
    monkeypatch.setitem(identity._KEYS, JWKS_URL, _keys())


@pytest.mark.parametrize("mode", ["local", "cognito_jwt"])
def test_api_answers_a_pool_token_and_refuses_a_forged_one(client, pool_configured, monkeypatch, mode):
    monkeypatch.setenv("TD_AUTH_MODE", mode)
    status, me = call(client, "GET", "/v1/me", _token())
    assert status == 200 and me["subject"] == "tenant-1" and me["role"] == "tenant" and me["name"] == "李女士"
    status, body = call(client, "GET", "/v1/me", _token(key=OTHER_KEY))
    assert status == 401 and body["code"] == "invalid_token"


def test_now_is_the_injected_clock_not_the_wall_clock():
    long_ago = datetime(2001, 1, 1, tzinfo=timezone.utc)
    token = jwt.encode(_claims(iat=int(long_ago.timestamp()), exp=int(long_ago.timestamp()) + 60), KEY,
                       algorithm="RS256", headers={"kid": "k1"})
    assert _verify(token, now=long_ago)["token_use"] == "id"


def test_openapi_declares_the_cognito_code_flow_and_the_local_bearer_with_sign_in_steps():
    from chalicelib.http.openapi import ROUTES, document
    doc = document()
    schemes = doc["components"]["securitySchemes"]
    flow = schemes["cognito"]["flows"]["authorizationCode"]
    assert schemes["cognito"]["type"] == "oauth2" and "openid" in flow["scopes"]
    assert flow["authorizationUrl"].endswith("/oauth2/authorize") and flow["tokenUrl"].endswith("/oauth2/token")
    assert schemes["localBearer"] == {**schemes["localBearer"], "type": "http", "scheme": "bearer"}
    assert "## Signing in" in doc["info"]["description"] and "code_challenge_method=S256" in doc["info"]["description"]
    for (method, path), (_s, permission, _b, _st) in ROUTES.items():
        security = doc["paths"][path][method.lower()].get("security")
        assert security == ([{"cognito": ["openid"]}, {"localBearer": []}] if permission else None), path
