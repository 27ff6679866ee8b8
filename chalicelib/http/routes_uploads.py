"""Photo uploads (presigned POST straight to S3, then a check) and the
thumbnail handler, as a Chalice blueprint: ``app.register_blueprint(uploads_routes)``.

Same style as app.py: parse, call one ``UploadService`` method (which
authorises), shape the response. The thumbnail handler consumes S3's
ObjectCreated notifications of stored attachments from an SQS queue: Chalice's
``on_s3_event`` cannot be used on a bucket CloudFormation did not create in the
same template (infra/mail_intake.py wires bucket -> queue); locally devstack
pumps the same queue to this handler.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import unquote_plus

from chalice import Blueprint

from chalicelib import config, resources, runtime
from chalicelib.domain.errors import NotFound
from chalicelib.http import web
from chalicelib.http.authorizer import users
from chalicelib.observability import logger

uploads_routes = Blueprint(__name__)

# The queue the thumbnail handler subscribes to, by name, known at import (resources.names_at_import).
NAMES = resources.names_at_import()

UPLOADS = "/v1/properties/{property_id}/uploads"
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def _request():
    return uploads_routes.current_request


def _upload_id(value: str) -> str:
    if not _UPLOAD_ID.match(value or ""):
        raise NotFound("no such upload", code="upload_not_found")
    return value


@uploads_routes.route(UPLOADS, methods=["POST"], authorizer=users)
@web.api
def start_upload(property_id):
    """An upload slot: POST the file to ``url`` with ``fields`` (multipart form, the file last), then complete it."""
    req = _request()
    who = web.principal(req)
    body = web.body(req, "StartUpload")
    # Idempotency-Key: a retried start makes no second slot (and takes no second quota step).
    slot, replayed = runtime.uploads().start_once(who, web.property_id(property_id), body,
                                                  req.headers.get("idempotency-key"))
    return web.json_response(slot, 200 if replayed else 201, {"Idempotent-Replayed": "true"} if replayed else None)


@uploads_routes.route(UPLOADS + "/{upload_id}/complete", methods=["POST"], authorizer=users)
@web.api
def complete_upload(property_id, upload_id):
    """Check what was uploaded; the answer's ``ref`` is what SubmitCase, LogCase and Message attach."""
    req = _request()
    who = web.principal(req)
    web.body(req, "CompleteUpload")  # no fields; a malformed body is still refused
    return web.json_response(runtime.uploads().complete(who, web.property_id(property_id), _upload_id(upload_id)))


def objects_created(body: str) -> Iterator[tuple[str, str]]:
    """(bucket, key) of each object an S3 notification (as SQS delivers it)
    reports created; nothing for S3's test event or anything else."""
    try:
        message = json.loads(body)
    except ValueError:
        return
    for record in (message.get("Records") or []) if isinstance(message, dict) else []:
        try:
            if record["eventSource"] == "aws:s3" and record["eventName"].startswith("ObjectCreated:"):
                # S3 sends keys URL-encoded, spaces as '+'.
                yield record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])
        except (KeyError, TypeError, AttributeError):
            continue


@uploads_routes.on_sqs_message(queue=NAMES.thumbnail_queue, batch_size=10)
def make_thumbnails(event):
    """An attachment was stored (a checked upload, a mail attachment): make its
    thumbnail beside it. Idempotent, so a redelivered batch is harmless."""
    bucket = config.mail_bucket()
    results: dict[str, str] = {}
    for record in event:
        for name, key in objects_created(record.body):
            if name != bucket:
                logger.warning("object of another bucket", extra={"bucket": name})
                continue
            results[key] = runtime.uploads().make_thumbnail(key)
    if results:
        logger.info("thumbnails", extra={"results": results})
    return results
