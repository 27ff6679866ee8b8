"""S3: short-lived GET URLs for stored attachments (the console loads nothing else)."""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, urlsplit

from chalicelib import config
from chalicelib.domain.attachments import PREFIX, URL_SECONDS

_signer: Any = None


def signer() -> Any:
    """The S3 client that signs GET URLs: SigV4 on the bucket's regional endpoint,
    so a browser goes straight there (no redirect to an origin the CSP does not
    list). Made once, on first use; honours AWS_ENDPOINT_URL (the local stack)."""
    global _signer
    if _signer is None:
        import boto3
        from botocore.config import Config
        region = config.region()
        if os.environ.get("AWS_ENDPOINT_URL"):  # the local stack: its one endpoint, path-style
            _signer = boto3.client("s3", region_name=region, config=Config(signature_version="s3v4"))
        else:
            _signer = boto3.client("s3", region_name=region, endpoint_url=f"https://s3.{region}.amazonaws.com",
                                   config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    return _signer


def presigned_get(s3: Any, bucket: str, key: str, *, name: str | None = None) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if name:
        params["ResponseContentDisposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return s3.generate_presigned_url("get_object", Params=params, ExpiresIn=URL_SECONDS)


def storage_origin(s3: Any, bucket: str) -> str:
    """The origin presigned URLs point at (for the console's CSP img-src): the
    same client signs both, so they cannot disagree."""
    url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": PREFIX},
                                             ExpiresIn=60))
    return f"{url.scheme}://{url.netloc}"
