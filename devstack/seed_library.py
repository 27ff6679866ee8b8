"""Demo data of the case library (chalicelib/domain/library.py): three approved
entries of P1, one in each language the console speaks (zh-Hans, zh-Hant, en),
written by the front desk and approved by the manager, so the training view
and the suggestions on a new case have something to show."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

ENTRIES: list[dict[str, Any]] = [
    {"title": "夏季空调不制冷", "category": "air_conditioning", "lang": "zh-Hans", "tags": ["空调", "夏季"],
     "problem": "住户反映空调不制冷，室内温度超过30度，晚上无法休息。",
     "cause": "室外机散热片积尘，冷媒不足。",
     "what_worked": "工程部当天上门清洗室外机散热片、补充冷媒，半小时后室温降到26度。",
     "tenant_text": "您好，工程部师傅已为您清洗空调室外机并补充冷媒，如仍不制冷请随时联系客服中心。",
     "lessons": "入夏前巡检各栋空调室外机；高温天优先处理空调报修。"},
    {"title": "電梯停在兩層之間", "category": "public_facility", "lang": "zh-Hant", "tags": ["電梯", "困人"],
     "problem": "住戶被困電梯，電梯停在兩層之間，對講機可以接通。",
     "cause": "門鎖觸點接觸不良，電梯安全迴路斷開。",
     "what_worked": "監控室持續安撫住戶，通知維保單位十分鐘內到場放人，當日更換門鎖觸點。",
     "tenant_text": "您好，電梯維保單位已更換故障零件並完成檢測，給您帶來不便，深表歉意。",
     "lessons": "困人事件必須保持對講通話直至救出；每月檢查門鎖觸點。"},
    {"title": "Slippery lobby floor on rainy days", "category": "cleaning", "lang": "en", "tags": ["lobby", "rain"],
     "problem": "A resident slipped on the wet lobby floor after heavy rain and complained.",
     "cause": "No mats at the entrance; the floor was mopped while people were walking in.",
     "what_worked": "Anti-slip mats at both entrances, warning signs, and mopping only with a cordon.",
     "tenant_text": "Thank you for telling us. We have put anti-slip mats and warning signs at the lobby "
                    "entrances and changed how we clean on rainy days.",
     "lessons": "Put the rain kit out when rain is forecast, not after the first complaint."},
]


def seed_library(service: Any, clock: Any, now: datetime, desk: Any, manager: Any) -> None:
    """``service``: a LibraryService on the stack's tables; each entry approved a day apart."""
    for n, text in enumerate(ENTRIES):
        clock.now = now - timedelta(days=len(ENTRIES) - n, hours=2)
        entry = service.create(desk, "P1", text)
        service.submit(desk, "P1", entry.entry_id)
        clock.now = now - timedelta(days=len(ENTRIES) - n)
        service.approve(manager, "P1", entry.entry_id)
