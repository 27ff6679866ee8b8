"""Tenantdesk HTTP API. Each route: parse, authorise (in the service), call one
domain operation, shape the response. Rules live in chalicelib/."""
from __future__ import annotations

from chalice import Chalice

from chalicelib import resources
from chalicelib.domain import auth, cases
from chalicelib.domain.errors import DomainError
from chalicelib.domain.replies import view as reply_view
from chalicelib.domain.views import case_actions, case_view, event_view
from chalicelib.http import web
from chalicelib.http.authorizer import users
from chalicelib.observability import logger, record_metric
from chalicelib.runtime import aws_client, clock, intake, replies, report_mail, service, uploads, watch_service

app = Chalice(app_name="tenantdesk")
app.api.cors = False

CASE = "/v1/properties/{property_id}/cases/{case_id}"
# The queue and topic the event handlers below subscribe to, by name: Chalice needs
# them at import, so the stage's prefix comes from the environment (resources.names_at_import).
NAMES = resources.names_at_import()

# Shift handovers and statistics (their routes and schedule live in the blueprint).
from chalicelib.http.routes_reports import reports_routes  # noqa: E402

app.register_blueprint(reports_routes)
# Report schedules per property (fired through the reminder queue: callback_reminders below).
from chalicelib.http.routes_report_mail import report_mail_routes  # noqa: E402

app.register_blueprint(report_mail_routes)
# The shift-handover logbook: diary, checklist, refusals, review.
from chalicelib.http.routes_logbook import logbook_routes  # noqa: E402

app.register_blueprint(logbook_routes)
from chalicelib.http.routes_console import console_routes  # noqa: E402

app.register_blueprint(console_routes)
# Photo uploads (presigned POST, check) and the thumbnail handler.
from chalicelib.http.routes_uploads import uploads_routes  # noqa: E402

app.register_blueprint(uploads_routes)
# Onboarding and sign-in: invite and deactivate tenants (chalicelib/services/onboarding.py).
from chalicelib.http.routes_signin import signin_routes  # noqa: E402

app.register_blueprint(signin_routes)
# The key register (seed 000 篇2): its routes and the overdue-key schedule.
from chalicelib.http.routes_keys import keys_routes  # noqa: E402

app.register_blueprint(keys_routes)
# The owner archive: structure, residents, phone lookups, the access log, a case's location.
from chalicelib.http.routes_archive import archive_routes  # noqa: E402

app.register_blueprint(archive_routes)
# The tenant API's edges: a case's timeline a page at a time, a property's public information, my tenant record.
from chalicelib.http.routes_edges import edges_routes  # noqa: E402

app.register_blueprint(edges_routes)
from chalicelib.http.routes_notify import notify_routes  # noqa: E402

app.register_blueprint(notify_routes)
# The tenant app (a PWA) at /app: static files and its sign-in settings.
from chalicelib.http.routes_app import app_routes  # noqa: E402

app.register_blueprint(app_routes)
# The public web form (/p/{property}) for visitors without an account, and its QR codes.
from chalicelib.http.routes_public import public_routes  # noqa: E402

app.register_blueprint(public_routes)
# Case watchers start from the meta table's stream (the request path only writes the outbox record).
from chalicelib.http.routes_watch_stream import watch_stream_routes  # noqa: E402

app.register_blueprint(watch_stream_routes)

# The case library: entries proposed from closed cases, approved by managers, suggested on cases.
from chalicelib.http.routes_library import library_routes  # noqa: E402

app.register_blueprint(library_routes)

# The tenant app's own steps: confirming the callback, the places a new case may name.
from chalicelib.http.routes_tenant import tenant_routes  # noqa: E402

app.register_blueprint(tenant_routes)

# Duplicates across channels: link, merge, dismiss a suggestion (chalicelib/domain/dedupe.py).
from chalicelib.http.routes_dedupe import dedupe_routes  # noqa: E402

app.register_blueprint(dedupe_routes)


@app.middleware("http")
def observe(event, get_response):
    """Correlation id on every log line; one error shape for every response."""
    headers = event.headers or {}
    request_id = ((event.context or {}).get("requestId")) or ""
    logger.append_keys(correlation_id=headers.get("x-correlation-id") or request_id, path=event.path)
    web.begin_request()
    try:
        response = get_response(event)
    finally:
        logger.remove_keys(["correlation_id", "path", "case_id", "property_id"])
    return web.localize(web.own_error_shape(response), headers)


def _request():
    return app.current_request


def _actions(who, case):
    """The actions ``who`` may take on ``case`` now; the property's policy (cached
    in the service) bounds the reopen period."""
    return case_actions(who, case, now=clock(), policy=service().property(case.property_id).policy)


def _page(items, cursor, staff):
    """A page of cases, with its ETag (If-None-Match: 304 while nothing on it changed)."""
    now = clock()
    response = web.json_response({"items": [case_view(c, now=now, staff=staff) for c in items],
                                  "next_cursor": cursor})
    return web.conditional(_request(), response, "staff" if staff else "tenant")


# --- public ------------------------------------------------------------------

@app.route("/v1/health", methods=["GET"])
@web.api
def health():
    return web.json_response({"status": "ok"})


@app.route("/v1/openapi.json", methods=["GET"])
@web.api
def openapi_document():
    from chalicelib.http.openapi import document
    return web.json_response(document())


# --- who am I, properties ----------------------------------------------------------

@app.route("/v1/me", methods=["GET"], authorizer=users)
@web.api
def me():
    p = web.principal(_request())
    return web.json_response({"subject": p.subject, "role": p.role, "properties": sorted(p.properties),
                              "name": p.name, "lang": p.lang, "department": p.department})


@app.route("/v1/me/permissions", methods=["GET"], authorizer=users)
@web.api
def my_permissions():
    """What the caller's role may do, for a client's navigation (the API still decides each call)."""
    p = web.principal(_request())
    return web.json_response({"role": p.role, "permissions": auth.permissions_of(p)})


@app.route("/v1/properties/{property_id}", methods=["GET"], authorizer=users)
@web.api
def get_property(property_id):
    prop = service().get_property(web.principal(_request()), web.property_id(property_id))
    return web.json_response(prop.to_dict())


@app.route("/v1/properties/{property_id}", methods=["PUT"], authorizer=users)
@web.api
def put_property(property_id):
    req = _request()
    prop = service().put_property(web.principal(req), web.property_id(property_id), web.body(req, "PutProperty"))
    return web.json_response(prop.to_dict())


@app.route("/v1/properties/{property_id}/tenants/{tenant_id}", methods=["PUT"], authorizer=users)
@web.api
def put_tenant(property_id, tenant_id):
    """Register a tenant's email address so their mail is matched to them."""
    req = _request()
    who = web.principal(req)
    record = service().put_tenant(who, web.property_id(property_id), web.tenant_id(tenant_id),
                                  web.body(req, "PutTenant"))
    return web.json_response(record)


# --- intake --------------------------------------------------------------------------

@app.route("/v1/properties/{property_id}/cases", methods=["POST"], authorizer=users)
@web.api
def create_case(property_id):
    """Tenants submit their own case; front desk logs a phone, walk-in or letter case."""
    req = _request()
    who = web.principal(req)
    pid = web.property_id(property_id)
    key = req.headers.get("idempotency-key")
    if who.is_staff:
        case, created = service().log(who, pid, web.body(req, "LogCase"), key)
    else:
        case, created = service().submit(who, pid, web.body(req, "SubmitCase"), key)
    headers = {"Location": f"/v1/properties/{pid}/cases/{case.case_id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    logger.info("case received", extra={"case_id": case.case_id, "property_id": pid, "new_case": created})
    return web.case_response(case, who, 201 if created else 200, headers)


# --- reading -------------------------------------------------------------------------

@app.route("/v1/me/cases", methods=["GET"], authorizer=users)
@web.api
def my_cases():
    req = _request()
    params = web.query(req)
    items, cursor = service().list_own(web.principal(req), limit=web.query_int(params, "limit", 20, 1, 100),
                                       cursor=params.get("cursor"),
                                       updated_since=web.query_instant(params, "updated_since"))
    return _page(items, cursor, staff=False)


@app.route("/v1/properties/{property_id}/queue", methods=["GET"], authorizer=users)
@web.api
def queue(property_id):
    req = _request()
    params = web.query(req)
    filters = {name: value for name, value in {
        "status": web.query_choice(params, "status", sorted(cases.OPEN_STATUSES)),
        "kind": web.query_choice(params, "kind", cases.KINDS),
        "category": web.query_choice(params, "category", cases.CATEGORIES),
        "channel": web.query_choice(params, "channel", cases.CHANNELS),
        "tier": web.query_choice(params, "tier", cases.TIERS),
        "department": params.get("department") or None,
    }.items() if value}
    items, cursor = service().queue(web.principal(req), web.property_id(property_id), filters=filters,
                                    overdue=web.query_bool(params, "overdue"),
                                    limit=web.query_int(params, "limit", 25, 1, 100), cursor=params.get("cursor"))
    return _page(items, cursor, staff=True)


@app.route(CASE, methods=["GET"], authorizer=users)
@web.api
def get_case(property_id, case_id):
    """The case with the latest timeline events; ``timeline_cursor`` pages back
    through the older ones (GET .../timeline). ETag / If-None-Match: 304."""
    req = _request()
    who = web.principal(req)
    case, events, cursor = service().read(who, *web.case_ids(property_id, case_id))
    view = case_view(case, now=clock(), staff=who.is_staff, actions=_actions(who, case))
    view["timeline"] = [event_view(e, staff=who.is_staff) for e in events]
    view["timeline_cursor"] = cursor
    return web.conditional(req, web.json_response(view), "staff" if who.is_staff else "tenant")


@app.route(CASE + "/attachments/{n}", methods=["GET"], authorizer=users)
@web.api
def attachment(property_id, case_id, n):
    """A stored attachment, through a short-lived presigned URL: browsers never load a tenant's link.
    ``thumbnail_url`` once its thumbnail was made (off the request path), else null."""
    from chalicelib import config
    from chalicelib.adapters import s3
    item, key, thumb = uploads().attachment(web.principal(_request()), *web.case_ids(property_id, case_id),
                                            web.attachment_number(n))
    url = s3.presigned_get(s3.signer(), config.mail_bucket(), key, name=item.get("name"))
    thumbnail_url = s3.presigned_get(s3.signer(), config.mail_bucket(), thumb) if thumb else None
    return web.json_response({"url": url, "thumbnail_url": thumbnail_url, "expires_in": s3.URL_SECONDS,
                              "name": item.get("name"), "content_type": item.get("content_type")})


# --- lifecycle actions ---------------------------------------------------------------

def _act(property_id, case_id, action, schema):
    req = _request()
    who = web.principal(req)
    params = web.body(req, schema)
    version = params.pop("version", None)
    logger.append_keys(case_id=case_id, property_id=property_id)
    # Idempotency-Key: a retried request changes nothing and is answered again (Idempotent-Replayed: true).
    case, replayed = service().act_once(who, *web.case_ids(property_id, case_id), action, params,
                                        expected_version=version, idempotency_key=req.headers.get("idempotency-key"))
    return web.case_response(case, who, headers={"Idempotent-Replayed": "true"} if replayed else None)


@app.route(CASE + "/classify", methods=["POST"], authorizer=users)
@web.api
def classify(property_id, case_id):
    return _act(property_id, case_id, "classify", "Classify")


@app.route(CASE + "/assign", methods=["POST"], authorizer=users)
@web.api
def assign(property_id, case_id):
    return _act(property_id, case_id, "assign", "Assign")


@app.route(CASE + "/start", methods=["POST"], authorizer=users)
@web.api
def start(property_id, case_id):
    return _act(property_id, case_id, "start", "Start")


@app.route(CASE + "/notes", methods=["POST"], authorizer=users)
@web.api
def note(property_id, case_id):
    return _act(property_id, case_id, "note", "Note")


@app.route(CASE + "/respond", methods=["POST"], authorizer=users)
@web.api
def respond(property_id, case_id):
    return _act(property_id, case_id, "respond", "Respond")


@app.route(CASE + "/resolve", methods=["POST"], authorizer=users)
@web.api
def resolve(property_id, case_id):
    return _act(property_id, case_id, "resolve", "Resolve")


@app.route(CASE + "/callback", methods=["POST"], authorizer=users)
@web.api
def callback(property_id, case_id):
    return _act(property_id, case_id, "callback", "Callback")


@app.route(CASE + "/escalate", methods=["POST"], authorizer=users)
@web.api
def escalate(property_id, case_id):
    return _act(property_id, case_id, "escalate", "Escalate")


@app.route(CASE + "/close", methods=["POST"], authorizer=users)
@web.api
def close(property_id, case_id):
    return _act(property_id, case_id, "close", "Close")


@app.route(CASE + "/answer", methods=["POST"], authorizer=users)
@web.api
def answer(property_id, case_id):
    return _act(property_id, case_id, "answer", "Answer")


@app.route(CASE + "/explain", methods=["POST"], authorizer=users)
@web.api
def explain(property_id, case_id):
    return _act(property_id, case_id, "explain", "Explain")


@app.route(CASE + "/confirm_invalid", methods=["POST"], authorizer=users)
@web.api
def confirm_invalid(property_id, case_id):
    return _act(property_id, case_id, "confirm_invalid", "ConfirmInvalid")


@app.route(CASE + "/reject_invalid", methods=["POST"], authorizer=users)
@web.api
def reject_invalid(property_id, case_id):
    return _act(property_id, case_id, "reject_invalid", "RejectInvalid")


@app.route(CASE + "/reopen", methods=["POST"], authorizer=users)
@web.api
def reopen(property_id, case_id):
    return _act(property_id, case_id, "reopen", "Reopen")


@app.route(CASE + "/promise", methods=["POST"], authorizer=users)
@web.api
def move_promise(property_id, case_id):
    return _act(property_id, case_id, "move_promise", "MovePromise")


@app.route(CASE + "/await-tenant", methods=["POST"], authorizer=users)
@web.api
def await_tenant(property_id, case_id):
    return _act(property_id, case_id, "await_tenant", "AwaitTenant")


@app.route(CASE + "/resume", methods=["POST"], authorizer=users)
@web.api
def resume(property_id, case_id):
    return _act(property_id, case_id, "resume", "Resume")


@app.route(CASE + "/close-unreachable", methods=["POST"], authorizer=users)
@web.api
def close_unreachable(property_id, case_id):
    return _act(property_id, case_id, "close_unreachable", "CloseUnreachable")


@app.route(CASE + "/messages", methods=["POST"], authorizer=users)
@web.api
def message(property_id, case_id):
    return _act(property_id, case_id, "message", "Message")


@app.route(CASE + "/rating", methods=["POST"], authorizer=users)
@web.api
def rate(property_id, case_id):
    return _act(property_id, case_id, "rate", "Rate")


# --- written replies (email and letter complaints) -------------------------------------

REPLY = CASE + "/replies/{reply_id}"


@app.route(CASE + "/replies", methods=["POST"], authorizer=users)
@web.api
def draft_reply(property_id, case_id):
    req = _request()
    who = web.principal(req)
    reply = replies().draft(who, *web.case_ids(property_id, case_id), web.body(req, "DraftReply"))
    return web.json_response(reply_view(reply), 201)


@app.route(CASE + "/replies", methods=["GET"], authorizer=users)
@web.api
def list_replies(property_id, case_id):
    who = web.principal(_request())
    return web.json_response({"items": [reply_view(r) for r in replies().list_for_case(
        who, *web.case_ids(property_id, case_id))]})


@app.route(REPLY + "/approve", methods=["POST"], authorizer=users)
@web.api
def approve_reply(property_id, case_id, reply_id):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "ApproveReply")
    reply = replies().approve(who, *web.case_ids(property_id, case_id), web.reply_id(reply_id), body.get("version"))
    return web.json_response(reply_view(reply))


@app.route(REPLY + "/return", methods=["POST"], authorizer=users)
@web.api
def return_reply(property_id, case_id, reply_id):
    req = _request()
    who = web.principal(req)
    body = web.body(req, "ReturnReply")
    reply = replies().return_for_changes(who, *web.case_ids(property_id, case_id), web.reply_id(reply_id),
                                         body["comment"], body.get("version"))
    return web.json_response(reply_view(reply))


@app.route(REPLY + "/revise", methods=["POST"], authorizer=users)
@web.api
def revise_reply(property_id, case_id, reply_id):
    req = _request()
    who = web.principal(req)
    reply = replies().revise(who, *web.case_ids(property_id, case_id), web.reply_id(reply_id),
                             web.body(req, "ReviseReply"))
    return web.json_response(reply_view(reply))


@app.route(REPLY + "/posted", methods=["POST"], authorizer=users)
@web.api
def reply_posted(property_id, case_id, reply_id):
    req = _request()
    who = web.principal(req)
    web.body(req, "MarkPosted")  # no fields; a malformed body is still refused
    reply = replies().mark_posted(who, *web.case_ids(property_id, case_id), web.reply_id(reply_id))
    return web.json_response(reply_view(reply))


@app.route("/v1/approvals", methods=["GET"], authorizer=users)
@web.api
def approval_queue():
    req = _request()
    who = web.principal(req)
    limit = web.query_int(web.query(req), "limit", 50, 1, 100)
    return web.json_response({"items": [reply_view(r) for r in replies().approval_queue(who, limit=limit)]})


@app.route("/v1/properties/{property_id}/quarantine", methods=["GET"], authorizer=users)
@web.api
def quarantined_mail(property_id):
    req = _request()
    params = web.query(req)
    items, cursor = intake().quarantined(web.principal(req), web.property_id(property_id),
                                         limit=web.query_int(params, "limit", 25, 1, 100),
                                         cursor=params.get("cursor"))
    return web.json_response({"items": items, "next_cursor": cursor})


@app.route("/v1/quarantine/unrouted", methods=["GET"], authorizer=users)
@web.api
def unrouted_mail():
    req = _request()
    params = web.query(req)
    items, cursor = intake().unrouted(web.principal(req), limit=web.query_int(params, "limit", 25, 1, 100),
                                      cursor=params.get("cursor"))
    return web.json_response({"items": items, "next_cursor": cursor})


# --- events ----------------------------------------------------------------------------

@app.on_sns_message(topic=NAMES.inbound_topic)
def inbound_mail(event):
    """SES stored a message in S3 and told us: make it a case, a message or a quarantine entry."""
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.services.mail_intake import delivery_from_notification
    try:
        delivery = delivery_from_notification(event.message)
    except ValidationFailed as exc:
        # Not an SES notification we understand: retrying cannot help, so say so and drop it.
        logger.error("unusable inbound-mail notification", extra={"code": exc.code, "detail": exc.message})
        return {"outcome": "rejected", "reason": exc.code}
    outcome = intake().handle(delivery)
    logger.info("inbound mail handled", extra={"outcome": outcome.kind, "case_id": outcome.case_id,
                                               "reason": outcome.reason, "s3_key": delivery.key})
    return {"outcome": outcome.kind, "case_id": outcome.case_id, "reason": outcome.reason}


@app.schedule("rate(5 minutes)")
def written_reply_outbox(event):
    """Retry approved replies SES refused; flag sends that never confirmed."""
    counts = replies().run_outbox()
    logger.info("outbox run", extra=counts)
    return counts


@app.on_sqs_message(queue=NAMES.watch_queue, batch_size=1)
def watch_tasks(event):
    """The case watcher's Check: decide from the case as stored now, escalate
    and notify if a deadline was missed, and answer Step Functions."""
    import json

    from chalicelib.domain.errors import DomainError
    from chalicelib.schemas import validate
    sfn = aws_client("stepfunctions")
    for record in event:
        try:
            task = validate("WatchTask", json.loads(record.body))
        except (ValueError, DomainError) as exc:
            # Not a task of ours: without a valid token nobody can be answered. Logged, dropped.
            logger.error("unusable watch task", extra={"detail": str(exc)[:300]})
            continue
        logger.append_keys(case_id=task["case_id"], property_id=task["property_id"])
        try:
            answer = watch_service().check(task["property_id"], task["case_id"], task["gen"],
                                           started=task.get("started"))
        except Exception as exc:  # noqa: BLE001 - reported to Step Functions, which retries, then dead-letters
            logger.exception("watch check failed")
            record_metric("WatchCheckFailed", property_id=task["property_id"], case_id=task["case_id"])
            sfn.send_task_failure(taskToken=task["token"], error="WatchCheckFailed", cause=str(exc)[:256])
            continue
        finally:  # the next record's (or the next invocation's) lines must not carry this case
            logger.remove_keys(["case_id", "property_id"])
        sfn.send_task_success(taskToken=task["token"], output=json.dumps(answer))


@app.schedule("rate(1 minute)")
def watch_outbox(event):
    """Start any case watcher whose start was lost: no case is left unwatched; and sync
    any property's report schedules to the Scheduler where a change could not."""
    started = watch_service().sweep_outbox()
    if started:
        logger.warning("watchers started from the outbox", extra={"started": started})
    # Report schedules whose EventBridge schedules a change could not sync (services/report_mail_service.py).
    synced = report_mail().sweep_syncs()
    return {"started": started, "report_schedules_synced": synced}


@app.on_sqs_message(queue=NAMES.reminder_queue, batch_size=1)
def callback_reminders(event):
    """A callback reminder schedule fired: remind the front desk, unless the
    callback was made meanwhile. A report schedule's fire (``report_due``) arrives
    here too: the report is mailed once per period (routes_report_mail.deliver)."""
    import json
    for record in event:
        try:
            data = json.loads(record.body)
            if isinstance(data, dict) and data.get("type") == "report_due":  # a report schedule fired
                from chalicelib.http.routes_report_mail import deliver
                logger.info("report schedule", extra={"result": deliver(data)})
                continue
            property_id, case_id = web.case_ids(data["property_id"], data["case_id"])
        except (ValueError, KeyError, TypeError, DomainError):
            logger.error("unusable reminder", extra={"body": record.body[:300]})
            continue
        sent = watch_service().remind_callback(property_id, case_id)
        logger.info("callback reminder", extra={"case_id": case_id, "sent": sent})
