"""Plain-text hygiene shared by header values and bodies: control characters
out, line ends and blank lines normalised, and cutting text to a limit with a
marker in the reader's language."""
from __future__ import annotations

from chalicelib.mail.lazy import LazyPattern

TRUNCATION_MARKERS = {"zh-Hans": "…（以下省略）", "zh-Hant": "…（以下省略）", "en": "… (truncated)"}
_CONTROL = LazyPattern("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u200b]")


def clean_line(value: str) -> str:
    """One line: control characters dropped, runs of white space made one space."""
    return " ".join(_CONTROL.sub("", value).split())


def normalise_text(text: str) -> str:
    """LF line ends, no control characters or trailing blanks, at most one blank
    line in a row, no blank lines at either end."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def truncate(text: str, limit: int, marker: str, force: bool = False) -> str:
    """At most ``limit`` characters; the marker ends text that was cut (here or before)."""
    if len(text) <= limit and not force:
        return text
    return text[:limit - len(marker)].rstrip() + marker
