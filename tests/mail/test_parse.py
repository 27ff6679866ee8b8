"""Inbound e-mail parsing: raw SES messages -> ParsedMail, or MailRejected.

The samples in ``samples/`` are raw RFC 5322 messages with CRLF line ends, as
SES stores them in S3 (SES's own trace fields on top)."""
from __future__ import annotations

import base64
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.mail import attachments as mailattachments
from chalicelib.mail import parse as mailparse
from chalicelib.mail.parse import (
    MAX_ATTACHMENTS,
    MAX_TEXT_CHARS,
    REASONS,
    Attachment,
    MailRejected,
    ParsedMail,
    case_references,
    parse,
    strip_reply_prefixes,
)

SAMPLES = Path(__file__).parent / "samples"
CST = timezone(timedelta(hours=8))
SES_VERDICTS_ALL_PASS = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def load(name: str) -> ParsedMail:
    return parse(sample(name))


def rejected(raw: bytes) -> MailRejected:
    with pytest.raises(MailRejected) as info:
        parse(raw)
    assert info.value.reason in REASONS
    return info.value


def mail(body: bytes | str = "Hello", *, headers: dict[str, str] | None = None,
         content_type: str = "text/plain; charset=utf-8", cte: str | None = None) -> bytes:
    """A small raw message with CRLF line ends."""
    fields = {"From": "Tenant <tenant@example.com>", "To": "complaints@tenantdesk.example.com",
              "Subject": "test", "Date": "Mon, 23 Nov 2026 10:00:00 +0800", "Message-ID": "<t1@example.com>",
              "MIME-Version": "1.0", "Content-Type": content_type}
    if cte:
        fields["Content-Transfer-Encoding"] = cte
    fields.update(headers or {})
    head = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v is not None).encode("utf-8", "surrogateescape")
    if isinstance(body, str):
        body = body.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return head + b"\r\n" + body


def multipart(subtype: str, parts: list[bytes], boundary: str = "b0", headers: dict[str, str] | None = None) -> bytes:
    marker = b"--" + boundary.encode()
    body = b"".join(marker + b"\r\n" + p + b"\r\n" for p in parts) + marker + b"--\r\n"
    return mail(body, content_type=f'multipart/{subtype}; boundary="{boundary}"', headers=headers)


def part(headers: dict[str, str], body: bytes) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n" + body


# --- the samples ------------------------------------------------------------------------------


def test_gb2312_labelled_mail_is_decoded_as_gb18030_so_gbk_characters_survive():
    m = load("gb2312_complaint.eml")
    assert m.subject == "投诉：楼上漏水"
    assert (m.from_name, m.from_address) == ("李女士", "li.nvshi@example.cn")
    assert m.to_addresses == ["complaints@riverside.tenantdesk.example.com"]
    assert m.text == (
        "物业管理处：\n\n"
        "我是3栋1201的业主李女士。楼上1301从昨天晚上开始漏水，卫生间天花板一直在滴水，吊顶已经被泡坏了。\n\n"
        "请尽快安排工程部师傅上门查看，并联系楼上住户。家里平时是我先生王堃在，联系人也可以找他。\n\n"
        "谢谢！\n"
        "李女士（3栋1201，电话 138 0013 8000）")
    # 堃 is not in GB2312: a strict gb2312 decoder would have failed on this body
    with pytest.raises(UnicodeDecodeError):
        "王堃".encode("gb18030").decode("gb2312")
    assert m.full_text == m.text  # nothing to trim
    assert m.lang == "zh-Hans"
    assert m.attachments == [] and m.skipped_attachments == []
    assert m.message_id == "202611231003524102359@example.cn"
    assert m.in_reply_to == [] and m.references == []
    assert m.date == datetime(2026, 11, 23, 2, 3, 52, tzinfo=timezone.utc)
    assert m.date.utcoffset() == timedelta(hours=8)  # the sender's zone is kept
    assert m.auto_submitted is False
    assert m.spam_headers == SES_VERDICTS_ALL_PASS
    assert m.reply_to is None


def test_big5_quoted_printable_mail_from_a_hong_kong_shop_falls_back_to_hkscs():
    m = load("big5_complaint.eml")
    assert m.subject == "商場冷氣太凍"
    assert (m.from_name, m.from_address) == ("陳先生 (茗香茶居)", "chan.tm@teahouse.example.hk")
    assert m.to_addresses == ["complaints@harbourplaza.tenantdesk.example.com", "shop-g12@teahouse.example.hk"]
    assert m.text == (
        "管理處你好：\n\n"
        "我哋係港灣廣場地下G12號舖「茗香茶居」。呢個禮拜商場冷氣太凍，舖內溫度得返攝氏17度，客人同職員都話好凍。\n\n"
        "麻煩盡快調高冷氣溫度，或者派師傅嚟檢查一下出風口。\n\n"
        "陳先生\n茗香茶居 G12\n電話：9123 4567")
    # 哋 and 嚟 are Hong Kong (HKSCS) characters, not in plain Big5
    with pytest.raises(UnicodeEncodeError):
        "哋".encode("big5")
    assert "\ufffd" not in m.full_text
    assert m.full_text == m.text  # nothing to trim: a sign-off without "-- " stays
    assert m.lang == "zh-Hant"
    assert m.attachments == []
    assert m.message_id == "000001db3e2a$5f1c8a40$1d559ec0$@teahouse.example.hk"
    assert m.date == datetime(2026, 11, 24, 14, 29, 47, tzinfo=CST)
    assert not m.auto_submitted


def test_html_only_mail_becomes_readable_text_without_script_or_style():
    m = load("utf8_html_only.eml")
    assert m.subject == "Lift stuck in Block 2 (2座电梯)"
    assert (m.from_name, m.from_address) == ("Mr. Zhang 张先生", "zhang.wei@mail.example.com")  # lower-cased
    assert m.text == (
        "Dear Management Office,\n\n"
        "The lift in Block 2 (2座电梯) has been stuck on the 8th floor since this morning.\n"
        "电梯从早上开始一直停在8楼，老人上下楼很不方便。\n\n"
        "Please send someone today — it's urgent.\n\n"
        "- Unit: 2座 801\n"
        "- Contact: 139 0000 1111\n\n"
        "Thanks & regards,\n"
        "Mr. Zhang 张先生")
    for leak in ("SCRIPT-LEAK", "STYLE-LEAK", "tracking", "document.", "<", "&nbsp;", "&amp;", "\xa0"):
        assert leak not in m.full_text
    assert m.full_text == m.text
    assert m.lang == "en"  # mostly English letters, a few Chinese words
    assert m.attachments == []
    assert m.message_id == "8d1f5c2e-77a0-4d3b-9a61-0c5f2e9b7a10@mail.example.com"


def test_reply_keeps_only_the_new_text_above_the_quote_and_the_iphone_footer():
    m = load("reply_with_quote.eml")
    assert m.subject == "回复：[TD-20261123-0042] 已收到您的投诉"
    assert case_references(m.subject) == ["TD-20261123-0042"]
    assert strip_reply_prefixes(m.subject) == "已收到您的投诉"
    assert m.text == "好的，谢谢。今天下午师傅来看过了，但是楼上还在漏水，麻烦再安排一次。"
    # what was trimmed is still in the audit copy
    assert "发自我的iPhone" in m.full_text
    assert "在 2026年11月23日 10:05，Tenantdesk <service@riverside.tenantdesk.example.com> 写道：" in m.full_text
    assert "> 我们已收到您的投诉（编号 TD-20261123-0042），工程部将于今天下午上门查看。" in m.full_text
    assert m.in_reply_to == ["0100018c-abc-000000@email.amazonses.com"]
    assert m.references == ["202611231003524102359@example.cn", "0100018c-abc-000000@email.amazonses.com"]
    assert m.message_id == "5E7B1C9A-3F2D-4C8B-9E6A-1D2F3A4B5C6D@example.cn"
    assert (m.from_name, m.from_address) == ("李女士", "li.nvshi@example.cn")
    assert m.to_addresses == ["service@riverside.tenantdesk.example.com", "wang.kun@example.cn"]
    assert m.lang == "zh-Hans"
    assert not m.auto_submitted
    assert m.attachments == []


def test_attachments_keep_their_rfc2231_chinese_names_types_sizes_and_bytes():
    m = load("with_attachment.eml")
    assert m.subject == "漏水照片和维修单 [TD-20261123-0042]"
    assert case_references(m.subject) == ["TD-20261123-0042"]
    assert m.text == "你好，\n\n附件是卫生间天花板漏水的照片，还有上周的维修单（PDF）。\n\n3栋1201 李女士"
    assert [(a.filename, a.content_type, a.size) for a in m.attachments] == [
        ("漏水照片.jpg", "image/jpeg", 159),
        ("repair-order-20261116.pdf", "application/pdf", 612),
    ]
    jpeg, pdf = m.attachments
    assert jpeg.data[:3] == b"\xff\xd8\xff" and jpeg.data[-2:] == b"\xff\xd9"
    assert pdf.data.startswith(b"%PDF-1.4") and pdf.data.rstrip().endswith(b"%%EOF")
    assert all(a.size == len(a.data) and not a.inline and a.content_id is None for a in m.attachments)
    assert m.skipped_attachments == []
    assert m.lang == "zh-Hans"
    assert (m.from_name, m.from_address) == ("李女士", "li.nvshi@example.cn")
    assert m.message_id == "c0ffee01-2026-1124-0812-li.nvshi@example.cn"
    assert m.full_text == m.text


def test_spam_verdicts_are_taken_from_the_topmost_ses_fields():
    m = load("spam_verdict.eml")
    # a forged "X-SES-Spam-Verdict: PASS" lower in the header block is ignored
    assert m.spam_headers == {"spam": "FAIL", "virus": "PASS", "spf": "SOFTFAIL", "dkim": "NONE", "dmarc": "FAIL"}
    assert m.auto_submitted is True  # Precedence: bulk + List-Unsubscribe: never auto-answer
    assert m.subject == "🎁 限时 90% OFF！家电特卖"
    assert (m.from_name, m.from_address, m.reply_to) == ("Super Deals", "news@deals.example.net",
                                                         "no-reply@deals.example.net")
    # multipart/alternative: the text/plain version wins over the HTML one
    assert m.text == "限时 90% OFF！家电特卖，今天下单立减 500 元。\n\n点击领取：https://deals.example.net/c/5f2c0a9d\n\n退订请回复 TD"
    assert m.full_text == m.text and m.attachments == []  # the 1x1 tracking image is a remote URL, not a part
    assert m.lang == "zh-Hans"
    assert m.message_id == "5f2c0a9d8e7b6a5f.1795489200@mta7.deals.example.net"


def test_broken_mime_is_parsed_best_effort_rather_than_rejected():
    """Unclosed boundary, invalid bytes in "gb2312" text, base64 with garbage
    padding: decided to parse what is there (U+FFFD for the bad bytes)."""
    m = load("broken_mime.eml")
    assert m.subject == "电梯故障"
    assert (m.from_name, m.from_address) == ("张先生", "zhang.xs@example.org")  # encoded-word with a stray space
    assert m.text == "电梯门关不上，\ufffd\ufffd请派人来修。\n2栋1单元 张先生"
    [photo] = m.attachments
    assert (photo.filename, photo.content_type, photo.size) == ("door.jpg", "image/jpeg", 159)
    assert photo.data == load("with_attachment.eml").attachments[0].data  # the garbage padding is ignored
    assert m.spam_headers == {}  # no SES fields in this one
    assert m.message_id == "broken.20261125085912@old-pc.example.org"
    assert m.lang == "zh-Hans" and m.full_text == m.text


def test_duplicate_delivery_parses_to_the_same_message_id_every_time():
    raw = sample("duplicate_delivery.eml")
    first, second = parse(raw), parse(raw)
    assert first == second
    assert first.message_id == "CAGq3+vE_7xQ=Zk9LmN0pRsT-uVwXyZ12345@mail.gmail.example.com"
    assert first.text == ("The barrier at car park entrance B has been stuck open since 7pm. Anyone can drive in."
                          "\n\nSam Wong, Block 5 / 1803")
    assert (first.from_name, first.from_address) == ("Sam Wong", "harbour.tenant@gmail.example.com")
    assert first.subject == "Car park barrier broken at entrance B"
    assert first.lang == "en"
    assert first.attachments == [] and first.full_text == first.text


def test_iso8859_outlook_reply_drops_signature_and_original_message():
    m = load("iso8859_english.eml")
    assert m.subject == "RE: Noisy extractor fan at Café Rouge (G05)"
    assert strip_reply_prefixes(m.subject) == "Noisy extractor fan at Café Rouge (G05)"
    assert (m.from_name, m.from_address) == ("Zoë Martin", "zoe@caferouge.example.com")
    assert m.text == (
        "Hello,\n\n"
        "The extractor fan above the kitchen of Café Rouge (Unit G05) has been making a loud rattling noise since "
        "Friday. It's getting worse and our staff can\u2019t hear the orders.\n\n"  # 0x92: read as Windows-1252
        "Could someone from engineering have a look before Wednesday?\n\n"
        "Best,\nZoë Martin")
    assert "Manager, Café Rouge" not in m.text and "Manager, Café Rouge" in m.full_text
    assert "-----Original Message-----" in m.full_text
    assert "The ventilation system will be serviced" in m.full_text
    assert m.lang == "en"
    assert m.date == datetime(2026, 11, 23, 4, 20, 17, tzinfo=timezone.utc)
    assert m.message_id == "PSAPR06MB4470C3B2A1D0E9F8A7B6C5D4E3F2A1B0@PSAPR06MB4470.apcprd06.prod.outlook.example.com"
    assert m.attachments == []


@pytest.mark.parametrize("name", ["japanese_shift_jis.eml", "korean_euc_kr.eml"])
def test_japanese_and_korean_samples_are_decoded_and_have_no_language_of_ours(name):
    mail_ = load(name)
    assert mail_.lang is None
    assert ("浴室" in mail_.text and mail_.from_name == "田中 浩") or ("엘리베이터" in mail_.text
                                                                       and mail_.from_name == "김민준")


def test_out_of_office_reply_is_flagged_auto_submitted():
    m = load("auto_reply.eml")
    assert m.auto_submitted is True
    assert m.subject == "自动回复: [TD-20261123-0007] 您的投诉已受理"
    assert case_references(m.subject) == ["TD-20261123-0007"]
    assert (m.from_name, m.from_address) == ("王建林", "wang.jl@example.cn")
    assert m.text == "您好，我正在休假，12月1日返回，期间邮件不能及时回复。急事请致电 138 0000 0000。"
    assert m.in_reply_to == ["0100018c-def-000000@email.amazonses.com"]
    assert m.message_id == "oof.20261123102958.wang.jl@example.cn"
    assert m.lang == "zh-Hans"
    assert m.attachments == [] and m.full_text == m.text


def test_message_cut_off_inside_its_headers_is_rejected_as_not_mime():
    error = rejected(sample("truncated.eml"))
    assert error.reason == "not_mime"
    assert "truncated" in error.detail


def test_samples_use_crlf_line_ends():
    for path in SAMPLES.glob("*.eml"):
        raw = path.read_bytes()
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), path.name


# --- subjects -------------------------------------------------------------------------------------


@pytest.mark.parametrize("subject, refs", [
    ("回复：[TD-20261123-0042] 已收到您的投诉", ["TD-20261123-0042"]),
    ("回覆：【TD-20261123-0042】商場冷氣太凍", ["TD-20261123-0042"]),
    ("Re: leak TD-20261123-0042 again", ["TD-20261123-0042"]),
    ("[TD-20261123-0042] [TD-20261124-0007] 合并 TD-20261123-0042", ["TD-20261123-0042", "TD-20261124-0007"]),
    ("转发：td-20261123-0042", ["TD-20261123-0042"]),
    ("ＴＤ－２０２６１１２３－００４２ 全角", ["TD-20261123-0042"]),
    ("TD-20261123-123456 six-digit counter", ["TD-20261123-123456"]),
    ("XTD-20261123-0042, TD-2026112-0042, TD-20261123-042, TD-20261123-1234567", []),
    ("", []),
])
def test_case_references(subject, refs):
    assert case_references(subject) == refs


@pytest.mark.parametrize("subject, stripped", [
    ("Re: 漏水", "漏水"),
    ("RE: RE: Fwd: leak", "leak"),
    ("FW: Re[2]: leak", "leak"),
    ("回复：[TD-20261123-0042] 已收到您的投诉", "已收到您的投诉"),
    ("回复: 回复：漏水", "漏水"),
    ("回覆：【TD-20261123-0042】商場冷氣太凍", "商場冷氣太凍"),
    ("答复: 转发: 电梯故障", "电梯故障"),
    ("答覆: 轉寄：停車場閘口壞咗", "停車場閘口壞咗"),
    ("Re：全角冒号", "全角冒号"),
    ("漏水照片和维修单 [TD-20261123-0042]", "漏水照片和维修单"),
    ("[TD-20261123-0042] Re: [TD-20261123-0042] noise", "noise"),
    ("Request: fix the lift", "Request: fix the lift"),  # "Re" must be a whole prefix
    ("Noise TD-20261123-0042 upstairs", "Noise TD-20261123-0042 upstairs"),  # bare refs in the middle stay
    ("  Re:   spaced   out  ", "spaced out"),
    ("", ""),
])
def test_strip_reply_prefixes(subject, stripped):
    assert strip_reply_prefixes(subject) == stripped


# --- trimming ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    ("New text.\n\nOn Mon, 23 Nov 2026 at 10:05, Tenantdesk <service@example.com> wrote:\n> old\n> older\n",
     "New text."),
    # Gmail wraps long attribution lines
    ("New text.\n\nOn Mon, 23 Nov 2026 at 10:05, Riverside Garden Property Services\n<service@example.com> wrote:\n\n"
     "> old\n", "New text."),
    ("Still leaking.\n\n> Dear Ms Li,\n> we have sent an engineer.\n", "Still leaking."),
    ("还在漏。\n\n------------------ 原始邮件 ------------------\n发件人: \"Tenantdesk\"<service@example.com>;\n"
     "发送时间: 2026年11月23日(星期一) 上午10:05\n收件人: \"李女士\"<li@example.cn>;\n主题: 已收到\n\n旧内容\n", "还在漏。"),
    ("收到，谢谢\n\n发件人: Tenantdesk <service@example.com>\n发送时间: 2026年11月23日 10:05\n收件人: 李女士\n"
     "主题: 已收到\n\n旧内容", "收到，谢谢"),
    ("收到。\n\n寄件者: Tenantdesk <service@example.com>\n寄件日期: 2026年11月23日 上午 10:05\n主旨: 已收到\n\n舊內容",
     "收到。"),
    ("仲係好凍。\n\n於 2026年11月24日 14:30，Tenantdesk <service@example.com> 寫道：\n\n> 已安排師傅\n", "仲係好凍。"),
    ("Tenantdesk <service@example.com> 于2026年11月23日周一 10:05写道：\n> 旧\n\n好的，明天在家。\n", "好的，明天在家。"),
    ("Answer one.\n> question two?\nAnswer two.\n", "Answer one.\nAnswer two."),  # interleaved
    ("Thanks\n\n-----Original Message-----\nFrom: A\nSent: today\n\nold", "Thanks"),
    ("Thanks\n________________________________\nFrom: Tenantdesk <service@example.com>\nSent: Monday\nSubject: x\n",
     "Thanks"),
    ("Please fix.\n-- \nJohn Smith\nUnit 5", "Please fix."),
    ("Please fix.\n--\nJohn", "Please fix."),
    ("Please fix.\n\nSent from my iPhone\n\n> old", "Please fix."),
    ("Please fix.\n\nSent from Outlook for Android", "Please fix."),
    ("请修理。\n\n发自我的华为手机", "请修理。"),
    ("請修理。\n\n從我的 iPhone 傳送", "請修理。"),
    ("请修理。\n\n发自网易邮箱大师", "请修理。"),
    # nothing new at all: the whole text is kept rather than losing the tenant's message
    ("> only a quote\n> of the old mail\n", "> only a quote\n> of the old mail"),
    ("Sent from my neighbour's flat, mine has no water.", "Sent from my neighbour's flat, mine has no water."),
])
def test_quoted_history_and_signatures_are_trimmed_from_the_new_text(body, expected):
    m = parse(mail(body))
    assert m.text == expected
    assert m.full_text == "\n".join(line.rstrip() for line in body.strip().split("\n"))  # untrimmed


def test_from_line_without_header_block_is_not_a_quote():
    m = parse(mail("From: my balcony you can see the leak.\nPlease come."))
    assert m.text == "From: my balcony you can see the leak.\nPlease come."


def test_html_reply_blockquote_is_trimmed_like_a_plain_quote():
    html = ('<div dir="ltr">还是很吵，请再处理。<br><br><div class="gmail_quote"><div class="gmail_attr">'
            'Tenantdesk &lt;service@x.com&gt; 于2026年11月23日周一 10:05写道：<br></div>'
            '<blockquote class="gmail_quote"><div>您好，已安排。</div></blockquote></div></div>')
    m = parse(mail(html, content_type="text/html; charset=utf-8"))
    assert m.text == "还是很吵，请再处理。"
    assert "> 您好，已安排。" in m.full_text


def test_format_flowed_lines_are_rejoined():
    body = "This is a long line that the client \nwrapped for transport.\n> quoted soft \n> wrap\n"
    m = parse(mail(body, content_type="text/plain; charset=utf-8; format=flowed"))
    assert m.full_text == "This is a long line that the client wrapped for transport.\n> quoted soft wrap"
    assert m.text == "This is a long line that the client wrapped for transport."


@pytest.mark.parametrize("body, lang, marker", [
    ("漏" * 6000, "zh-Hans", "…（以下省略）"),
    ("漏水了 " * 2000, "zh-Hans", "…（以下省略）"),
    ("The pipe leaks. " * 600, "en", "… (truncated)"),
])
def test_long_text_is_truncated_to_the_case_limit_with_a_marker(body, lang, marker):
    m = parse(mail(body))
    assert m.lang == lang
    assert len(m.text) <= MAX_TEXT_CHARS and m.text.endswith(marker)
    assert len(m.text) >= MAX_TEXT_CHARS - len(marker) - 1
    assert len(m.full_text) == len(body.strip())  # the audit copy is kept whole (below its own bound)


# --- header decoding ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw_subject, decoded", [
    ("=?GB2312?B?" + base64.b64encode("王堃的投诉".encode("gb18030")).decode() + "?=", "王堃的投诉"),
    ("=?GBK?Q?" + "".join(f"={b:02X}" for b in "漏水".encode("gbk")) + "?=", "漏水"),
    ("=?gb18030?B?" + base64.b64encode("漏水".encode("gb18030")).decode() + "?=", "漏水"),
    ("=?big5?B?" + base64.b64encode("冷氣".encode("big5")).decode() + "?=", "冷氣"),
    ("=?ISO-8859-1?Q?Caf=E9_Rouge?=", "Café Rouge"),
    ("=?utf-8?q?hello_world?= =?utf-8?q?_again?=", "hello world again"),  # whitespace between words dropped
    # a character split across two encoded-words (broken but common)
    ("=?UTF-8?B?" + base64.b64encode("漏".encode()[:2]).decode() + "?= =?UTF-8?B?"
     + base64.b64encode("漏".encode()[2:] + "水".encode()).decode() + "?=", "漏水"),
    ("=?utf-8*zh-cn?B?" + base64.b64encode("漏水".encode()).decode() + "?=", "漏水"),  # RFC 2231 language tag
    ("=?utf-8?B?5ryP5rC0?", "=?utf-8?B?5ryP5rC0?"),  # unterminated: kept as written
    ("=?utf-8?B?5ryP5rC?=", "漏\ufffd"),  # bad padding, then a cut character
    ("=?x-no-such-charset?B?" + base64.b64encode("漏水".encode()).decode() + "?=", "漏水"),  # unknown -> utf-8
    ("=?x-no-such-charset?B?" + base64.b64encode("电梯".encode("gbk")).decode() + "?=", "电梯"),  # -> gb18030
    ("=?zlib?B?" + base64.b64encode(b"Caf\xe9").decode() + "?=", "Café"),  # not a text codec -> latin-1
    ("Leak in unit 3 =?utf-8?B?5ryP5rC0?= now", "Leak in unit 3 漏水 now"),
    ("line one\r\n folded   twice\r\n\tend", "line one folded twice end"),
])
def test_subject_encoded_words_in_any_charset_decode(raw_subject, decoded):
    assert parse(mail("x", headers={"Subject": raw_subject})).subject == decoded


@pytest.mark.parametrize("raw, decoded", [
    ("漏水".encode(), "漏水"),  # raw 8-bit UTF-8 (SMTPUTF8 clients)
    ("电梯投诉".encode("gbk"), "电梯投诉"),  # raw GBK from old Chinese clients
    # short GBK that happens to be valid UTF-8 is read as UTF-8: raw 8-bit is ambiguous, UTF-8 is tried first
    ("漏水".encode("gbk"), "©ˮ"),
    (b"Caf\xe9", "Café"),
])
def test_raw_8bit_headers_are_decoded(raw, decoded):
    message = (b"From: a@example.com\r\nSubject: " + raw + b"\r\nContent-Type: text/plain\r\n\r\nbody\r\n")
    assert parse(message).subject == decoded


def test_raw_8bit_header_uses_the_body_charset_as_a_hint():
    message = (b"From: " + "陳大文".encode("big5") + b" <chan@example.hk>\r\nSubject: x\r\n"
               b"Content-Type: text/plain; charset=big5\r\n\r\n" + "冷氣".encode("big5") + b"\r\n")
    assert parse(message).from_name == "陳大文"


def test_addresses_parse_before_decoding_so_encoded_commas_cannot_split_them():
    name = "=?utf-8?B?" + base64.b64encode("李, 女士 <x@evil.example>".encode()).decode() + "?="
    m = parse(mail("x", headers={"From": f"{name} <Li.NvShi@Example.CN>", "To": "A <a@x.com>, b@y.com",
                                "Cc": "\"Wong, Sam\" <sam@z.com>, A <A@X.com>", "Reply-To": "Li <reply@example.cn>"}))
    assert (m.from_name, m.from_address) == ("李, 女士 <x@evil.example>", "li.nvshi@example.cn")
    assert m.to_addresses == ["a@x.com", "b@y.com", "sam@z.com"]  # To + Cc, lower-cased, no repeats
    assert m.reply_to == "reply@example.cn"


def test_sender_field_stands_in_for_a_missing_from():
    m = parse(mail("x", headers={"From": None, "Sender": "desk@example.com"}))
    assert m.from_address == "desk@example.com"


@pytest.mark.parametrize("value, expected", [
    ("Mon, 23 Nov 2026 10:00:00 +0800", datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)),
    ("23 Nov 2026 02:00:00 -0000", datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)),  # aware, UTC
    ("Mon, 23 Nov 2026 10:00:00 +0800 (CST)", datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)),
    ("2026-11-23T10:00:00+08:00", datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)),
    ("2026-11-23 10:00:00", None),  # no zone: unreliable
    ("yesterday", None),
    ("Mon, 99 Foo 99999 99:99:99 +9999", None),
    (None, None),
])
def test_date_is_aware_or_none(value, expected):
    m = parse(mail("x", headers={"Date": value}))
    assert m.date == expected
    assert m.date is None or m.date.tzinfo is not None


def test_message_ids_lose_their_brackets():
    m = parse(mail("x", headers={"Message-ID": "  <abc@example.com>  ", "In-Reply-To": "<p1@x> (comment)",
                                "References": "<r1@x>\r\n <r2@x> <r1@x>"}))
    assert (m.message_id, m.in_reply_to, m.references) == ("abc@example.com", ["p1@x"], ["r1@x", "r2@x"])
    assert parse(mail("x", headers={"Message-ID": "bare@example.com"})).message_id == "bare@example.com"
    assert parse(mail("x", headers={"Message-ID": None})).message_id is None


# --- language ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, charset, lang", [
    ("电梯坏了，请尽快维修。", "utf-8", "zh-Hans"),
    ("電梯壞了，請盡快維修。", "utf-8", "zh-Hant"),
    ("部門冇人覆我嘅電郵", "utf-8", "zh-Hant"),  # written Cantonese
    ("The lift is broken, please fix it. 电梯", "utf-8", "en"),
    ("漏水", "big5", "zh-Hant"),  # no distinctive character (漏水 is the same in both): the charset decides
    ("漏水", "gb2312", "zh-Hans"),
    ("漏水", "utf-8", "zh-Hans"),  # default for ambiguous Chinese
    ("12345", "big5", "zh-Hant"),
    ("Leak!", "big5", "en"),  # Big5 label, English text: the text wins
    ("お世話になっております。浴室の天井から水が漏れています。", "shift_jis", None),  # Japanese is not Chinese
    ("浴室の天井から水漏れ、至急点検をお願いします", "utf-8", None),
    ("엘리베이터가 고장 났습니다. 빨리 수리해 주세요.", "euc-kr", None),           # nor is Korean English
    ("我在「さくら」寿司店门口等了很久，电梯坏了。", "utf-8", "zh-Hans"),       # a shop name in kana: still Chinese
])
def test_language_is_guessed_from_text_then_charset(body, charset, lang):
    codec = "gb18030" if charset.startswith("gb") else charset
    message = mail(body.encode(codec), content_type=f"text/plain; charset={charset}",
                   headers={"Subject": "12"})
    assert parse(message).lang == lang


# --- MIME structure -----------------------------------------------------------------------------------------

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
                       "RU5ErkJggg==")


def test_inline_image_of_an_html_version_is_kept_while_the_plain_version_is_the_text():
    related = (b'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
               b"--rel\r\n" + part({"Content-Type": "text/html; charset=utf-8"},
                                   '<p>看图：<img src="cid:image001.png@01DB3E2A"></p>'.encode()) +
               b"\r\n--rel\r\n" + part({"Content-Type": "image/png", "Content-Transfer-Encoding": "base64",
                                        "Content-ID": "<image001.png@01DB3E2A>"},
                                       base64.b64encode(PNG)) + b"\r\n--rel--")
    raw = multipart("alternative", [part({"Content-Type": "text/plain; charset=utf-8"}, "看图：".encode()), related])
    m = parse(raw)
    assert m.text == "看图："
    assert m.attachments == [Attachment(filename="image001.png", content_type="image/png", size=len(PNG), data=PNG,
                                        content_id="image001.png@01DB3E2A", inline=True)]


def test_html_version_is_used_when_the_plain_one_is_blank():
    raw = multipart("alternative", [part({"Content-Type": "text/plain"}, b"   \r\n"),
                                    part({"Content-Type": "text/html; charset=utf-8"}, "<p>真的内容</p>".encode())])
    assert parse(raw).text == "真的内容"


def test_mixed_text_parts_around_an_image_are_joined_in_order():
    raw = multipart("mixed", [
        part({"Content-Type": "text/plain; charset=utf-8"}, "第一段".encode()),
        part({"Content-Type": "image/jpeg", "Content-Disposition": "inline", "Content-Transfer-Encoding": "base64"},
             base64.b64encode(b"\xff\xd8\xff\xd9")),
        part({"Content-Type": "text/plain; charset=utf-8"}, "第二段".encode()),
    ])
    m = parse(raw)
    assert m.text == "第一段\n\n第二段"
    assert [(a.filename, a.inline, a.size) for a in m.attachments] == [("attachment-1.jpg", True, 4)]


@pytest.mark.parametrize("disposition, expected_name", [
    ("attachment; filename*=gb2312''%C2%A9%CB%AE.jpg", "漏水.jpg"),  # RFC 2231 with a GB charset
    ("attachment; filename*0*=utf-8''%E6%BC%8F; filename*1*=%E6%B0%B4; filename*2=.jpg", "漏水.jpg"),  # continuations
    ('attachment; filename="=?UTF-8?B?5ryP5rC0LmpwZw==?="', "漏水.jpg"),  # RFC 2047 inside quotes (common)
    (b'attachment; filename="' + "电梯.jpg".encode("gbk") + b'"', "电梯.jpg"),  # raw GBK bytes
    ('attachment; filename="..\\\\..\\\\windows\\\\漏水.jpg"', "漏水.jpg"),  # no directories
    ('attachment; filename="photo\u202egpj.exe"', "photogpj.exe"),  # no bidi overrides
    ("attachment", "attachment-1.jpg"),
    ('attachment; filename="' + "长" * 300 + '.jpg"', "长" * 196 + ".jpg"),
])
def test_attachment_filenames_are_decoded_and_made_safe(disposition, expected_name):
    raw = multipart("mixed", [
        part({"Content-Type": "text/plain"}, b"see attached"),
        part({"Content-Type": "image/jpeg", "Content-Transfer-Encoding": "base64"},
             base64.b64encode(b"\xff\xd8\xff\xd9"))
        .replace(b"\r\n\r\n", b"\r\nContent-Disposition: " + (
            disposition if isinstance(disposition, bytes) else disposition.encode()) + b"\r\n\r\n", 1),
    ])
    [attachment] = parse(raw).attachments
    assert attachment.filename == expected_name
    assert len(attachment.filename) <= mailparse.MAX_FILENAME_CHARS


CUT = "维修报价单_楼上漏水赔偿明细".encode()[:-1]   # a client's byte limit cut the last character


@pytest.mark.parametrize("disposition, body_charset", [
    (b'attachment; filename="' + CUT + b'"', "us-ascii"),
    (b'attachment; filename="' + CUT + b'"', "gb2312"),                 # GB18030 would read it as mojibake
    (b'attachment; filename="' + CUT + b'"', "utf-8"),
    (b"attachment; filename*=utf-8''" + "".join(f"%{b:02X}" for b in CUT).encode(), "us-ascii"),
])
def test_a_utf8_filename_cut_mid_character_keeps_every_whole_character(disposition, body_charset):
    raw = multipart("mixed", [
        part({"Content-Type": f"text/plain; charset={body_charset}"}, "见附件".encode("gb18030" if body_charset == "gb2312"
                                                                                     else "utf-8")),
        part({"Content-Type": "application/pdf", "Content-Disposition": "PLACEHOLDER"}, b"%PDF-1.4")
        .replace(b"PLACEHOLDER", disposition),
    ])
    [attachment] = parse(raw).attachments
    assert attachment.filename == "维修报价单_楼上漏水赔偿明\ufffd"


def test_utf8_under_a_stale_gb2312_label_is_read_as_utf8():
    """A phone client keeps a GB2312 label on UTF-8 text: names, subject and
    filename read as written, not as GB18030 mojibake."""
    mail_ = load("utf8_labelled_gb2312.eml")
    assert mail_.from_name == "周敏" and mail_.subject == "卫生间漏水"
    assert mail_.text == "楼上卫生间漏水到我家天花板，墙面已经发霉，请尽快安排维修。"
    assert [a.filename for a in mail_.attachments] == ["维修报价单_楼上漏水赔偿明\ufffd"]


@pytest.mark.parametrize("gbk", ["中", "王建林", "中文", "电梯坏了"])
def test_real_gbk_under_a_gb2312_label_stays_gbk_even_when_short(gbk):
    raw = mail("x", headers={"Subject": "=?gb2312?B?" + base64.b64encode(gbk.encode("gbk")).decode() + "?="})
    assert parse(raw).subject == gbk


def test_attachments_beyond_the_count_and_size_limits_are_skipped_and_recorded(monkeypatch):
    monkeypatch.setattr(mailattachments, "MAX_ATTACHMENT_BYTES", 100)
    files = [part({"Content-Type": "application/pdf", "Content-Disposition": f'attachment; filename="f{i}.pdf"'},
                  b"%PDF" + b"x" * (200 if i == 3 else 10)) for i in range(13)]
    files.append(part({"Content-Type": "application/pdf", "Content-Disposition": 'attachment; filename="empty.pdf"'},
                      b""))
    m = parse(multipart("mixed", [part({"Content-Type": "text/plain"}, b"files")] + files))
    assert [a.filename for a in m.attachments] == [f"f{i}.pdf" for i in (0, 1, 2, 4, 5, 6, 7, 8, 9, 10)]
    assert len(m.attachments) == MAX_ATTACHMENTS
    assert m.skipped_attachments == [("f3.pdf", "too_large"), ("f11.pdf", "too_many"), ("f12.pdf", "too_many"),
                                     ("empty.pdf", "empty")]


def test_text_attachment_is_an_attachment_and_not_body():
    raw = multipart("mixed", [part({"Content-Type": "text/plain"}, b"body"),
                              part({"Content-Type": "text/plain; name=log.txt",
                                    "Content-Disposition": "attachment; filename=log.txt"}, b"log line")])
    m = parse(raw)
    assert m.text == "body"
    assert [(a.filename, a.content_type, a.data) for a in m.attachments] == [("log.txt", "text/plain", b"log line")]


def test_forwarded_message_attachment_is_kept_as_eml():
    inner = mail("inner body", headers={"Subject": "=?utf-8?B?5ryP5rC0?="})
    raw = multipart("mixed", [part({"Content-Type": "text/plain"}, b"see the forwarded mail"),
                              part({"Content-Type": "message/rfc822"}, inner)])
    m = parse(raw)
    assert m.text == "see the forwarded mail"
    [eml] = m.attachments
    assert (eml.filename, eml.content_type) == ("漏水.eml", "message/rfc822")
    assert b"inner body" in eml.data


def test_only_an_attachment_and_no_text_is_accepted_with_empty_text():
    raw = multipart("mixed", [part({"Content-Type": "image/jpeg", "Content-Transfer-Encoding": "base64"},
                                   base64.b64encode(b"\xff\xd8\xff\xd9"))])
    m = parse(raw)
    assert m.text == "" and len(m.attachments) == 1


def test_signature_parts_of_signed_mail_are_not_attachments():
    signed = multipart("signed", [part({"Content-Type": "text/plain"}, b"signed body"),
                                  part({"Content-Type": "application/pkcs7-signature; name=smime.p7s"}, b"MIIsig")])
    m = parse(signed)
    assert (m.text, m.attachments) == ("signed body", [])


# --- automatic mail ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers, automatic", [
    ({}, False),
    ({"Auto-Submitted": "auto-generated"}, True),
    ({"Auto-Submitted": "auto-replied; owner-email=x@y"}, True),
    ({"Auto-Submitted": "no"}, False),
    ({"Precedence": "bulk"}, True),
    ({"Precedence": "junk"}, True),
    ({"Precedence": "list"}, True),
    ({"Precedence": "first-class"}, False),
    ({"X-Autoreply": "yes"}, True),
    ({"X-Autorespond": "Out of office"}, True),
    ({"From": "MAILER-DAEMON@amazonses.com"}, True),
    ({"From": "Mail Delivery System <postmaster@example.cn>"}, True),
    ({"Content-Type": "multipart/report; report-type=delivery-status; boundary=b0"}, True),
    ({"Return-Path": "<>"}, True),
    ({"List-Id": "<tenants.example.com>"}, True),
    ({"Subject": "Automatic reply: leak"}, True),
    ({"Subject": "自動回覆：漏水"}, True),
    # Real automatic mail often carries no standard marker (issue 11):
    ({"Return-Path": "<MAILER-DAEMON>"}, True),
    ({"Return-Path": " < > "}, True),
    ({"From": "post_master@mx.example.cn", "Subject": "Re: 投诉"}, True),
    ({"From": "Post-Master <Post.Master@example.cn>"}, True),
    ({"From": "中国移动 <no-reply@mail.10086.example>"}, True),
    ({"From": "do_not_reply+x1@notify.example.com"}, True),
    ({"Subject": "Loop Alert"}, True),
    ({"Subject": "Undeliverable: 投诉"}, True),
    ({"Subject": "系统退信：投诉"}, True),
    ({"X-Loop": "residents@lists.example.org"}, True),
    ({"List-Unsubscribe": "<mailto:leave@lists.example.org>"}, True),
    ({"Sender": "owner-residents@lists.example.org"}, True),
    ({"Sender": "residents-bounces+li=example.cn@lists.example.org"}, True),
    ({"Return-Path": "<owner-residents@lists.example.org>"}, True),
    ({"X-Failed-Recipients": "x@example.cn"}, True),
    # ... while a person's mail stays a person's:
    ({"Return-Path": "<li.nvshi@example.cn>"}, False),
    ({"Sender": "Secretary <mishu@example.cn>"}, False),
    ({"From": "Noreen <noreen@example.com>"}, False),
    ({"Subject": "Re: 退信用卡年费的事"}, False),
    ({"X-Auto-Response-Suppress": "All"}, False),      # a request not to answer, not a machine: see below
])
def test_mail_we_must_not_auto_answer_is_flagged(headers, automatic):
    if headers.get("Content-Type", "").startswith("multipart/"):
        raw = multipart("report", [part({"Content-Type": "text/plain"}, b"Delivery failed"),
                                   part({"Content-Type": "message/delivery-status"},
                                        b"Reporting-MTA: dns; a.example\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
                                        b"Action: failed\r\nStatus: 5.1.1\r\n")])
    else:
        raw = mail("x", headers=headers)
    assert parse(raw).auto_submitted is automatic


@pytest.mark.parametrize("value, suppressed", [("All", True), ("OOF, AutoReply", True), ("DR, NDR", False)])
def test_a_request_for_no_automatic_answers_is_read_from_x_auto_response_suppress(value, suppressed):
    assert parse(mail("漏水", headers={"X-Auto-Response-Suppress": value})).suppress_auto_reply is suppressed


# --- rejections ---------------------------------------------------------------------------------------------


def test_oversized_input_is_rejected_before_parsing(monkeypatch):
    monkeypatch.setattr(mailparse, "MAX_RAW_BYTES", 1000)
    assert rejected(mail("x" * 2000)).reason == "too_large"
    assert parse(mail("x" * 500)).text == "x" * 500


def nested(levels: int) -> bytes:
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(levels))
    tail = b"".join(b"\r\n--b%d--" % i for i in reversed(range(levels)))
    return (b"From: a@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" + head
            + b"Content-Type: text/plain\r\n\r\nhi" + tail)


def test_deeply_nested_multipart_is_rejected_as_too_deep():
    assert parse(nested(mailparse.MAX_MIME_DEPTH - 1)).text == "hi"
    assert rejected(nested(50)).reason == "too_deep"


def test_thousands_of_nesting_levels_are_refused_before_the_parser_recurses():
    assert rejected(nested(3000)).reason == "too_many_parts"


@pytest.mark.parametrize("count", [150, 500])
def test_too_many_parts_are_rejected(count):
    raw = multipart("mixed", [part({"Content-Type": "text/plain"}, b"p%d" % i) for i in range(count)])
    assert rejected(raw).reason == "too_many_parts"


def test_a_message_at_the_part_limit_is_fine():
    raw = multipart("mixed", [part({"Content-Type": "text/plain"}, b"p") for _ in range(mailparse.MAX_PARTS - 1)])
    assert parse(raw).text.count("p") == mailparse.MAX_PARTS - 1


@pytest.mark.parametrize("content_type", [
    "text/plain; " + ";" * 8000,  # the stdlib's header parser needs ~1 s for this, hours for 1 MB
    "text/plain; " + 'a="\\"' * 2000,
    "text/plain; charset=utf-8;\r\n " + "x" * 5000,  # folded lines count
])
def test_pathological_content_type_fields_are_refused_before_the_stdlib_parses_them(content_type):
    started = time.perf_counter()
    error = rejected(mail("x", content_type=content_type))
    assert error.reason == "too_large" and "Content-Type" in error.detail
    assert time.perf_counter() - started < 0.5


def test_many_mid_sized_content_type_fields_are_bounded_in_total():
    fields = [part({"Content-Type": "text/plain; x=" + "y" * 1000}, b"p") for _ in range(40)]
    assert rejected(multipart("mixed", fields)).reason == "too_large"


def test_nested_comments_in_a_header_are_rejected_not_crashed():
    assert rejected(mail("x", content_type="text/plain" + "(" * 3000)).reason == "too_deep"


def test_a_long_rfc2231_chinese_filename_is_still_fine():
    name = "二零二六年十一月二十三日三栋一二零一卫生间天花板漏水现场照片第一张" * 3
    encoded = "".join(f"%{b:02X}" for b in (name + ".jpg").encode())
    chunks = [encoded[i:i + 60] for i in range(0, len(encoded), 60)]
    params = ";\r\n ".join(f"name*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{c}" for i, c in enumerate(chunks))
    raw = multipart("mixed", [part({"Content-Type": "text/plain"}, b"photo"),
                              part({"Content-Type": "image/jpeg;\r\n " + params}, b"\xff\xd8\xff\xd9")])
    [photo] = parse(raw).attachments
    assert photo.filename == name + ".jpg"


@pytest.mark.parametrize("label", ["punycode", "unicode_escape", "raw-unicode-escape", "undefined", "zlib"])
def test_charset_labels_naming_no_mail_charset_fall_back_quickly(label):
    started = time.perf_counter()
    m = parse(mail("a-\\x41" * 150_000, content_type=f"text/plain; charset={label}"))
    assert m.full_text.startswith("a-\\x41a-\\x41")  # read as UTF-8, backslashes left alone
    assert time.perf_counter() - started < 1


def test_huge_bodies_are_cut_with_a_marker_in_both_texts():
    m = parse(mail("第一行\n" + "漏水很严重，请尽快处理。\n" * 20000))
    assert len(m.full_text) == mailparse.MAX_FULL_TEXT_CHARS and m.full_text.endswith("…（以下省略）")
    assert len(m.text) == MAX_TEXT_CHARS and m.text.endswith("…（以下省略）")


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty"),
    (b"\r\n\r\n  \r\n", "empty"),
    (b"just some text without any header\r\n\r\nbody", "not_mime"),
    (b"X-Random: 1\r\n\r\nbody", "not_mime"),
    (b"\x00\x01\x02\xff" * 100, "not_mime"),
    (b"From: a@example.com\r\n\r\n", "empty"),
    (b"From: a@example.com\r\nSubject:  \r\n\r\n", "empty"),  # header-only, blank subject
    (b"From: not an address\r\nSubject: x\r\n\r\nbody", "no_sender"),
    (b"Subject: anonymous\r\n\r\nbody", "no_sender"),
])
def test_unusable_input_is_rejected_with_a_reason(raw, reason):
    assert rejected(raw).reason == reason


def test_a_complaint_written_only_in_the_subject_is_accepted():
    m = parse(b"From: a@example.com\r\nSubject: =?utf-8?b?5qW86YGT54Gv5Z2P5LqG?=\r\n\r\n")
    assert m.subject == "楼道灯坏了" and m.text == ""


def test_random_bytes_are_rejected():
    rnd = random.Random(20261123)
    for _ in range(20):
        rejected(rnd.randbytes(rnd.randint(1, 4000)))


def test_non_bytes_input_is_rejected_and_bytearray_is_accepted():
    assert rejected("From: a@example.com\r\n\r\nx").reason == "not_mime"  # type: ignore[arg-type]
    assert parse(bytearray(mail("x"))).text == "x"


def test_unexpected_internal_errors_become_undecodable(monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("simulated")
    monkeypatch.setattr(mailparse, "spam_headers", boom)
    error = rejected(mail("x"))
    assert (error.reason, error.detail) == ("undecodable", "ValueError: simulated")


def test_rejection_carries_reason_and_detail():
    error = MailRejected("too_large", "41943041 bytes")
    assert (error.reason, error.detail, str(error)) == ("too_large", "41943041 bytes", "too_large: 41943041 bytes")
    assert not isinstance(error, __import__("chalicelib.domain.errors", fromlist=["DomainError"]).DomainError)


def test_importing_the_parser_does_not_load_the_email_package():
    code = ("import sys; import chalicelib.mail.parse; "
            "print(sorted(m for m in ('email', 'email.policy', 'html.parser') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


# --- robustness: parse() returns or raises MailRejected, nothing else ------------------------------------

SAMPLE_BYTES = [sample(p.name) for p in sorted(SAMPLES.glob("*.eml"))]
TOKENS = [b"\r\n\r\n", b"\r\n", b"\n", b"\r", b"--", b"=?utf-8?B?", b"=?gb2312?Q?=D5", b"?=", b"\r\n--b0\r\n",
          b"Content-Type: multipart/mixed; boundary=b0\r\n", b"\r\n--b0--\r\n", b"charset=big5", b'charset=""',
          b"Content-Transfer-Encoding: base64\r\n", b"Content-Transfer-Encoding: x-uuencode\r\n",
          b"filename*0*=gb2312''%D5", b"filename*1*=%C5", b'name="=?utf-8?B?5ryP?="', b"<", b">", b"=\r\n",
          b"\xff", b"\x00", b"Content-Type: message/rfc822\r\n", b"Content-Type: text/html\r\n", b"<blockquote>",
          b"<script>", b"format=flowed; delsp=yes", b"Date: 99 Foo 99999 99:99\r\n", b"From: <>\r\n", b";;", b'"',
          b"(", b"begin 644 a\r\n"]


@st.composite
def mutated_samples(draw):
    data = bytearray(draw(st.sampled_from(SAMPLE_BYTES)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from(TOKENS) | st.binary(max_size=24))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 80))]
        elif op == "truncate":
            del data[pos:]
        elif op == "duplicate":
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 300))]
    return bytes(data)


def check_contract(raw: bytes) -> None:
    try:
        m = parse(raw)
    except MailRejected as error:
        assert error.reason in REASONS
        return
    assert isinstance(m, ParsedMail)
    assert "@" in m.from_address and m.from_address == m.from_address.lower()
    assert m.lang in ("zh-Hans", "zh-Hant", "en", None)  # None: a language we write no mail in
    assert len(m.text) <= MAX_TEXT_CHARS and len(m.attachments) <= MAX_ATTACHMENTS
    assert m.date is None or m.date.tzinfo is not None
    assert all(isinstance(a.data, bytes) and a.size == len(a.data) and a.filename for a in m.attachments)
    assert m.text or m.subject or m.attachments or m.skipped_attachments


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise_anything_but_mail_rejected(raw):
    check_contract(raw)


@FUZZ
@given(mutated_samples())
def test_mutated_samples_never_raise_anything_but_mail_rejected(raw):
    check_contract(raw)


@FUZZ
@given(st.text(max_size=200), st.sampled_from(["utf-8", "gb2312", "big5", "iso-8859-1", "bogus"]))
def test_arbitrary_subjects_and_bodies_never_raise(text, charset):
    codec = {"gb2312": "gb18030", "bogus": "utf-8"}.get(charset, charset)
    body = text.encode(codec, "replace")
    subject = "=?" + charset + "?B?" + base64.b64encode(body).decode() + "?="
    check_contract(mail(body, headers={"Subject": subject, "From": f"=?{charset}?Q?{text[:20]}?= <a@example.com>"},
                        content_type=f"text/plain; charset={charset}"))
