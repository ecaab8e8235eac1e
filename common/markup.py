"""Markdown written by editors, turned into sanitized HTML once, when it is saved; and JSON
made safe to sit in a <script> element."""

import json
import re
from typing import Any

import markdown
import nh3

EMPTY_HEADER = re.compile(r"<th((?: [^>]*)?)>\s*</th>")

# Section bodies sit under an <h2> section title, so they may use <h3> and <h4> only.
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> str:
    """Return safe HTML for `text`: raw HTML, scripts and unknown tags are removed. A table's
    empty corner cell (`| | A | B |`) is a plain cell: an empty header names no column."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    html = EMPTY_HEADER.sub(r"<td\1></td>", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def json_script_text(data: Any) -> str:
    """`data` as JSON for a <script> element (schema.org markup), escaped like Django's
    json_script, so no text in it can close the element."""
    return (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
