"""HTTP edge helpers for app.py: body parsing, auth, query parameters, and the
single place where domain errors become JSON responses."""
from __future__ import annotations

import contextvars
import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from chalice import Response

from chalicelib import config, runtime, schemas
from chalicelib.domain import auth
from chalicelib.domain.errors import BadRequest, DomainError, NotFound, PayloadTooLarge, RateLimited
from chalicelib.domain.views import case_actions, case_view
from chalicelib.http import error_messages, identity
from chalicelib.observability import logger

_PROPERTY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CASE_ID = re.compile(r"^TD-\d{8}-\d{4,6}$")
_REPLY_ID = re.compile(r"^R\d{14}[0-9a-f]{4}$")
_TENANT_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")


def json_response(body: Any, status: int = 200, headers: Mapping[str, str | list[str]] | None = None) -> Response:
    # UTF-8 on the wire rather than \u escapes: Chinese stays readable in curl and logs.
    return Response(body=json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def case_response(case: Any, who: auth.Principal, status: int = 200,
                  headers: Mapping[str, str | list[str]] | None = None) -> Response:
    """One case as ``who`` sees it, with the actions they may take on it now (the
    property's policy, cached in the service, bounds the reopen period)."""
    now = runtime.clock()
    actions = case_actions(who, case, now=now, policy=runtime.service().property(case.property_id).policy)
    return json_response(case_view(case, now=now, staff=who.is_staff, actions=actions), status, headers)


def error_response(error: DomainError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    return json_response(error.to_dict(), error.status, headers)


# Errors Chalice answers by itself, before any view runs, in its own shape.
_CHALICE_ERRORS = {"UnsupportedMediaType": "unsupported_media_type", "MethodNotAllowedError": "method_not_allowed",
                   "BadRequestError": "bad_request", "BadRequest": "bad_request"}


def own_error_shape(response: Response) -> Response:
    """Rewrite Chalice's ``{"Code", "Message"}`` errors (415, 405) into ours, so
    every error a client sees has one shape."""
    body = response.body
    if isinstance(body, dict) and body.get("Code") in _CHALICE_ERRORS and "Message" in body:
        headers = {k: v for k, v in (response.headers or {}).items() if k.lower() != "content-type"}
        return json_response({"code": _CHALICE_ERRORS[body["Code"]], "message": body["Message"]},
                             response.status_code, headers)
    return response


# AWS error codes that mean "slow down" (left after botocore's own retries).
_THROTTLING = frozenset({"ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded",
                         "ThrottlingException", "ThrottlingError", "RequestLimitExceeded",
                         "TransactionConflictException", "TransactionConflict"})


def _is_throttling(exc: BaseException | None) -> bool:
    """True when AWS throttled the request: a 503 the client retries, not a
    500. Reads error codes (pynamodb's, a transaction's cancellation reasons,
    botocore's), never messages."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        codes = {getattr(exc, "cause_response_code", None)}
        codes |= {getattr(r, "code", None) for r in (getattr(exc, "cancellation_reasons", None) or []) if r}
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            codes.add((response.get("Error") or {}).get("Code"))
        if codes & _THROTTLING:
            return True
        exc = getattr(exc, "cause", None) or exc.__cause__
    return False


def api(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map domain errors to their status and code; an unexpected error is logged
    with its stack and answered with a generic 500 that leaks nothing."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            if exc.status >= 500:
                logger.error("domain error", extra={"code": exc.code})
            return error_response(exc)
        except Exception as exc:  # noqa: BLE001 - last line of defence
            if _is_throttling(exc):
                # Nothing was written (the transaction is all or nothing): the client retries.
                logger.warning("throttled by AWS", extra={"error": type(exc).__name__})
                return json_response({"code": "service_busy", "message": "we are busy; retry in a moment"}, 503,
                                     {"Retry-After": "1"})
            logger.exception("unhandled error")
            return json_response({"code": "internal_error", "message": "something went wrong on our side"}, 500)
    return wrapper


# The language of the token that authenticated the request being served (errors
# fall back to it after Accept-Language); set by ``principal``, reset per request.
_TOKEN_LANG: contextvars.ContextVar[str | None] = contextvars.ContextVar("token_lang", default=None)


def principal(request: Any) -> auth.Principal:
    context = request.context or {}
    claims = (context.get("authorizer") or {}).get("claims")
    who = identity.authenticate(request.headers, claims, mode=config.auth_mode(), secret=config.auth_secret(),
                                now=runtime.clock(), pool=user_pool())
    _TOKEN_LANG.set(who.lang)
    return who


def user_pool() -> identity.UserPool | None:
    """The user pool whose tokens the API verifies itself (modes ``local`` and ``cognito_jwt``),
    from the configuration; its keys are cached per process (identity.cognito_keys)."""
    issuer, url = config.cognito_issuer(), config.cognito_jwks_url()
    if not issuer or not url:
        return None
    return identity.UserPool(issuer, config.user_pool_client_ids(), identity.cognito_keys(url))


def begin_request() -> None:
    """Forget the previous request's caller (a warm Lambda serves many)."""
    _TOKEN_LANG.set(None)


def localize(response: Response, headers: Mapping[str, str] | None) -> Response:
    """An error's ``message`` in the caller's language: Accept-Language, else
    their token's language, else English (chalicelib/http/error_messages.py).
    The ``code`` never changes; the text we wrote for developers stays in
    ``developer_message`` (English, may change: never parse it)."""
    if response.status_code < 400:
        return response
    try:
        data = json.loads(response.body) if isinstance(response.body, (str, bytes)) else response.body
    except ValueError:
        return response
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        return response
    lang = (error_messages.negotiate((headers or {}).get("accept-language")) or _TOKEN_LANG.get()
            or error_messages.FALLBACK_LANG)
    text = error_messages.message(data["code"], lang)
    if text is None:
        return response
    if data.get("message") and data["message"] != text:
        data["developer_message"] = data["message"]
    data["message"] = text
    out = {k: v for k, v in (response.headers or {}).items() if k.lower() not in ("content-type", "content-language")}
    out["Content-Language"] = lang
    return json_response(data, response.status_code, out)


# --- conditional GET ------------------------------------------------------------------

def etag(audience: str, body: str | bytes) -> str:
    """A strong entity tag of one representation: a digest of the exact bytes
    we send and of who they were shaped for (``audience``: staff or tenant).
    The body carries the property, case ids, versions, the page's cursor and
    the fields only one audience sees, so any change to them changes the tag;
    so does what moves without a write (a deadline becoming overdue, an action
    no longer offered once the reopen period is over)."""
    raw = body.encode() if isinstance(body, str) else body
    return '"' + hashlib.sha256(audience.encode() + b"\0" + raw).hexdigest()[:32] + '"'


def _matches(header: str | None, tag: str) -> bool:
    """If-None-Match: ``*`` or a list of tags; compared weakly (RFC 9110 13.1.2)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(t.strip().removeprefix("W/") == tag for t in header.split(","))


def conditional(request: Any, response: Response, audience: str) -> Response:
    """Answer a GET: the response with its ETag, or 304 (no body) when the
    client's If-None-Match names it. The representation varies with the token."""
    tag = etag(audience, response.body)
    headers: dict[str, str | list[str]] = {"ETag": tag, "Cache-Control": "private, no-cache",
                                           "Vary": "Authorization"}
    if _matches((request.headers or {}).get("if-none-match"), tag):
        return Response(body="", status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def query_instant(params: dict[str, str], name: str) -> datetime | None:
    """An ISO 8601 instant with its offset (``2026-11-23T10:00:00+08:00`` or ``...Z``); 400 otherwise."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or not 1970 <= value.year <= 9998:
        raise BadRequest(f"{name} must be an ISO 8601 date and time with an offset, e.g. 2026-11-23T10:00:00Z",
                         code="invalid_query", details={"field": name})
    return value


# What a JSON body may hold beyond what the json module accepts. Our deepest
# schema nests 4 levels; DynamoDB refuses more than 32. Integers beyond 2**53
# lose precision in JavaScript clients; the schemas bound each field tighter.
MAX_JSON_DEPTH = 16
MAX_JSON_INTEGER = 2 ** 53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _invalid_json(reason: str, message: str) -> BadRequest:
    return BadRequest(message, code="invalid_json", details={"reason": reason})


def _check_json(data: Any) -> None:
    """Walk a parsed body (iteratively: no recursion to exhaust) and refuse
    what would fail later, deep in storage, as a 500: nesting deeper than
    ``MAX_JSON_DEPTH``, strings or keys with a lone surrogate (``\\ud800``
    parses, but can never be encoded as UTF-8), numbers out of range."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise _invalid_json("lone_surrogate", "the body holds a string that is not valid Unicode "
                                                      "(a lone UTF-16 surrogate)")
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, (int, float)):
            if not -MAX_JSON_INTEGER <= value <= MAX_JSON_INTEGER:  # also inf, from 1e400
                raise _invalid_json("number_out_of_range", f"numbers must be within ±{MAX_JSON_INTEGER}")
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise _invalid_json("too_deep", f"the body nests deeper than {MAX_JSON_DEPTH} levels")
            items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
            for key, item in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((item, depth + 1))


def body(request: Any, schema: str) -> dict[str, Any]:
    """The request's JSON object, checked by ``_check_json`` and validated
    against ``schema``. Anything else is a 400 or 422; nothing reaches storage."""
    raw = request.raw_body or b""
    if len(raw) > config.max_body_bytes():
        raise PayloadTooLarge(f"the body is larger than {config.max_body_bytes()} bytes")
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except RecursionError:  # the C parser's guard against deep nesting
            raise _invalid_json("too_deep", f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
        except (UnicodeDecodeError, ValueError):  # also a number too long to convert
            raise BadRequest("the body is not valid UTF-8 JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", code="invalid_json")
    _check_json(data)
    return schemas.validate(schema, data)


def property_id(value: str) -> str:
    if not _PROPERTY_ID.match(value or ""):
        raise NotFound("no such property", code="property_not_found")
    return value


def case_ids(pid: str, cid: str) -> tuple[str, str]:
    if not _CASE_ID.match(cid or ""):
        raise NotFound("no such case", code="case_not_found")
    return property_id(pid), cid


MAX_QUERY_VALUE = 2048
# Control characters and lone surrogates: no parameter of ours holds them, and
# they fail later (in a cursor's decoding, in a DynamoDB filter) as a 500.
_BAD_TEXT = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def query(request: Any) -> dict[str, str]:
    """The query parameters, refused (400 invalid_query) when a name or value
    is too long or holds a control character or a lone surrogate."""
    params = dict(request.query_params or {})
    for name, value in params.items():
        if len(name) > 64 or len(value) > MAX_QUERY_VALUE or _BAD_TEXT.search(name) or _BAD_TEXT.search(value):
            raise BadRequest("a query parameter is too long or not valid text", code="invalid_query",
                             details={"field": name if not _BAD_TEXT.search(name) else None})
    return params


def query_int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number", code="invalid_query", details={"field": name}) from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}", code="invalid_query", details={"field": name})
    return value


def query_choice(params: dict[str, str], name: str, choices: tuple[str, ...] | list[str]) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}", code="invalid_query",
                         details={"field": name, "allowed": list(choices)})
    return raw


def query_bool(params: dict[str, str], name: str) -> bool:
    raw = (params.get(name) or "").lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise BadRequest(f"{name} must be true or false", code="invalid_query", details={"field": name})


def reply_id(value: str) -> str:
    if not _REPLY_ID.match(value or ""):
        raise NotFound("no such reply", code="reply_not_found")
    return value


def attachment_number(value: str) -> int:
    if not (value or "").isascii() or not (value or "").isdigit() or len(value) > 4:
        raise NotFound("no such attachment", code="attachment_not_found")
    return int(value)


def tenant_id(value: str) -> str:
    if not _TENANT_ID.match(value or ""):
        raise BadRequest("tenant ids are 1 to 64 letters, digits or _.:@-", code="invalid_path")
    return value
