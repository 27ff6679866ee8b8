"""The attachments bucket through boto3 (ports.ObjectStore): presigned POSTs
for uploads, the checks ``complete`` makes, thumbnails.

Presigned POSTs are signed by the same client as the GET URLs
(chalicelib/adapters/s3.py ``signer``): the regional endpoint a browser can
reach (CORS on the bucket allows the app's origin, infra/mail_intake.py), or
the local stack's one endpoint."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.s3 import signer


class S3Objects:
    def __init__(self, client: Callable[[], Any], bucket: str, sign: Callable[[], Any] = signer) -> None:
        self._client = client
        self._sign = sign
        self.bucket = bucket

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        # The key and the type are fixed (exact-match conditions), the size a range:
        # S3 refuses any other object with 403 before storing anything.
        form = self._sign().generate_presigned_post(
            self.bucket, key, Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in)
        return {"url": form["url"], "fields": form["fields"]}

    def size(self, key: str) -> int | None:
        try:
            return int(self._client().head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def head_bytes(self, key: str, n: int) -> bytes:
        got = self._client().get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{n - 1}")
        return bytes(got["Body"].read())[:n]

    def read(self, key: str) -> bytes:
        return bytes(self._client().get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        self._client().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def copy(self, source: str, key: str) -> None:
        self._client().copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": source},
                                   MetadataDirective="COPY")

    def delete(self, keys: Sequence[str]) -> None:
        if keys:
            self._client().delete_objects(Bucket=self.bucket,
                                          Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})

    def exists(self, key: str) -> bool:
        return self.size(key) is not None
