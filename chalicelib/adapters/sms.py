"""Text messages through SNS (Publish to a phone number): the public web form's
one-time codes where SMS is configured (``TD_PUBLIC_SMS=1``). Locally moto keeps
them, and the local stack prints each as an ``sms |`` line."""
from __future__ import annotations

from typing import Any


class SnsSms:
    def __init__(self, client: Any) -> None:
        self.client = client

    def send(self, phone: str, text: str) -> None:
        self.client.publish(PhoneNumber=phone, Message=text[:140],
                            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String",
                                                                      "StringValue": "Transactional"}})
