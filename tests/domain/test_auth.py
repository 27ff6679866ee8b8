"""Behaviour of chalicelib.domain.auth (tokens, Cognito claims, permissions) and the token CLI."""
from __future__ import annotations

import ast
import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import cli
from chalicelib.domain import auth
from chalicelib.domain.auth import APPROVER_ROLES, PERMISSIONS, ROLES, STAFF_ROLES, Principal, authorize
from chalicelib.domain.errors import Forbidden, NotFound, Unauthorized
from chalicelib.http.identity import authenticate, mint_token, principal_from_cognito_claims, verify_token

SECRET = "test-secret-" + "0123456789abcdef" * 4  # >= 64 bytes: no PyJWT key-length warning even for HS512
OTHER_SECRET = "another-secret-" + "fedcba9876543210" * 4
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _claims(**overrides):
    iat = int(NOW.timestamp())
    claims = {
        "sub": "mgr-1",
        "role": "manager",
        "props": ["P1"],
        "name": "王经理",
        "email": "wang@example.com",
        "lang": "zh-Hans",
        "iat": iat,
        "exp": iat + 3600,
        "iss": "tenantdesk-local",
        "aud": "tenantdesk",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()


def _signed(claims, secret=SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def _token(**kwargs) -> str:
    args = {"subject": "mgr-1", "role": "manager", "properties": ["P1"], "now": NOW}
    args.update(kwargs)
    return mint_token(SECRET, **args)


def _principal(role: str, *properties: str) -> Principal:
    return Principal(subject=f"{role}-1", role=role, properties=frozenset(properties or ("P1",)))


def _unauthorized(code: str, fn, *args, **kwargs) -> Unauthorized:
    with pytest.raises(Unauthorized) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value.message
    assert info.value.status == 401
    assert info.value.message
    return info.value


# --------------------------------------------------------------------------- round trip


def test_minted_token_verifies_back_to_the_same_principal_with_chinese_name_intact():
    token = _token(properties=["P1", "P2"], name="王经理", email="wang@example.com", lang="zh-Hant")

    principal = verify_token(SECRET, token, now=NOW)

    assert principal == Principal(
        subject="mgr-1",
        role="manager",
        properties=frozenset({"P1", "P2"}),
        name="王经理",
        email="wang@example.com",
        lang="zh-Hant",
    )
    assert principal.is_staff
    assert principal.in_property("P2") and not principal.in_property("P3")


def test_minted_token_carries_the_documented_claims():
    token = _token(ttl_seconds=600)

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})

    assert header["alg"] == "HS256"
    assert claims["iss"] == "tenantdesk-local"
    assert claims["aud"] == "tenantdesk"
    assert claims["props"] == ["P1"]
    assert claims["iat"] == int(NOW.timestamp())
    assert claims["exp"] == int(NOW.timestamp()) + 600
    assert set(claims) == {"sub", "role", "props", "name", "email", "lang", "iat", "exp", "iss", "aud"}


def test_default_token_lives_twelve_hours():
    claims = jwt.decode(_token(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 12 * 3600


def test_tenant_principal_is_not_staff():
    principal = verify_token(SECRET, _token(subject="tenant-7", role="tenant"), now=NOW)
    assert principal.role == "tenant"
    assert not principal.is_staff


def test_verification_uses_the_injected_clock_not_the_wall_clock():
    far_future = datetime(2091, 1, 1, tzinfo=timezone.utc)
    token = _token(now=far_future)
    assert verify_token(SECRET, token, now=far_future + timedelta(hours=1)).subject == "mgr-1"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"role": "janitor"},
        {"properties": []},
        {"properties": "P1"},
        {"properties": [""]},
        {"subject": ""},
        {"lang": "fr"},
        {"ttl_seconds": 0},
    ],
)
def test_minting_with_bad_arguments_is_a_programming_error(kwargs):
    with pytest.raises(ValueError):
        _token(**kwargs)


# --------------------------------------------------------------------------- expiry


def test_token_past_expiry_is_refused_as_expired():
    token = _token(ttl_seconds=600)
    err = _unauthorized("token_expired", verify_token, SECRET, token, now=NOW + timedelta(seconds=600 + 31))
    assert "expired" in err.message


def test_token_within_thirty_second_leeway_is_still_accepted():
    token = _token(ttl_seconds=600)
    assert verify_token(SECRET, token, now=NOW + timedelta(seconds=600 + 29)).role == "manager"


def test_token_issued_in_the_future_is_refused():
    token = _token(now=NOW + timedelta(hours=1))
    _unauthorized("invalid_token", verify_token, SECRET, token, now=NOW)


def test_naive_now_is_taken_as_utc():
    token = _token(ttl_seconds=600)
    naive = (NOW + timedelta(seconds=700)).replace(tzinfo=None)
    _unauthorized("token_expired", verify_token, SECRET, token, now=naive)


# --------------------------------------------------------------------------- forged / malformed


def test_token_signed_with_another_secret_is_refused():
    token = mint_token(OTHER_SECRET, subject="mgr-1", role="manager", properties=["P1"], now=NOW)
    _unauthorized("invalid_token", verify_token, SECRET, token, now=NOW)


def test_tampered_payload_is_refused():
    header, _payload, signature = _token(role="tenant").split(".")
    forged_payload = _b64(json.dumps(_claims(role="admin")).encode())
    _unauthorized("invalid_token", verify_token, SECRET, f"{header}.{forged_payload}.{signature}", now=NOW)


def test_alg_none_token_is_refused():
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(role="admin")).encode())
    _unauthorized("invalid_token", verify_token, SECRET, f"{header}.{payload}.", now=NOW)


@pytest.mark.parametrize("alg", ["RS256", "HS512", "ES256", "None", "NONE"])
def test_tokens_claiming_another_algorithm_are_refused(alg):
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    signature = _b64(b"not-a-real-signature")
    _unauthorized("invalid_token", verify_token, SECRET, f"{header}.{payload}.{signature}", now=NOW)


def test_hs512_token_signed_with_the_right_secret_is_still_refused():
    token = jwt.encode(_claims(), SECRET, algorithm="HS512")
    _unauthorized("invalid_token", verify_token, SECRET, token, now=NOW)


@pytest.mark.parametrize("claim", ["sub", "role", "props", "exp", "iss", "aud"])
def test_token_missing_a_required_claim_is_refused(claim):
    token = _signed(_claims(**{claim: _DROP}))
    _unauthorized("invalid_token", verify_token, SECRET, token, now=NOW)


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "someone-else"},
        {"aud": "another-service"},
        {"role": "superuser"},
        {"role": "Admin"},
        {"role": ["admin"]},
        {"sub": ""},
        {"sub": 42},
        {"props": []},
        {"props": "P1"},
        {"props": [""]},
        {"props": ["P1", 2]},
        {"props": [f"P{i}" for i in range(51)]},
        {"exp": "tomorrow"},
        {"exp": True},
        {"name": ["王"]},
    ],
    ids=lambda o: f"{next(iter(o))}={str(next(iter(o.values())))[:20]}",
)
def test_token_with_a_bad_claim_is_refused(overrides):
    _unauthorized("invalid_token", verify_token, SECRET, _signed(_claims(**overrides)), now=NOW)


def test_token_with_fifty_properties_is_accepted():
    props = [f"P{i}" for i in range(50)]
    assert len(verify_token(SECRET, _signed(_claims(props=props)), now=NOW).properties) == 50


def test_unknown_lang_claim_falls_back_to_simplified_chinese():
    assert verify_token(SECRET, _signed(_claims(lang="fr")), now=NOW).lang == "zh-Hans"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "abc",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "....",
        "令牌.令牌.令牌",
        "eyJ🙂.eyJ.sig",
        "x" * 10_240,
        "A" * 5000 + "." + "B" * 5000 + "." + "C" * 240,
        "Bearer " + "x.y.z",
        "\x00\x01\x02.\x03.\x04",
        _b64(b"not json") + "." + _b64(b"{}") + ".",
        _b64(b'["a list"]') + "." + _b64(b"{}") + ".sig",
        _b64(b'{"alg":"HS256"}') + "." + _b64(b'"just a string"') + ".sig",
    ],
    ids=lambda g: repr(g[:16]),
)
def test_garbage_tokens_are_refused_without_crashing(garbage):
    _unauthorized("invalid_token", verify_token, SECRET, garbage, now=NOW)


@pytest.mark.parametrize("not_a_string", [None, 42, b"a.b.c", ["a", "b"]])
def test_non_string_tokens_are_refused(not_a_string):
    _unauthorized("invalid_token", verify_token, SECRET, not_a_string, now=NOW)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_string_is_either_a_valid_token_or_a_401(text):
    with pytest.raises(Unauthorized) as info:
        verify_token(SECRET, text, now=NOW)
    assert info.value.code == "invalid_token"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="ascii"), max_size=40), min_size=3, max_size=3))
def test_any_three_segment_string_is_refused_cleanly(parts):
    with pytest.raises(Unauthorized):
        verify_token(SECRET, ".".join(parts), now=NOW)


# --------------------------------------------------------------------------- cognito


def _cognito(**overrides):
    claims = {
        "sub": "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab",
        "cognito:groups": ["manager"],
        "custom:properties": "P1,P2",
        "name": "陳經理",
        "email": "chan@example.com",
        "locale": "zh-Hant",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not _DROP}


def test_cognito_claims_map_to_a_principal():
    principal = principal_from_cognito_claims(_cognito())
    assert principal == Principal(
        subject="0f1e2d3c-aaaa-bbbb-cccc-1234567890ab",
        role="manager",
        properties=frozenset({"P1", "P2"}),
        name="陳經理",
        email="chan@example.com",
        lang="zh-Hant",
    )


@pytest.mark.parametrize(
    "groups, role",
    [
        (["manager", "admin"], "admin"),
        (["tenant"], "tenant"),
        (["front_desk", "dept_staff"], "dept_staff"),
        (["director", "manager", "front_desk"], "director"),
        (["some-other-app", "front_desk"], "front_desk"),
        ("[manager, admin]", "admin"),
        ("[manager admin]", "admin"),
        ("manager,admin", "admin"),
        ("[dept_staff]", "dept_staff"),
        ("front_desk", "front_desk"),
        ("[tenant, front_desk]", "front_desk"),
    ],
)
def test_cognito_highest_known_group_wins(groups, role):
    assert principal_from_cognito_claims(_cognito(**{"cognito:groups": groups})).role == role


@pytest.mark.parametrize("groups", [_DROP, [], "", "[]", ["superusers"], "[owners, guests]", 42])
def test_cognito_user_in_no_known_group_is_refused(groups):
    _unauthorized("invalid_token", principal_from_cognito_claims, _cognito(**{"cognito:groups": groups}))


@pytest.mark.parametrize("props", [_DROP, "", " , ,", []])
def test_cognito_user_without_properties_is_refused(props):
    _unauthorized("invalid_token", principal_from_cognito_claims, _cognito(**{"custom:properties": props}))


def test_cognito_properties_are_trimmed_and_split_on_commas():
    principal = principal_from_cognito_claims(_cognito(**{"custom:properties": " P1 , P2,,P3 "}))
    assert principal.properties == frozenset({"P1", "P2", "P3"})


def test_cognito_claims_without_subject_are_refused():
    _unauthorized("invalid_token", principal_from_cognito_claims, _cognito(sub=_DROP))


@pytest.mark.parametrize(
    "locale, lang",
    [("zh-Hans", "zh-Hans"), ("zh-Hant", "zh-Hant"), ("en", "en"), ("zh_hant", "zh-Hant"),
     ("fr", "zh-Hans"), ("", "zh-Hans"), (_DROP, "zh-Hans")],
)
def test_cognito_locale_maps_to_lang_when_supported(locale, lang):
    assert principal_from_cognito_claims(_cognito(locale=locale)).lang == lang


def test_cognito_missing_name_and_email_become_empty():
    principal = principal_from_cognito_claims(_cognito(name=_DROP, email=_DROP))
    assert (principal.name, principal.email) == ("", "")


# --------------------------------------------------------------------------- authenticate


@pytest.mark.parametrize("header_name", ["Authorization", "authorization", "AUTHORIZATION"])
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_local_mode_reads_the_bearer_header_case_insensitively(header_name, scheme):
    headers = {header_name: f"{scheme} {_token()}"}
    principal = authenticate(headers, None, mode="local", secret=SECRET, now=NOW)
    assert principal.subject == "mgr-1"


def test_local_mode_ignores_authorizer_claims():
    principal = authenticate(
        {"Authorization": f"Bearer {_token(role='tenant', subject='t-9')}"},
        _cognito(**{"cognito:groups": ["admin"]}),
        mode="local", secret=SECRET, now=NOW,
    )
    assert (principal.subject, principal.role) == ("t-9", "tenant")


@pytest.mark.parametrize("headers", [{}, {"Accept": "application/json"}, {"Authorization": ""},
                                     {"Authorization": "Bearer "}])
def test_local_mode_without_a_token_is_missing_token(headers):
    _unauthorized("missing_token", authenticate, headers, None, mode="local", secret=SECRET, now=NOW)


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Token abc", "Bearerabc.def.ghi"])
def test_local_mode_with_another_scheme_is_invalid_token(value):
    _unauthorized("invalid_token", authenticate, {"Authorization": value}, None, mode="local", secret=SECRET, now=NOW)


def test_local_mode_with_a_bad_token_is_invalid_token():
    _unauthorized("invalid_token", authenticate, {"Authorization": "Bearer junk"}, None,
                  mode="local", secret=SECRET, now=NOW)


def test_local_mode_with_an_expired_token_is_token_expired():
    headers = {"Authorization": f"Bearer {_token(ttl_seconds=60)}"}
    _unauthorized("token_expired", authenticate, headers, None, mode="local", secret=SECRET,
                  now=NOW + timedelta(hours=1))


@pytest.mark.parametrize("secret", [None, ""])
def test_local_mode_without_a_secret_is_not_configured(secret):
    headers = {"Authorization": f"Bearer {_token()}"}
    _unauthorized("auth_not_configured", authenticate, headers, None, mode="local", secret=secret, now=NOW)


def test_cognito_mode_uses_authorizer_claims_and_ignores_bearer_header():
    principal = authenticate({"Authorization": "Bearer junk"}, _cognito(), mode="cognito", secret=None, now=NOW)
    assert principal.role == "manager"


@pytest.mark.parametrize("claims", [None, {}])
def test_cognito_mode_without_claims_is_missing_token(claims):
    _unauthorized("missing_token", authenticate, {}, claims, mode="cognito", secret=SECRET, now=NOW)


def test_cognito_mode_with_unusable_claims_is_invalid_token():
    _unauthorized("invalid_token", authenticate, {}, _cognito(**{"cognito:groups": []}),
                  mode="cognito", secret=None, now=NOW)


@pytest.mark.parametrize("mode", ["", "oauth", "none", None])
def test_unknown_mode_is_not_configured(mode):
    headers = {"Authorization": f"Bearer {_token()}"}
    _unauthorized("auth_not_configured", authenticate, headers, _cognito(), mode=mode, secret=SECRET, now=NOW)


# --------------------------------------------------------------------------- authorize

EXPECTED_PERMISSIONS = {
    "case.submit": {"tenant"},
    "case.log": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.list_own": {"tenant"},
    "case.read": set(ROLES),
    "case.message": {"tenant"},
    "case.rate": {"tenant"},
    "case.confirm": {"tenant"},  # the tenant answers the follow-up callback in the app
    "case.reopen": {"tenant", "front_desk", "shift_lead", "manager", "director", "admin"},
    "queue.read": set(STAFF_ROLES),
    "case.classify": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.assign": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.note": set(STAFF_ROLES),
    "case.start": set(STAFF_ROLES),
    "case.respond": set(STAFF_ROLES),
    "case.resolve": set(STAFF_ROLES),
    "case.callback": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.escalate": set(STAFF_ROLES),
    "case.close": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.move_promise": set(STAFF_ROLES),
    "case.await_tenant": set(STAFF_ROLES),
    "case.resume": set(STAFF_ROLES),
    "case.close_unreachable": {"manager", "director", "admin"},
    "case.answer": {"front_desk", "shift_lead", "dept_staff", "manager", "director", "admin"},
    "case.explain": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.confirm_invalid": {"manager", "director", "admin"},
    "case.reject_invalid": {"manager", "director", "admin"},
    "policy.read": set(STAFF_ROLES),
    "property.read_public": set(ROLES),
    "tenant.read_own": {"tenant"},
    "places.read_own": {"tenant"},  # GET /v1/me/places: own units, public areas
    "policy.write": {"admin"},
    "reply.approve": {"manager", "director", "admin"},
    "reply.draft": set(STAFF_ROLES),
    "reply.read": set(STAFF_ROLES),
    "reply.post": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "mail.quarantine": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "mail.unrouted": {"admin"},
    "report.read": set(STAFF_ROLES),
    "report.schedule": {"manager", "director", "admin"},
    "handover.sign": {"front_desk", "shift_lead", "manager", "director", "admin", "security"},
    "handover.sign.customer_service": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "handover.sign.control_room": {"security"},
    "handover.diary": {"front_desk", "shift_lead", "manager", "director", "admin", "security"},
    "handover.review": {"shift_lead", "manager", "director", "admin"},
    "upload.create": set(ROLES),
    "upload.complete": set(ROLES),
    "tenant.invite": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "tenant.deactivate": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "key.read": {"front_desk", "shift_lead", "manager", "director", "admin", "security"},
    "key.manage": {"shift_lead", "manager", "director", "admin"},
    "key.issue": {"front_desk", "shift_lead", "manager", "director", "admin", "security"},
    "key.return": {"front_desk", "shift_lead", "manager", "director", "admin", "security"},
    "key.report": set(STAFF_ROLES),
    "key.replace": {"manager", "director", "admin"},
    "case.entry_permission": {"tenant", "front_desk", "shift_lead", "manager", "director", "admin"},
    "archive.read": set(ROLES) - {"tenant"},
    "archive.read_full": {"manager", "director", "admin"},
    "archive.write": {"manager", "director", "admin"},
    "archive.access_log": {"manager", "admin"},
    "property.qr": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.locate": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.link_duplicate": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.merge_duplicate": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "case.dismiss_duplicate": {"front_desk", "shift_lead", "manager", "director", "admin"},
    "notify.read": {"tenant"},
    "notify.settings": {"tenant"},
    "library.read": set(ROLES) - {"tenant"},
    "library.write": {"front_desk", "shift_lead", "dept_staff", "manager", "director", "admin"},
    "library.approve": {"manager", "director", "admin"},
}


def test_role_constants():
    assert ROLES == ("tenant", "security", "front_desk", "shift_lead", "dept_staff", "manager", "director", "admin")
    assert STAFF_ROLES == {"security", "front_desk", "shift_lead", "dept_staff", "manager", "director", "admin"}
    assert APPROVER_ROLES == {"manager", "director", "admin"}


def test_permission_table_is_exactly_the_specified_one():
    assert {action: set(roles) for action, roles in PERMISSIONS.items()} == EXPECTED_PERMISSIONS
    assert all(roles <= set(ROLES) for roles in PERMISSIONS.values())


@pytest.mark.parametrize("action", sorted(EXPECTED_PERMISSIONS))
@pytest.mark.parametrize("role", ROLES)
def test_every_action_is_allowed_or_forbidden_per_role(action, role):
    principal = _principal(role, "P1")
    if role in EXPECTED_PERMISSIONS[action]:
        assert authorize(principal, action) is None
        assert authorize(principal, action, "P1") is None
    else:
        with pytest.raises(Forbidden) as info:
            authorize(principal, action, "P1")
        assert info.value.code == "forbidden"
        assert info.value.status == 403


def test_tenant_cannot_classify():
    with pytest.raises(Forbidden):
        authorize(_principal("tenant"), "case.classify", "P1")


def test_dept_staff_cannot_close_but_can_answer_a_consultation():
    with pytest.raises(Forbidden):
        authorize(_principal("dept_staff"), "case.close", "P1")
    authorize(_principal("dept_staff"), "case.answer", "P1")


def test_front_desk_cannot_answer_policy_writes_or_approve():
    for action in ("policy.write", "reply.approve"):
        with pytest.raises(Forbidden):
            authorize(_principal("front_desk"), action, "P1")


@pytest.mark.parametrize("role", ROLES)
def test_only_manager_director_and_admin_approve_replies(role):
    if role in {"manager", "director", "admin"}:
        authorize(_principal(role), "reply.approve", "P1")
    else:
        with pytest.raises(Forbidden):
            authorize(_principal(role), "reply.approve", "P1")


def test_staff_cannot_submit_tenant_cases_and_tenants_cannot_read_the_queue():
    with pytest.raises(Forbidden):
        authorize(_principal("manager"), "case.submit", "P1")
    with pytest.raises(Forbidden):
        authorize(_principal("tenant"), "queue.read", "P1")


@pytest.mark.parametrize("role", ROLES)
def test_principal_of_another_property_gets_not_found(role):
    principal = _principal(role, "P2")
    with pytest.raises(NotFound) as info:
        authorize(principal, "case.read", "P1")
    assert info.value.code == "not_found"
    assert info.value.status == 404
    assert "P1" not in info.value.message


def test_staff_of_p2_on_p1_gets_not_found_even_for_actions_their_role_holds():
    with pytest.raises(NotFound):
        authorize(_principal("manager", "P2"), "reply.approve", "P1")


def test_role_is_checked_before_property_scope():
    with pytest.raises(Forbidden):
        authorize(_principal("tenant", "P2"), "case.classify", "P1")


def test_multi_property_principal_is_allowed_in_each_of_its_properties():
    principal = _principal("director", "P1", "P2")
    authorize(principal, "case.close", "P1")
    authorize(principal, "case.close", "P2")
    with pytest.raises(NotFound):
        authorize(principal, "case.close", "P3")


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        authorize(_principal("admin"), "case.delete", "P1")


def test_principal_coerces_properties_and_rejects_unknown_roles():
    assert Principal(subject="x", role="tenant", properties={"P1"}).properties == frozenset({"P1"})
    with pytest.raises(ValueError):
        Principal(subject="x", role="owner", properties=frozenset({"P1"}))
    with pytest.raises(TypeError):
        Principal(subject="x", role="tenant", properties="P1")


# --------------------------------------------------------------------------- module hygiene


def test_auth_module_has_no_http_or_aws_imports_and_imports_jwt_lazily():
    tree = ast.parse(Path(auth.__file__).read_text(encoding="utf-8"))
    top_level: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            top_level.add((node.module or "").split(".")[0])
    assert top_level <= {"__future__", "re", "dataclasses", "datetime", "typing", "chalicelib"}
    everywhere = {
        alias.name.split(".")[0]
        for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert not everywhere & {"chalice", "boto3", "botocore", "requests", "urllib", "http"}
    assert "jwt" not in top_level


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TD_AUTH_SECRET", SECRET)
    monkeypatch.setenv("TD_DEV_KEY_FILE", str(tmp_path / "no-such-key"))
    return monkeypatch


def _cli_now() -> datetime:
    return datetime.now(timezone.utc)


def test_cli_prints_one_verifiable_token(cli_env, capsys):
    code = cli.main(["token", "--role", "manager", "--property", "P1", "--property", "P2",
                     "--name", "王经理", "--lang", "zh-Hans"])
    out, err = capsys.readouterr()

    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1
    principal = verify_token(SECRET, lines[0], now=_cli_now())
    assert principal == Principal(subject="manager-1", role="manager", properties=frozenset({"P1", "P2"}),
                                  name="王经理", lang="zh-Hans")
    assert "王经理" in err


def test_cli_default_subject_for_tenant_and_custom_subject(cli_env, capsys):
    assert cli.main(["token", "--role", "tenant", "--property", "P1"]) == 0
    tenant = verify_token(SECRET, capsys.readouterr().out.strip(), now=_cli_now())
    assert (tenant.subject, tenant.role) == ("tenant-1", "tenant")

    assert cli.main(["token", "--role", "front_desk", "--property", "P1", "--subject", "fd-42"]) == 0
    staff = verify_token(SECRET, capsys.readouterr().out.strip(), now=_cli_now())
    assert (staff.subject, staff.role) == ("fd-42", "front_desk")


def test_cli_default_subject_for_staff_is_role_dash_one(cli_env, capsys):
    assert cli.main(["token", "--role", "dept_staff", "--property", "P1"]) == 0
    assert verify_token(SECRET, capsys.readouterr().out.strip(), now=_cli_now()).subject == "dept_staff-1"


def test_cli_ttl_sets_expiry(cli_env, capsys):
    assert cli.main(["token", "--role", "admin", "--property", "P1", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60
    _unauthorized("token_expired", verify_token, SECRET, token, now=_cli_now() + timedelta(seconds=120))


def test_cli_reads_the_dev_key_file_when_no_env_secret(monkeypatch, tmp_path, capsys):
    key_file = tmp_path / "dev-key"
    key_file.write_text(OTHER_SECRET + "\n", encoding="utf-8")
    monkeypatch.delenv("TD_AUTH_SECRET", raising=False)
    monkeypatch.setenv("TD_DEV_KEY_FILE", str(key_file))

    assert cli.main(["token", "--role", "manager", "--property", "P1"]) == 0
    assert verify_token(OTHER_SECRET, capsys.readouterr().out.strip(), now=_cli_now()).role == "manager"


def test_cli_without_a_secret_exits_2_and_says_how_to_fix_it(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("TD_AUTH_SECRET", raising=False)
    monkeypatch.setenv("TD_DEV_KEY_FILE", str(tmp_path / "missing"))

    code = cli.main(["token", "--role", "manager", "--property", "P1"])
    out, err = capsys.readouterr()

    assert code == 2
    assert out == ""
    assert "TD_AUTH_SECRET" in err and "local stack" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["token", "--property", "P1"],
        ["token", "--role", "manager"],
        ["token", "--role", "janitor", "--property", "P1"],
        ["token", "--role", "manager", "--property", "P1", "--lang", "fr"],
        ["token", "--role", "manager", "--property", "P1", "--ttl", "0"],
        ["token", "--role", "manager", "--property", ""],
    ],
)
def test_cli_usage_errors_exit_2(cli_env, capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert capsys.readouterr().out == ""


# --- department scope ----------------------------------------------------------------------

def test_a_local_token_carries_the_staff_members_department():
    from chalicelib.http.identity import mint_token, verify_token
    token = mint_token(SECRET, subject="dept_staff-1", role="dept_staff", properties=["P1"], now=NOW,
                       department="engineering")
    assert verify_token(SECRET, token, now=NOW).department == "engineering"
    plain = mint_token(SECRET, subject="manager-1", role="manager", properties=["P1"], now=NOW)
    assert verify_token(SECRET, plain, now=NOW).department is None


def test_dept_staff_act_only_on_their_department_or_their_own_cases():
    from chalicelib.domain.auth import Principal, authorize_on_case
    from chalicelib.domain.errors import Forbidden
    eng = Principal("dept_staff-1", "dept_staff", {"P1"}, department="engineering")
    authorize_on_case(eng, department="engineering", assignee="dept_staff-2")
    authorize_on_case(eng, department="security", assignee="dept_staff-1")
    for department, assignee in (("security", "dept_staff-2"), (None, None), ("security", None)):
        with pytest.raises(Forbidden) as refused:
            authorize_on_case(eng, department=department, assignee=assignee)
        assert refused.value.code == "outside_department"
    authorize_on_case(Principal("manager-1", "manager", {"P1"}), department="security", assignee="dept_staff-2")


def test_control_room_staff_act_only_on_security_cases_or_their_own():
    from chalicelib.domain.auth import Principal, authorize_on_case
    from chalicelib.domain.errors import Forbidden
    guard = Principal("security-1", "security", {"P1"})
    authorize_on_case(guard, department="security", assignee=None)
    authorize_on_case(guard, department="engineering", assignee="security-1")
    with pytest.raises(Forbidden) as refused:
        authorize_on_case(guard, department="engineering", assignee="dept_staff-1")
    assert refused.value.code == "outside_department"


def test_the_token_command_gives_department_staff_their_department(monkeypatch, capsys):
    from chalicelib import cli
    from chalicelib.http.identity import verify_token
    monkeypatch.setenv("TD_AUTH_SECRET", SECRET)
    assert cli.main(["token", "--role", "dept_staff", "--property", "P1", "--department", "security"]) == 0
    token = capsys.readouterr().out.strip()
    principal = verify_token(SECRET, token, now=datetime.now(timezone.utc))
    assert (principal.role, principal.department) == ("dept_staff", "security")
