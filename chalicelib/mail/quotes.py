"""The new text of a reply: quoted history (Outlook, QQ Mail, Gmail,
forwarded blocks, ">" quotes with their attribution line), signature
delimiters and mobile footers, in English, Simplified and Traditional
Chinese, are trimmed; bottom-posted and interleaved answers are kept."""
from __future__ import annotations

import re

from chalicelib.mail.lazy import LazyPattern
from chalicelib.mail.text import normalise_text

_SEPARATOR = LazyPattern(
    r"^[-—=_\s]*(?:original message|原始邮件|原始郵件|原始信件|原邮件|forwarded message|转发邮件|转发的邮件|轉寄郵件"
    r"|轉寄的郵件)[-—=_\s]*$|^begin forwarded message\s*:?$|^-{3,}\s*(?:reply message|回复的原邮件)\s*-{3,}$",
    re.IGNORECASE)
_FROM_LINE = LazyPattern(r"^\**\s*(?:from|发件人|發件人|寄件者|寄件人)\s*\**\s*[:：]", re.IGNORECASE)
_QUOTED_HEADER = LazyPattern(
    r"^\**\s*(?:sent|date|subject|发送时间|發送時間|时间|時間|日期|寄件日期|主题|主題|主旨)\s*\**\s*[:：]",
    re.IGNORECASE)
_ATTRIBUTION_START = LazyPattern(r"^(?:on\s|在|於|于)", re.IGNORECASE)
_ATTRIBUTION_END = LazyPattern(r"(?:wrote|写道|寫道)\s*[:：]\s*$", re.IGNORECASE)
_DEVICE = (r"(?:iphone|ipad|ipod|android|samsung|galaxy|huawei|honor|xiaomi|redmi|oppo|vivo|oneplus|pixel"
           r"|blackberry|mobile|smartphone|phone|手机|手機|平板|设备|裝置|華為|华为|小米|荣耀|榮耀)")
_FOOTER = LazyPattern(
    r"^(?:sent from my\s.{0,30}?" + _DEVICE + r".{0,30}"
    r"|sent from (?:outlook|mail for windows|yahoo mail|gmail|samsung|huawei|xiaomi)\b.{0,40}"
    r"|get outlook for\s(?:ios|android)\S*"
    r"|(?:发自|發自|寄自|来自|來自)我的\s?.{0,20}?" + _DEVICE + r"\S{0,10}"
    r"|(?:从|從)我的\s?.{0,20}?" + _DEVICE + r"\s?(?:发送|傳送|發送)"
    r"|(?:发自|發自|来自|來自)\s?(?:网易|網易|qq|腾讯|騰訊|搜狐|新浪|139|189|outlook|foxmail|钉钉|阿里)\S{0,20})$",
    re.IGNORECASE)
_DECORATION = LazyPattern(r"^[-—_=*~\s]+$")


def _attribution_lines(lines: list[str], i: int) -> int:
    """How many lines (1-3) an "On … wrote:" / "在…写道：" line starting at i
    spans (mail clients wrap long ones), or 0."""
    first = lines[i].strip()
    if not first or len(first) > 300:
        return 0
    starts = bool(_ATTRIBUTION_START.match(first))
    joined = first
    for k in range(1, 4):
        if k > 1:
            nxt = lines[i + k - 1].strip() if i + k - 1 < len(lines) else ""
            if not starts or not nxt or nxt.startswith(">"):
                return 0
            joined = f"{joined} {nxt}"
        if len(joined) > 400:
            return 0
        if _ATTRIBUTION_END.search(joined) and (starts or "@" in joined):
            return k
    return 0


def _is_from_block(lines: list[str], i: int) -> bool:
    if not _FROM_LINE.match(lines[i].strip()):
        return False
    return any(_QUOTED_HEADER.match(line.strip()) for line in lines[i + 1:i + 5])


def trim_quotes(text: str) -> str:
    """The new text of a reply: stops at quoted-history headers (Outlook, QQ
    Mail, forwarded blocks), at a signature delimiter or a mobile footer; drops
    ">"-quoted lines and the attribution line before them (text between or
    after quoted blocks is kept: bottom-posted and interleaved answers)."""
    lines = text.split("\n")
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        stripped = lines[i].strip()
        if _SEPARATOR.match(stripped) or _is_from_block(lines, i):
            break
        span = _attribution_lines(lines, i)
        if span:
            j = i + span
            while j < n and not lines[j].strip():
                j += 1
            if j < n and lines[j].lstrip().startswith(">"):
                while j < n and (lines[j].lstrip().startswith(">") or not lines[j].strip()):
                    j += 1
                i = j
                continue
            break
        if stripped.startswith(">"):
            i += 1
            continue
        if stripped == "--" or _FOOTER.match(stripped):
            break
        out.append(lines[i])
        i += 1
    while out and (not out[-1].strip() or _DECORATION.match(out[-1])):
        out.pop()
    return normalise_text("\n".join(out))
