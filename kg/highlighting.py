"""Verbatim text as HTML with highlighted spans, where spans may nest or overlap.

Each span becomes a `<span class="hl ...">` element carrying its id. Nested spans nest as
elements; a span that crosses the end of another is closed and reopened (the later pieces carry
`hl-cont` and no id), so the markup is always well formed. Links cannot nest in HTML, so the links
sit on the leaves: every run of text inside a highlight is one `<a>` to the innermost span's target.
Stripping the tags and unescaping gives back the text exactly.
"""
from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: int  # code-point offsets into the text, end exclusive
    end: int
    element_id: str  # unique on the page
    css: str  # class names besides "hl"
    href: str | None = None  # where a click on the span's own text goes
    title: str = ""  # tooltip
    rank: int = 0  # among spans with the same extent, a higher rank nests deeper (and gets the clicks)


def _attribute(value: str) -> str:
    return html.escape(value, quote=True)


def _open(span: Span, first: bool) -> str:
    if first:
        attributes = f' id="{_attribute(span.element_id)}" class="hl {_attribute(span.css)}"'
    else:
        attributes = f' class="hl hl-cont {_attribute(span.css)}" data-part-of="{_attribute(span.element_id)}"'
    if span.title:
        attributes += f' title="{_attribute(span.title)}"'
    return f"<span{attributes}>"


def highlight(text: str, spans: list[Span]) -> str:
    """`text` HTML-escaped, with every span inside [0, len(text)) wrapped; spans outside it are left out."""
    valid = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    # outer before inner: earlier start, then longer, then lower rank
    order = sorted(valid, key=lambda s: (s.start, -s.end, s.rank, s.element_id))
    bounds = sorted({0, len(text)} | {s.start for s in valid} | {s.end for s in valid})
    out: list[str] = []
    stack: list[Span] = []
    opened: set[str] = set()
    for begin, finish in zip(bounds, bounds[1:]):
        active = [s for s in order if s.start <= begin < s.end]
        keep = 0
        while keep < len(stack) and keep < len(active) and stack[keep] is active[keep]:
            keep += 1
        out.extend("</span>" for _ in stack[keep:])
        for span in active[keep:]:
            out.append(_open(span, span.element_id not in opened))
            opened.add(span.element_id)
        stack = active
        piece = html.escape(text[begin:finish], quote=False)
        if stack and stack[-1].href:
            out.append(f'<a href="{_attribute(stack[-1].href)}">{piece}</a>')
        else:
            out.append(piece)
    out.extend("</span>" for _ in stack)
    return "".join(out)
