"""Authentication: who is calling, as a :class:`~chalicelib.domain.auth.Principal`.

Three ways, chosen by ``config.auth_mode()``:

* ``local``       – an HS256 bearer token signed with a dev key (see ``chalicelib.cli``);
  and, when a user pool is configured, the pool's RS256 ID tokens, verified as in
  ``cognito_jwt`` (the local stack signs people in through moto's cognito-idp).
* ``cognito_jwt`` – the pool's RS256 ID tokens only, verified here with the pool's JWKS
  (:func:`verify_cognito_token`: signature, ``iss``, ``token_use``, ``aud``, ``exp``).
* ``cognito``     – API Gateway's Cognito user-pool authorizer has already verified the
  caller; we only map the claims it hands us onto a Principal.

Both Cognito ways end in the same :func:`principal_from_cognito_claims`.

No clock reads (``now`` is always injected); ``jwt`` is imported lazily so importing
this module stays cheap.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from chalicelib.domain.auth import _LANG_BY_LOWER, _ROLE_RANK, DEFAULT_LANG, LANGS, ROLES, Principal
from chalicelib.domain.errors import Unauthorized

TOKEN_ISSUER = "tenantdesk-local"
TOKEN_AUDIENCE = "tenantdesk"
TOKEN_ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 12 * 3600
EXP_LEEWAY_SECONDS = 30
MAX_PROPERTIES = 50
# A real token of ours is a few hundred bytes; anything this long is refused unparsed.
MAX_TOKEN_LENGTH = 8192


# --------------------------------------------------------------------------- local tokens


def _timestamp(now: datetime) -> float:
    """Seconds since the epoch; a naive ``now`` is taken to be UTC (never local time)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.timestamp()


def _invalid(message: str) -> Unauthorized:
    return Unauthorized(message, code="invalid_token")


def mint_token(
    secret: str,
    *,
    subject: str,
    role: str,
    properties: Iterable[str],
    now: datetime,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    name: str = "",
    email: str = "",
    lang: str = DEFAULT_LANG,
    department: str | None = None,
) -> str:
    """Sign an HS256 token that :func:`verify_token` accepts.

    Bad arguments are programming errors and raise ``ValueError``: minting a token
    that could never verify helps nobody.
    """
    import jwt  # PyJWT loads with the first token, not with the app

    if not secret:
        raise ValueError("secret must be a non-empty string")
    if not isinstance(subject, str) or not subject:
        raise ValueError("subject must be a non-empty string")
    if role not in _ROLE_RANK:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
    if isinstance(properties, str):
        raise ValueError("properties must be an iterable of property ids, not a string")
    props = list(dict.fromkeys(properties))  # de-duplicated, order kept
    if not props or len(props) > MAX_PROPERTIES or not all(isinstance(p, str) and p for p in props):
        raise ValueError(f"properties must be 1..{MAX_PROPERTIES} non-empty strings")
    if lang not in LANGS:
        raise ValueError(f"unknown lang {lang!r}; expected one of {LANGS}")
    if department is not None and (not isinstance(department, str) or not department.strip()):
        raise ValueError("department must be a non-empty string or None")
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be a positive integer")

    iat = int(_timestamp(now))
    claims = {
        "sub": subject,
        "role": role,
        "props": props,
        "name": name,
        "email": email,
        "lang": lang,
        "iat": iat,
        "exp": iat + ttl_seconds,
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
    }
    if department:
        claims["dept"] = department.strip()
    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


def _numeric_claim(payload: dict[str, Any], claim: str) -> float | None:
    value = payload.get(claim)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise _invalid(f"token claim {claim!r} must be a number")
    return float(value)


def _optional_str_claim(payload: dict[str, Any], claim: str) -> str:
    value = payload.get(claim, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(f"token claim {claim!r} must be a string")
    return value


def verify_token(secret: str, token: str, *, now: datetime) -> Principal:
    """Verify a local HS256 token against ``now`` and return its principal.

    Raises ``Unauthorized`` with code ``token_expired`` or ``invalid_token`` (or
    ``auth_not_configured`` for an empty secret); never anything else.
    """
    if not secret:
        raise Unauthorized("authentication is not configured", code="auth_not_configured")
    if not isinstance(token, str) or not token.strip():
        raise _invalid("token is empty")
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise _invalid("token is too long")
    if not token.isascii() or token.count(".") != 2:
        raise _invalid("token is malformed")

    import jwt

    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            audience=TOKEN_AUDIENCE,
            issuer=TOKEN_ISSUER,
            # Time-based checks are done below against the injected ``now``;
            # PyJWT would compare them to the wall clock.
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": True,
                "verify_iss": True,
                "require": ["exp", "iss", "aud", "sub", "role", "props"],
            },
        )
    except jwt.InvalidAlgorithmError:
        raise _invalid("token algorithm is not accepted") from None
    except jwt.InvalidSignatureError:
        raise _invalid("token signature does not verify") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _invalid(f"token is missing the {exc.claim!r} claim") from None
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
        raise _invalid("token was not issued for this service") from None
    except jwt.InvalidTokenError:
        raise _invalid("token is malformed") from None
    except Exception:  # noqa: BLE001 - garbage input must never become a 500
        raise _invalid("token is malformed") from None

    if not isinstance(payload, dict):
        raise _invalid("token payload is not an object")

    now_ts = _timestamp(now)
    exp = _numeric_claim(payload, "exp")
    if exp is None:
        raise _invalid("token is missing the 'exp' claim")
    if now_ts >= exp + EXP_LEEWAY_SECONDS:
        raise Unauthorized("token has expired; sign in again", code="token_expired")
    for claim in ("iat", "nbf"):
        ts = _numeric_claim(payload, claim)
        if ts is not None and ts > now_ts + EXP_LEEWAY_SECONDS:
            raise _invalid(f"token is not valid yet ({claim} is in the future)")

    subject = payload.get("sub")
    if not isinstance(subject, str) or not subject:
        raise _invalid("token 'sub' claim must be a non-empty string")
    role = payload.get("role")
    if not isinstance(role, str) or role not in _ROLE_RANK:
        raise _invalid("token 'role' claim is not a known role")
    props = payload.get("props")
    if (
        not isinstance(props, list)
        or not props
        or len(props) > MAX_PROPERTIES
        or not all(isinstance(p, str) and p for p in props)
    ):
        raise _invalid(f"token 'props' claim must be a list of 1..{MAX_PROPERTIES} non-empty strings")

    name = _optional_str_claim(payload, "name")
    email = _optional_str_claim(payload, "email")
    lang = payload.get("lang")
    lang = lang if isinstance(lang, str) and lang in LANGS else DEFAULT_LANG
    department = _optional_str_claim(payload, "dept").strip() or None

    return Principal(
        subject=subject,
        role=role,
        properties=frozenset(props),
        name=name,
        email=email,
        lang=lang,
        department=department,
    )


# --------------------------------------------------------------------------- cognito

_GROUP_SPLIT = re.compile(r"[\s,]+")


def _cognito_groups(raw: Any) -> list[str]:
    """``cognito:groups`` as a list: a real list, or API Gateway's flattened string
    (``"[manager, admin]"``, ``"[manager admin]"``, ``"manager,admin"``)."""
    if raw is None:
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return [g.strip("\"'") for g in _GROUP_SPLIT.split(text) if g.strip("\"'")]
    if isinstance(raw, (list, tuple, set, frozenset)):
        return [g.strip() for g in raw if isinstance(g, str) and g.strip()]
    return []


def _cognito_properties(raw: Any) -> list[str]:
    if isinstance(raw, str):
        items = raw.split(",")
    elif isinstance(raw, (list, tuple, set, frozenset)):
        items = [p for p in raw if isinstance(p, str)]
    else:
        return []
    return list(dict.fromkeys(p.strip() for p in items if p.strip()))


def _lang_from_locale(raw: Any) -> str:
    if isinstance(raw, str):
        return _LANG_BY_LOWER.get(raw.strip().replace("_", "-").lower(), DEFAULT_LANG)
    return DEFAULT_LANG


def principal_from_cognito_claims(claims: dict) -> Principal:
    """Map claims already verified (by API Gateway's Cognito authorizer, or by
    :func:`verify_cognito_token`) to a principal.

    Role: the highest known group (admin > director > manager > dept_staff >
    shift_lead > front_desk > security > tenant); unknown groups are ignored.
    A tenant's subject is ``custom:tenant_id`` (set by the system when the front desk
    invites them, never writable by the user), so their cases are found by it; without
    one it is the Cognito ``sub``.
    """
    if not isinstance(claims, Mapping):
        raise _invalid("authorizer claims are missing")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise _invalid("authorizer claims have no subject")

    known = [g for g in _cognito_groups(claims.get("cognito:groups")) if g in _ROLE_RANK]
    if not known:
        raise _invalid("user is in no Tenantdesk group")
    role = max(known, key=_ROLE_RANK.__getitem__)

    props = _cognito_properties(claims.get("custom:properties"))
    if not props:
        raise _invalid("user is not assigned to any property")
    if len(props) > MAX_PROPERTIES:
        raise _invalid(f"user is assigned to more than {MAX_PROPERTIES} properties")

    subject = subject.strip()
    tenant_id = claims.get("custom:tenant_id")
    if role == "tenant" and isinstance(tenant_id, str) and tenant_id.strip():
        subject = tenant_id.strip()
    name = claims.get("name")
    email = claims.get("email")
    # Set by admins only: the app clients may neither write custom attributes (infra).
    department = claims.get("custom:department")
    return Principal(
        subject=subject,
        role=role,
        properties=frozenset(props),
        name=name if isinstance(name, str) else "",
        email=email if isinstance(email, str) else "",
        lang=_lang_from_locale(claims.get("locale")),
        department=department.strip() or None if isinstance(department, str) else None,
    )


# --------------------------------------------------------------------------- cognito tokens, verified here

COGNITO_ALGORITHM = "RS256"
# How often an unknown ``kid`` may make us fetch the pool's keys again (a key rotation);
# a stream of forged kids costs one fetch a minute, not one per request.
JWKS_REFRESH_SECONDS = 60
JWKS_TIMEOUT_SECONDS = 3


class CognitoKeys:
    """The pool's public signing keys, fetched from its JWKS URL on first use and kept
    for the life of the process (one Lambda instance: a cold start fetches once)."""

    def __init__(self, url: str, fetch: Any = None) -> None:
        self.url = url
        self._fetch = fetch or self._download
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None

    def _download(self) -> dict:
        import urllib.request  # only on a JWKS fetch
        with urllib.request.urlopen(self.url, timeout=JWKS_TIMEOUT_SECONDS) as response:  # the configured JWKS URL
            return json.loads(response.read())

    def _load(self) -> None:
        import jwt
        try:
            data = self._fetch()
            keys = jwt.PyJWKSet.from_dict(data).keys
        except Exception:  # noqa: BLE001 - an unreachable or broken JWKS refuses tokens, never a 500
            self._fetched_at = time.monotonic()
            raise Unauthorized("the sign-in keys could not be loaded; try again", code="invalid_token") from None
        self._keys = {k.key_id: k for k in keys if k.key_id}
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> Any:
        if kid not in self._keys and (self._fetched_at is None
                                      or time.monotonic() - self._fetched_at >= JWKS_REFRESH_SECONDS):
            self._load()
        found = self._keys.get(kid)
        if found is None:
            raise _invalid("token was signed with an unknown key")
        return found.key


_KEYS: dict[str, CognitoKeys] = {}


def cognito_keys(url: str) -> CognitoKeys:
    """One key cache per JWKS URL per process."""
    if url not in _KEYS:
        _KEYS[url] = CognitoKeys(url)
    return _KEYS[url]


def verify_cognito_token(
    token: str,
    *,
    issuer: str,
    client_ids: Iterable[str],
    keys: CognitoKeys,
    now: datetime,
    token_uses: tuple[str, ...] = ("id",),
) -> dict[str, Any]:
    """Verify a Cognito user pool token as AWS documents it and return its claims:
    RS256 signature by a key of the pool's JWKS (``kid``), ``iss`` the pool's URL,
    ``token_use`` one of ``token_uses``, the app client (``aud`` of an ID token,
    ``client_id`` of an access token) one of ``client_ids``, ``exp`` against ``now``.

    The API accepts ID tokens only: an access token carries neither the user's
    properties nor their tenant id. Raises ``Unauthorized`` (``invalid_token``,
    ``token_expired``), never anything else.
    """
    if not isinstance(token, str) or not token.strip():
        raise _invalid("token is empty")
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise _invalid("token is too long")
    if not token.isascii() or token.count(".") != 2:
        raise _invalid("token is malformed")

    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except Exception:  # noqa: BLE001
        raise _invalid("token is malformed") from None
    if header.get("alg") != COGNITO_ALGORITHM:
        raise _invalid("token algorithm is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _invalid("token names no signing key")
    key = keys.key(kid)
    try:
        payload = jwt.decode(
            token, key, algorithms=[COGNITO_ALGORITHM], issuer=issuer,
            # exp/iat against the injected ``now`` below; aud/client_id by token_use below.
            options={"verify_signature": True, "verify_exp": False, "verify_iat": False, "verify_nbf": False,
                     "verify_aud": False, "verify_iss": True, "require": ["exp", "iss", "sub", "token_use"]},
        )
    except jwt.InvalidSignatureError:
        raise _invalid("token signature does not verify") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _invalid(f"token is missing the {exc.claim!r} claim") from None
    except jwt.InvalidIssuerError:
        raise _invalid("token was not issued by this service's user pool") from None
    except Exception:  # noqa: BLE001 - garbage input must never become a 500
        raise _invalid("token is malformed") from None
    if not isinstance(payload, dict):
        raise _invalid("token payload is not an object")

    token_use = payload.get("token_use")
    if token_use not in token_uses:
        raise _invalid(f"send the {' or '.join(token_uses)} token of your sign-in, not the {token_use!r} token")
    audience = payload.get("aud") if token_use == "id" else payload.get("client_id")
    allowed = set(client_ids)
    if not allowed or not isinstance(audience, str) or audience not in allowed:
        raise _invalid("token was issued to an app client this API does not accept")

    now_ts = _timestamp(now)
    exp = _numeric_claim(payload, "exp")
    if exp is None or now_ts >= exp + EXP_LEEWAY_SECONDS:
        raise Unauthorized("token has expired; refresh it or sign in again", code="token_expired")
    iat = _numeric_claim(payload, "iat")
    if iat is not None and iat > now_ts + EXP_LEEWAY_SECONDS:
        raise _invalid("token is not valid yet (iat is in the future)")
    return payload


def _is_rs256(token: str) -> bool:
    """Whether a bearer token says it is RS256 (a user pool's); unverified, only to pick the verifier.
    Each verifier pins its own algorithm, so a token cannot choose a weaker one."""
    try:
        import jwt
        return jwt.get_unverified_header(token).get("alg") == COGNITO_ALGORITHM
    except Exception:  # noqa: BLE001
        return False


# --------------------------------------------------------------------------- entry point


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == wanted:
                value = candidate
                break
    return value if isinstance(value, str) else None


class UserPool:
    """What verifying a pool's tokens here needs: its issuer, the accepted app clients, its keys."""

    def __init__(self, issuer: str, client_ids: Iterable[str], keys: CognitoKeys) -> None:
        self.issuer, self.client_ids, self.keys = issuer, tuple(client_ids), keys

    def principal(self, token: str, now: datetime) -> Principal:
        claims = verify_cognito_token(token, issuer=self.issuer, client_ids=self.client_ids, keys=self.keys,
                                      now=now)
        return principal_from_cognito_claims(claims)


def _bearer(headers: Mapping[str, str]) -> str:
    value = (_header(headers, "Authorization") or "").strip()
    if not value:
        raise Unauthorized("an 'Authorization: Bearer <token>' header is required", code="missing_token")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        raise _invalid("the Authorization header must use the Bearer scheme")
    token = token.strip()
    if not token:
        raise Unauthorized("the Bearer token is empty", code="missing_token")
    return token


def authenticate(
    headers: Mapping[str, str],
    authorizer_claims: dict | None,
    *,
    mode: str,
    secret: str | None,
    now: datetime,
    pool: UserPool | None = None,
) -> Principal:
    """Who is calling. Raises ``Unauthorized`` with code ``missing_token``,
    ``invalid_token``, ``token_expired`` or ``auth_not_configured``.

    ``pool``: the user pool whose tokens are verified here (modes ``local`` and
    ``cognito_jwt``); None when no pool is configured."""
    mode = (mode or "").strip().lower() if isinstance(mode, str) else ""

    if mode == "cognito":
        if not authorizer_claims:
            raise Unauthorized("no verified identity was passed by the authorizer", code="missing_token")
        return principal_from_cognito_claims(authorizer_claims)

    if mode == "cognito_jwt":
        if pool is None:
            raise Unauthorized("authentication is not configured (no user pool)", code="auth_not_configured")
        return pool.principal(_bearer(headers), now)

    if mode == "local":
        if not secret and pool is None:
            raise Unauthorized(
                "authentication is not configured (no signing key)", code="auth_not_configured"
            )
        token = _bearer(headers)
        if pool is not None and _is_rs256(token):
            return pool.principal(token, now)
        if not secret:
            raise Unauthorized("authentication is not configured (no signing key)", code="auth_not_configured")
        return verify_token(secret, token, now=now)

    raise Unauthorized("authentication is not configured (unknown auth mode)", code="auth_not_configured")
