"""Outbound mail through SES (SendRawEmail) of a message built by chalicelib.mail.outgoing."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.mail.outgoing import Outgoing, SendFailed, build, header_safe


class SesMailer:
    """Sends through SES's SendRawEmail; returns SES's message id."""

    def __init__(self, client: Any):
        self.client = client

    def send(self, mail: Outgoing) -> str:
        try:
            response = self.client.send_raw_email(Source=header_safe(mail.sender, 254),
                                                  Destinations=[header_safe(mail.to, 254)],
                                                  RawMessage={"Data": build(mail)})
        except (ClientError, BotoCoreError) as exc:
            raise SendFailed(str(exc)) from exc
        return response["MessageId"]
