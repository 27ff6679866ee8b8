"""The scheduled report's mail (issue 17): subject, HTML body with the numbers of the
dashboard's charts as tables, a plain-text part, and the same tables as a CSV
(UTF-8 with BOM, so Excel opens Chinese correctly) and an XLSX attachment, in the
schedule's language (zh-Hans, zh-Hant, en). Pure: the standard library and the
domain only. The XLSX is written with ``zipfile`` (one sheet, inline strings):
no spreadsheet library in the Lambda package.
"""
from __future__ import annotations

import csv
import html
import io
import zipfile
from typing import Any
from xml.sax.saxutils import escape

from chalicelib.domain.public import CATEGORY_LABELS

Table = tuple[str, list[str], list[list[Any]]]

_WORDS: dict[str, dict[str, str]] = {
    "daily": {"zh-Hans": "日报", "zh-Hant": "日報", "en": "Daily report"},
    "weekly": {"zh-Hans": "周报", "zh-Hant": "週報", "en": "Weekly report"},
    "monthly": {"zh-Hans": "月报", "zh-Hant": "月報", "en": "Monthly report"},
    "summary": {"zh-Hans": "概况", "zh-Hant": "概況", "en": "Summary"},
    "figure": {"zh-Hans": "指标", "zh-Hant": "指標", "en": "Figure"},
    "value": {"zh-Hans": "数值", "zh-Hant": "數值", "en": "Value"},
    "received": {"zh-Hans": "受理总数", "zh-Hant": "受理總數", "en": "Cases received"},
    "after_hours": {"zh-Hans": "非工作时间受理", "zh-Hant": "非工作時間受理", "en": "Received after hours"},
    "after_hours_share": {"zh-Hans": "非工作时间占比", "zh-Hant": "非工作時間佔比", "en": "After-hours share"},
    "satisfaction": {"zh-Hans": "满意率", "zh-Hant": "滿意率", "en": "Satisfaction rate"},
    "callback_rate": {"zh-Hans": "回访率", "zh-Hant": "回訪率", "en": "Callback rate"},
    "reopen_rate": {"zh-Hans": "重开率", "zh-Hant": "重開率", "en": "Reopen rate"},
    "rating": {"zh-Hans": "平均评分", "zh-Hant": "平均評分", "en": "Average rating"},
    "escalations": {"zh-Hans": "升级次数", "zh-Hant": "升級次數", "en": "Escalations"},
    "on_time": {"zh-Hans": "按时率（按时限）", "zh-Hant": "按時率（按時限）", "en": "On time by window"},
    "on_time_dept": {"zh-Hans": "按时率（按部门）", "zh-Hant": "按時率（按部門）", "en": "On time by department"},
    "by_cause": {"zh-Hans": "答复按时率（按原因）", "zh-Hant": "答覆按時率（按原因）", "en": "Response on time by cause"},
    "top": {"zh-Hans": "投诉类别排行", "zh-Hant": "投訴類別排行", "en": "Top categories"},
    "window": {"zh-Hans": "时限", "zh-Hant": "時限", "en": "Window"},
    "department": {"zh-Hans": "部门", "zh-Hant": "部門", "en": "Department"},
    "cause": {"zh-Hans": "原因", "zh-Hant": "原因", "en": "Cause"},
    "category": {"zh-Hans": "类别", "zh-Hant": "類別", "en": "Category"},
    "count": {"zh-Hans": "件数", "zh-Hant": "件數", "en": "Cases"},
    "share": {"zh-Hans": "占比", "zh-Hant": "佔比", "en": "Share"},
    "due": {"zh-Hans": "到期", "zh-Hant": "到期", "en": "Due"},
    "met_on_time": {"zh-Hans": "按时", "zh-Hant": "按時", "en": "On time"},
    "met_late": {"zh-Hans": "超时完成", "zh-Hant": "超時完成", "en": "Late"},
    "missed": {"zh-Hans": "未完成", "zh-Hant": "未完成", "en": "Missed"},
    "rate": {"zh-Hans": "按时率", "zh-Hant": "按時率", "en": "Rate"},
    "handoff": {"zh-Hans": "10分钟移交", "zh-Hant": "10分鐘移交", "en": "Hand-off (10 min)"},
    "feedback": {"zh-Hans": "1个工作日反馈", "zh-Hant": "1個工作日回饋", "en": "Feedback (1 working day)"},
    "response": {"zh-Hans": "答复", "zh-Hant": "答覆", "en": "Response"},
    "callback": {"zh-Hans": "3小时回访", "zh-Hant": "3小時回訪", "en": "Callback (3 h)"},
    "business_affected": {"zh-Hans": "影响营业（1小时）", "zh-Hant": "影響營業（1小時）", "en": "Business affected (1 h)"},
    "outside_control": {"zh-Hans": "非我方原因（2天）", "zh-Hant": "非我方原因（2天）", "en": "Outside our control (2 d)"},
    "equipment_facility": {"zh-Hans": "设备设施（3天）", "zh-Hant": "設備設施（3天）",
                           "en": "Equipment / facility (3 d)"},
    "unclassified": {"zh-Hans": "未分类", "zh-Hant": "未分類", "en": "Unclassified"},
    "unassigned": {"zh-Hans": "未指派", "zh-Hant": "未指派", "en": "Unassigned"},
    "duplicate_rate": {"zh-Hans": "重复受理率", "zh-Hant": "重複受理率", "en": "Duplicate rate"},
    "repeat_rate": {"zh-Hans": "重复发生率", "zh-Hant": "重複發生率", "en": "Repeat rate"},
    "dup_by_channel": {"zh-Hans": "重复受理（按渠道）", "zh-Hant": "重複受理（按渠道）", "en": "Duplicates by channel"},
    "repeat_by_category": {"zh-Hans": "重复发生（按类别）", "zh-Hant": "重複發生（按類別）", "en": "Repeats by category"},
    "repeat_by_unit": {"zh-Hans": "有重复发生的单元/区域", "zh-Hant": "有重複發生的單位/區域",
                       "en": "Units and areas with repeats"},
    "channel": {"zh-Hans": "渠道", "zh-Hant": "渠道", "en": "Channel"},
    "unit": {"zh-Hans": "单元/区域", "zh-Hant": "單位/區域", "en": "Unit / area"},
    "duplicates": {"zh-Hans": "重复件数", "zh-Hant": "重複件數", "en": "Duplicates"},
    "repeats": {"zh-Hans": "重复发生件数", "zh-Hant": "重複發生件數", "en": "Repeats"},
    "ch_app": {"zh-Hans": "App", "zh-Hant": "App", "en": "App"},
    "ch_web": {"zh-Hans": "网页", "zh-Hant": "網頁", "en": "Web"},
    "ch_email": {"zh-Hans": "电子邮件", "zh-Hant": "電子郵件", "en": "Email"},
    "ch_phone": {"zh-Hans": "电话", "zh-Hant": "電話", "en": "Phone"},
    "ch_walk_in": {"zh-Hans": "来访", "zh-Hant": "來訪", "en": "Walk-in"},
    "ch_letter": {"zh-Hans": "信函", "zh-Hant": "信函", "en": "Letter"},
    "intro": {"zh-Hans": "以下为本期统计，附件为 CSV 与 Excel 表格。",
              "zh-Hant": "以下為本期統計，附件為 CSV 與 Excel 表格。",
              "en": "This period's figures follow; the CSV and Excel files are attached."},
}


def word(key: str, lang: str) -> str:
    labels = _WORDS.get(key) or CATEGORY_LABELS.get(key)
    return labels.get(lang, labels["en"]) if labels else key


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _place(key: str) -> str:
    """A unit or area as compared (``duplicates.place_key``): the typed unit, or the archive's id."""
    return key.split(":", 1)[1] if key.startswith("text:") else key


def _duplicate_tables(doc: dict[str, Any], lang: str) -> list[Table]:
    """Duplicates by channel, repeats by category and the units with repeats
    (``stats.duplicate_figures``: the seed's 41.2% handled twice, to shrink)."""
    w = lambda key: word(key, lang)  # noqa: E731
    dup = doc.get("duplicates") or {}

    def rows(block: dict[str, Any] | None, part: str, label: Any) -> list[list[Any]]:
        return [[label(key), f.get("received", 0), f.get(part, 0), _pct(f.get("rate"))]
                for key, f in (block or {}).items()]
    by_channel = rows(dup.get("by_channel"), "duplicates", lambda k: w(f"ch_{k}"))
    by_category = rows(dup.get("repeats_by_category"), "repeats", w)
    by_unit = sorted(rows(dup.get("repeats_by_unit"), "repeats", _place), key=lambda r: (-r[2], str(r[0])))
    return [(w("dup_by_channel"), [w("channel"), w("count"), w("duplicates"), w("duplicate_rate")], by_channel),
            (w("repeat_by_category"), [w("category"), w("count"), w("repeats"), w("repeat_rate")], by_category),
            (w("repeat_by_unit"), [w("unit"), w("count"), w("repeats"), w("repeat_rate")], by_unit)]


def tables(doc: dict[str, Any], lang: str) -> list[Table]:
    """The report's tables (the numbers behind the dashboard's charts)."""
    w = lambda key: word(key, lang)  # noqa: E731
    ratings = doc.get("ratings") or {}
    summary = [
        [w("received"), doc.get("received", 0)],
        [w("after_hours"), (doc.get("after_hours") or {}).get("received", 0)],
        [w("after_hours_share"), _pct((doc.get("after_hours") or {}).get("share"))],
        [w("satisfaction"), _pct((doc.get("satisfaction") or {}).get("rate"))],
        [w("callback_rate"), _pct((doc.get("callbacks") or {}).get("rate"))],
        [w("reopen_rate"), _pct((doc.get("reopen_rate") or {}).get("rate"))],
        [w("rating"), "—" if ratings.get("average") is None else ratings["average"]],
        [w("escalations"), (doc.get("escalations") or {}).get("total", 0)],
        [w("duplicate_rate"), _pct((doc.get("duplicates") or {}).get("duplicate_rate"))],
        [w("repeat_rate"), _pct((doc.get("duplicates") or {}).get("repeat_rate"))],
    ]
    parts = ["due", "met_on_time", "met_late", "missed"]

    def block_row(label: list[str], block: dict[str, Any]) -> list[Any]:
        return [*label, *(block.get(p, 0) for p in parts), _pct(block.get("rate"))]

    by_window = [block_row([w(name)], block) for name, block in (doc.get("on_time_by_window") or {}).items()]
    by_dept = [block_row([w(dept), w(name)], block)
               for dept, windows in (doc.get("on_time_by_department") or {}).items()
               for name, block in windows.items() if block.get("due")]
    by_cause = [block_row([w(cause)], block) for cause, block in (doc.get("response_by_cause") or {}).items()]
    top = [[w(row["category"]), row["count"], _pct(row["share"])] for row in doc.get("top_categories") or []]
    header = [w(p) for p in parts] + [w("rate")]
    return [(w("summary"), [w("figure"), w("value")], summary),
            (w("top"), [w("category"), w("count"), w("share")], top),
            (w("on_time"), [w("window"), *header], by_window),
            (w("on_time_dept"), [w("department"), w("window"), *header], by_dept),
            (w("by_cause"), [w("cause"), *header], by_cause),
            *_duplicate_tables(doc, lang)]


def subject(property_name: str, report: str, period_label: str, lang: str) -> str:
    return f"[{property_name}] {word(report, lang)} {period_label}"


def html_body(property_name: str, report: str, period_label: str, doc: dict[str, Any], lang: str) -> str:
    e = html.escape
    out = [f"<!doctype html><html lang=\"{e(lang)}\"><head><meta charset=\"utf-8\"></head><body>",
           f"<h1>{e(property_name)} {e(word(report, lang))} {e(period_label)}</h1>", f"<p>{e(word('intro', lang))}</p>"]
    for title, header, rows in tables(doc, lang):
        out.append(f"<h2>{e(title)}</h2><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr>"
                   + "".join(f"<th>{e(str(h))}</th>" for h in header) + "</tr>")
        out.extend("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def text_body(property_name: str, report: str, period_label: str, doc: dict[str, Any], lang: str) -> str:
    lines = [f"{property_name} {word(report, lang)} {period_label}", word("intro", lang)]
    for title, header, rows in tables(doc, lang):
        lines += ["", f"## {title}", " | ".join(header)] + [" | ".join(str(c) for c in row) for row in rows]
    return "\n".join(lines) + "\n"


def _rows(doc: dict[str, Any], lang: str) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for title, header, body in tables(doc, lang):
        rows += [[title], header, *body, []]
    return rows[:-1]


def csv_bytes(doc: dict[str, Any], lang: str) -> bytes:
    """UTF-8 with a BOM: Excel reads it as UTF-8 (without one, Chinese comes out garbled)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(_rows(doc, lang))
    return buffer.getvalue().encode("utf-8-sig")


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def xlsx_bytes(doc: dict[str, Any], lang: str, sheet: str = "Report") -> bytes:
    """A one-sheet Office Open XML workbook: numbers as numbers, text as inline strings."""
    cells = []
    for r, row in enumerate(_rows(doc, lang), start=1):
        parts = []
        for c, value in enumerate(row):
            ref = f"{_column(c)}{r}"
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parts.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                parts.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        cells.append(f'<row r="{r}">{"".join(parts)}</row>')
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(sheet[:31])}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{"".join(cells)}</sheetData></worksheet>'),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode("utf-8"))
    return buffer.getvalue()
