"""The scheduled report's mail, decoded as a mail client would: an HTML part with
the figures' tables, a text part, a CSV (UTF-8 with BOM) and an XLSX attachment,
in zh-Hans, zh-Hant and en; Chinese survives in subject, body and attachments."""
from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import zipfile
from datetime import date

import pytest

from chalicelib.domain import stats
from chalicelib.mail import report_mail
from chalicelib.mail.outgoing import Outgoing, build
from tests.domain.test_handover_stats import SHANGHAI, STAFF, TENANT, Built, local, trails

PROPERTY = "港灣廣場 Harbour Plaza"


@pytest.fixture(scope="module")
def doc():
    P = SHANGHAI
    built = []
    for i, (category, score) in enumerate((("air_conditioning", 5), ("air_conditioning", 2), ("security", 4),
                                          ("cleaning", 1))):
        case = Built(local(P, 2026, 11, 23, 9 + i), kind="complaint", category=category)
        case.act("resolve", local(P, 2026, 11, 23, 13 + i), actor=STAFF, resolution="已處理")
        case.act("rate", local(P, 2026, 11, 23, 17 + i), actor=TENANT, score=score)
        built.append(case)
    daily = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=P, cases=[b.case for b in built],
                              events=trails(*built), now=local(P, 2026, 11, 24, 1))
    return stats.rollup(property_id="P1", year=2026, month=11, dailies=[daily])


def _decoded(doc, lang):
    mail = Outgoing(sender="service@harbour.example", sender_name=PROPERTY, to="經理@harbour.example",
                    subject=report_mail.subject(PROPERTY, "weekly", "2026-11-23 – 2026-11-29", lang),
                    text=report_mail.text_body(PROPERTY, "weekly", "2026-11-23", doc, lang),
                    html=report_mail.html_body(PROPERTY, "weekly", "2026-11-23", doc, lang),
                    attachments=(("P1-weekly.csv", "text/csv", report_mail.csv_bytes(doc, lang)),
                                 ("P1-weekly.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                  report_mail.xlsx_bytes(doc, lang))))
    return email.message_from_bytes(build(mail), policy=email.policy.default)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode("utf-8")
    return [re.findall(r"<(?:t|v)>([^<]*)</(?:t|v)>", row) for row in re.findall(r"<row [^>]*>(.*?)</row>", sheet)]


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-Hans", ("周报", "满意率", "空调", "投诉类别排行")),
    ("zh-Hant", ("週報", "滿意率", "空調", "投訴類別排行")),
    ("en", ("Weekly report", "Satisfaction rate", "Air conditioning", "Top categories")),
])
def test_the_mail_in_each_language_carries_the_figures_in_html_csv_and_xlsx(doc, lang, words):
    msg = _decoded(doc, lang)
    report, satisfaction, aircon, top = words
    assert msg["Subject"] == f"[{PROPERTY}] {report} 2026-11-23 – 2026-11-29"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    # 4 ratings, two of 4 or more: 50%; air conditioning 2 of 4 cases
    assert f"<td>{satisfaction}</td><td>50.0%</td>" in html and satisfaction in text
    assert f"<td>{aircon}</td><td>2</td><td>50.0%</td>" in html
    attachments = {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()}
    raw_csv = attachments["P1-weekly.csv"]
    assert raw_csv.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw_csv.decode("utf-8-sig"))))
    assert [top] in rows and [aircon, "2", "50.0%"] in rows and [satisfaction, "50.0%"] in rows
    xlsx_rows = _xlsx_rows(attachments["P1-weekly.xlsx"])
    assert [aircon, "2", "50.0%"] in xlsx_rows and [top] in xlsx_rows


def test_xlsx_is_a_workbook_with_numbers_as_numbers(doc):
    book = zipfile.ZipFile(io.BytesIO(report_mail.xlsx_bytes(doc, "zh-Hans", sheet="weekly 2026-11-23")))
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
            "xl/worksheets/sheet1.xml"} <= set(book.namelist())
    assert 'name="weekly 2026-11-23"' in book.read("xl/workbook.xml").decode()
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="B3"><v>4</v></c>' in sheet  # received (row 1: title, row 2: header): a number, not text


@pytest.fixture(scope="module")
def dup_doc():
    """Four cases: an app report linked to an owner and a phone call with a standing
    suggestion (duplicates), and a cleaning problem back at 5/F after a closed case (a repeat)."""
    P = SHANGHAI
    owner = Built(local(P, 2026, 11, 23, 9), kind="complaint", category="air_conditioning")
    follower = Built(local(P, 2026, 11, 23, 10), kind="complaint", category="air_conditioning")
    follower.case.follows = owner.case.case_id
    call = Built(local(P, 2026, 11, 23, 11), actor=STAFF, kind="complaint", category="air_conditioning")
    call.case.possible_duplicates = [{"case_id": owner.case.case_id, "kind": "duplicate", "score": 0.8}]
    again = Built(local(P, 2026, 11, 23, 12), actor=STAFF, kind="complaint", category="cleaning", unit="5/F")
    again.case.repeat_of = "TD-20261101-0001"
    built = (owner, follower, call, again)
    daily = stats.daily_stats(property_id="P1", day=date(2026, 11, 23), policy=P, cases=[b.case for b in built],
                              events=trails(*built), now=local(P, 2026, 11, 24, 1))
    return stats.rollup(property_id="P1", year=2026, month=11, dailies=[daily])


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-Hans", ("重复受理率", "重复发生率", "重复受理（按渠道）", "电话", "重复发生（按类别）", "保洁",
                 "有重复发生的单元/区域")),
    ("zh-Hant", ("重複受理率", "重複發生率", "重複受理（按渠道）", "電話", "重複發生（按類別）", "清潔",
                 "有重複發生的單位/區域")),
    ("en", ("Duplicate rate", "Repeat rate", "Duplicates by channel", "Phone", "Repeats by category", "Cleaning",
            "Units and areas with repeats")),
])
def test_the_mail_carries_duplicate_and_repeat_figures(dup_doc, lang, words):
    dup_rate, repeat_rate, by_channel, phone, by_category, cleaning, units = words
    msg = _decoded(dup_doc, lang)
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert f"<td>{dup_rate}</td><td>50.0%</td>" in html and f"<td>{repeat_rate}</td><td>25.0%</td>" in html
    assert f"<h2>{by_channel}</h2>" in html and f"<td>{phone}</td><td>2</td><td>1</td><td>50.0%</td>" in html
    assert "<td>App</td><td>2</td><td>1</td><td>50.0%</td>" in html
    assert f"<h2>{by_category}</h2>" in html and f"<td>{cleaning}</td><td>1</td><td>1</td><td>100.0%</td>" in html
    assert f"## {units}" in text
    attachments = {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()}
    rows = list(csv.reader(io.StringIO(attachments["P1-weekly.csv"].decode("utf-8-sig"))))
    assert [dup_rate, "50.0%"] in rows and [phone, "2", "1", "50.0%"] in rows
    assert [cleaning, "1", "1", "100.0%"] in rows
    unit_rows = rows[rows.index([units]) + 2:]
    assert len(unit_rows) == 1 and unit_rows[0][1:] == ["1", "1", "100.0%"] and "5" in unit_rows[0][0]
    xlsx_rows = _xlsx_rows(attachments["P1-weekly.xlsx"])
    assert [by_channel] in xlsx_rows and [phone, "2", "1", "50.0%"] in xlsx_rows
