"""Mobile push through SNS platform endpoints (FCM, APNs), and Web Push
(VAPID, pywebpush) to a browser's push service.

Each sender raises ``PushStale`` when the target is gone for good (SNS reports the
endpoint disabled, a push service answers 404/410): the service removes it.
Any other failure raises ``PushFailed``: the delivery is retried later.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from chalicelib.services.ports import PushFailed
from chalicelib.services.ports import PushStale as Stale

PLATFORMS = {"fcm": "GCM", "apns": "APNS"}  # our name -> SNS's platform (and message key)


class SnsPush:
    def __init__(self, client: Callable[[], Any], applications: dict[str, str]):
        self._client = client
        self.applications = applications

    def register(self, platform: str, token: str, user_data: str) -> str:
        """The platform endpoint for ``token`` (CreatePlatformEndpoint is
        idempotent for the same token and attributes); its ARN."""
        from botocore.exceptions import ClientError
        try:
            arn = self._client().create_platform_endpoint(PlatformApplicationArn=self.applications[platform],
                                                          Token=token, CustomUserData=user_data)["EndpointArn"]
            # A token registered before and disabled since (app reinstalled): enable it again.
            self._client().set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "true"})
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("InvalidParameter", "InvalidParameterException"):
                raise Stale(exc.response["Error"].get("Message", "")) from exc
            raise
        return str(arn)

    def unregister(self, endpoint_arn: str) -> None:
        self._client().delete_endpoint(EndpointArn=endpoint_arn)

    def send(self, endpoint_arn: str, platform: str, title: str, body: str, data: dict[str, Any]) -> str:
        """Publish with MessageStructure json: one payload per platform."""
        from botocore.exceptions import BotoCoreError, ClientError
        if platform == "apns":
            payload = {"aps": {"alert": {"title": title, "body": body}, "sound": "default"}, **data}
        else:
            payload = {"notification": {"title": title, "body": body}, "data": data}
        message = {"default": body, PLATFORMS[platform]: json.dumps(payload, ensure_ascii=False)}
        if platform == "apns":
            message["APNS_SANDBOX"] = message["APNS"]
        try:
            return str(self._client().publish(TargetArn=endpoint_arn, MessageStructure="json",
                                              Message=json.dumps(message, ensure_ascii=False))["MessageId"])
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in ("EndpointDisabled", "EndpointDisabledException", "NotFound", "NotFoundException"):
                raise Stale(code) from exc
            raise PushFailed(code) from exc
        except BotoCoreError as exc:
            raise PushFailed(str(exc)) from exc


class WebPush:
    """Web Push with VAPID through pywebpush; the payload is encrypted
    (aes128gcm) to the subscription's keys, so the push service cannot read it."""

    def __init__(self, private_key_pem: str, subject: str, *, timeout: float = 10.0):
        self.private_key_pem = private_key_pem
        self.subject = subject
        self.timeout = timeout

    def send(self, subscription: dict[str, Any], payload: dict[str, Any]) -> int:
        from py_vapid import Vapid02
        from pywebpush import WebPushException, webpush
        vapid = Vapid02.from_pem(self.private_key_pem.encode())
        try:
            response = webpush(subscription_info={"endpoint": subscription["endpoint"], "keys": subscription["keys"]},
                               data=json.dumps(payload, ensure_ascii=False), vapid_private_key=vapid,
                               vapid_claims={"sub": self.subject}, content_encoding="aes128gcm",
                               timeout=self.timeout, ttl=86400)
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                raise Stale(f"push service answered {status}") from exc
            raise PushFailed(str(exc)[:300]) from exc
        except Exception as exc:  # connection errors and the like: try again later
            raise PushFailed(repr(exc)[:300]) from exc
        return int(getattr(response, "status_code", 201))


def public_key(private_key_pem: str) -> str:
    """The applicationServerKey a browser subscribes with (base64url, uncompressed point)."""
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid02
    vapid = Vapid02.from_pem(private_key_pem.encode())
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_private_key() -> str:
    """A fresh VAPID key pair's private key, PEM (the local stack's, like its dev key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
