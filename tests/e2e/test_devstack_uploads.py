"""A photo goes from a phone to a case on the running local stack, the AWS way:
the API issues a presigned POST, the file is posted to S3 (moto) with
``requests``, the upload is completed (checked), the case is submitted with
it, and S3's ObjectCreated notification reaches the thumbnail handler over SQS
(the stack's pump, as Lambda's event source would): the thumbnail appears."""
from __future__ import annotations

import io
import time

import requests

from tests.e2e.test_devstack import _token_from_banner, _token_from_cli, stack  # noqa: F401 - the fixture
from tests.e2e.test_devstack_mail import wait_for


def _photo() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_a_photo_is_uploaded_attached_and_thumbnailed_on_the_local_stack(stack):  # noqa: F811
    tenant = _token_from_banner(stack, "TENANT")
    desk = _token_from_banner(stack, "DESK")
    neighbour = _token_from_cli(stack, "--role", "tenant", "--property", "P1", "--subject", "tenant-3")
    photo = _photo()

    status, slot, _ = stack.call("POST", "/v1/properties/P1/uploads", tenant,
                                 {"content_type": "image/jpeg", "size": len(photo)})
    assert status == 201, slot
    posted = requests.post(slot["url"], data=slot["fields"], files={"file": ("厨房.jpg", photo, "image/jpeg")},
                           timeout=10)
    assert posted.status_code == 204, posted.text
    status, done, _ = stack.call("POST", f"/v1/properties/P1/uploads/{slot['upload_id']}/complete", tenant, {})
    assert status == 200 and done["status"] == "complete", done

    status, case, _ = stack.call("POST", "/v1/properties/P1/cases", tenant, {
        "unit": "3栋1201", "title": "厨房漏水", "content": "厨房天花板漏水，見照片。",
        "attachments": [{"ref": done["ref"], "name": "厨房漏水.jpg"}]})
    assert status == 201, case
    key = done["ref"].split("/", 3)[3]
    wait_for(stack, f"thumbnail | made → {key}")

    path = f"/v1/properties/P1/cases/{case['case_id']}/attachments/1"
    for token in (tenant, desk):
        status, got, _ = stack.call("GET", path, token)
        assert status == 200 and got["content_type"] == "image/jpeg", got
        assert requests.get(got["url"], timeout=10).content == photo
        thumb = requests.get(got["thumbnail_url"], timeout=10)
        assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff" and len(thumb.content) < len(photo)
    status, answer, _ = stack.call("GET", path, neighbour)
    assert status == 404, answer

    # An impostor (a web page declared as a PNG) is refused and never thumbnailed.
    status, bad, _ = stack.call("POST", "/v1/properties/P1/uploads", tenant, {"content_type": "image/png",
                                                                             "size": 100})
    requests.post(bad["url"], data=bad["fields"], files={"file": ("x.png", b"<html>hi</html>", "image/png")},
                  timeout=10)
    status, answer, _ = stack.call("POST", f"/v1/properties/P1/uploads/{bad['upload_id']}/complete", tenant, {})
    assert status == 422 and answer["code"] == "upload_rejected", answer
    time.sleep(1.5)
    assert not [line for line in stack.output().splitlines()
                if line.startswith("thumbnail |") and bad["upload_id"] in line]
