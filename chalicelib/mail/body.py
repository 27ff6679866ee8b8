"""Body text from a text part: HTML converted to readable text (quoted
``<blockquote>`` kept as "> " lines so quote trimming treats it like plain
mail), RFC 3676 format=flowed rejoined, then normalised. ``html.parser``
loads on the first HTML body."""
from __future__ import annotations

import re
from typing import Any

from chalicelib.mail.text import normalise_text

MAX_HTML_CHARS = 500_000                # HTML beyond this is not converted (html.parser: ~1 s per 500 KB of tags)


def unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: rejoin soft-wrapped lines."""
    out: list[str] = []
    buf: str | None = None
    buf_depth = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip(">")
        depth = len(line) - len(stripped)
        if stripped.startswith(" "):
            stripped = stripped[1:]
        flowed = stripped.endswith(" ") and stripped != "-- "
        if flowed and delsp:
            stripped = stripped[:-1]
        if buf is not None and depth == buf_depth:
            buf += stripped
        else:
            if buf is not None:
                out.append(_quote_prefix(buf_depth) + buf)
            buf, buf_depth = stripped, depth
        if not flowed:
            out.append(_quote_prefix(buf_depth) + buf)
            buf = None
    if buf is not None:
        out.append(_quote_prefix(buf_depth) + buf)
    return "\n".join(out)


def _quote_prefix(depth: int) -> str:
    return "> " * depth


def body_text(kind: str, text: str) -> str:
    """A body piece (``kind`` "plain" or "html") as normalised plain text."""
    return normalise_text(_html_to_text(text) if kind == "html" else text)


_HTML_CONVERTER: Any = None


def _html_to_text(markup: str) -> str:
    """Readable text from HTML: scripts, styles and the head dropped; line
    breaks for <br> and block ends; lists as "- " items; <blockquote> as "> "
    quoted lines (so quoted history is trimmed like in plain-text mail)."""
    global _HTML_CONVERTER
    markup = markup[:MAX_HTML_CHARS]
    if _HTML_CONVERTER is None:
        _HTML_CONVERTER = _make_html_converter()
    try:
        converter = _HTML_CONVERTER()
        converter.feed(markup)
        converter.close()
        return converter.text()
    except Exception:  # noqa: BLE001 - html.parser is tolerant; if it still fails, strip tags crudely
        import html  # loaded already: html.parser imports it
        text = markup
        for tag in ("script", "style", "head"):
            text = _drop_elements(text, tag)
        text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|li|tr|h[1-6])\s*>", "\n", text)
        return html.unescape(re.sub(r"<[^>]*>", "", text))


def _drop_elements(markup: str, tag: str) -> str:
    """Remove <tag ...>...</tag> (an unclosed one runs to the end), in linear time."""
    lower, out, pos = markup.lower(), [], 0
    while True:
        start = lower.find("<" + tag, pos)
        if start < 0:
            out.append(markup[pos:])
            return "".join(out)
        out.append(markup[pos:start])
        end = lower.find("</" + tag, start)
        if end < 0:
            return "".join(out)
        close = lower.find(">", end)
        pos = len(markup) if close < 0 else close + 1


def _make_html_converter() -> type:
    from html.parser import HTMLParser  # ~2 ms: only mail with an HTML body needs it

    skip_tags = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
    block_tags = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                            "pre", "section", "article", "header", "footer", "hr", "dl", "dt", "dd", "address",
                            "center", "form", "fieldset", "figure", "figcaption", "main", "nav", "aside",
                            "caption", "thead", "tbody", "tfoot", "blockquote", "body"})
    gap_tags = frozenset({"p", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})  # margins
    space = re.compile(r"[ \t\r\n\f]+")

    class Converter(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.lines: list[list[Any]] = [[0, []]]  # [blockquote depth, chunks]
            self.skip = 0
            self.quote = 0
            self.pre = 0

        def _soft_break(self) -> None:
            if self.lines[-1][1]:
                self.lines.append([self.quote, []])

        def _hard_break(self) -> None:
            self.lines.append([self.quote, []])

        def _gap(self) -> None:
            self._soft_break()
            if self.lines[-2:-1] and self.lines[-2][1] and not self.lines[-1][1]:
                self._hard_break()

        def handle_starttag(self, tag, attrs):
            if tag in skip_tags:
                self.skip += 1
                return
            if tag == "body":
                self.skip = 0  # an unclosed <head> must not swallow the body
            if tag == "br":
                self._hard_break()
            elif tag in block_tags:
                if tag in gap_tags:
                    self._gap()
                else:
                    self._soft_break()
                if tag == "blockquote":
                    self.quote += 1
                    self.lines[-1][0] = self.quote
                elif tag == "li":
                    self._append("- ")
                elif tag == "pre":
                    self.pre += 1
            elif tag in ("td", "th") and self.lines[-1][1]:
                self.lines[-1][1].append(" ")

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs)
            if tag in skip_tags:
                self.skip = max(0, self.skip - 1)

        def handle_endtag(self, tag):
            if tag in skip_tags:
                self.skip = max(0, self.skip - 1)
                return
            if tag in block_tags:
                if tag in gap_tags:
                    self._gap()
                else:
                    self._soft_break()
                if tag == "blockquote":
                    self.quote = max(0, self.quote - 1)
                    self.lines[-1][0] = self.quote
                elif tag == "pre":
                    self.pre = max(0, self.pre - 1)

        def handle_data(self, data):
            if self.skip:
                return
            if self.pre:
                first, *rest = data.replace("\r\n", "\n").split("\n")
                self._append(first)
                for line in rest:
                    self._hard_break()
                    self._append(line)
                return
            self._append(space.sub(" ", data))

        def _append(self, chunk: str) -> None:
            if not chunk:
                return
            line = self.lines[-1]
            if not line[1]:
                line[0] = self.quote
            if not line[1] or line[1][-1].endswith(" "):
                chunk = chunk.lstrip(" ")
                if not chunk:
                    return
            line[1].append(chunk)

        def text(self) -> str:
            out = []
            for depth, chunks in self.lines:
                content = "".join(chunks).replace("\xa0", " ").strip()
                out.append("> " * depth + content if content else "")
            return "\n".join(out)

    return Converter
