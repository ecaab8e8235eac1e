"""ICD-10-CM notes as HTML, with every code they mention linked (rendered once, at import).

The tabular list mentions codes in many shapes: a code `(P70.2)`, a category and everything below
it `(E10.-)`, `(O24.4-)`, `(G35-)`, a range `(E08-E13)`, `(N14.0-N14.2)`, `(I10-I1A)`, a list
`(Y63.6, Y63.8-Y63.9)`, with a qualifier `(E08-E13 with .42)`, or in prose (`category E11`).

A link is made only when the database has a code it leads to: a code's page when the reference
is a code we have, the search listing the codes that start with it when it is a category or
subcategory (`E10.-`, `Z79.4` when only its children are codes), the range search for a range
whose first end starts some code. Anything else stays text: "vitamin B12" mentions no code, and
`G31.90`, cited in the F02 notes, is no code of the April 2026 release.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import escape, format_html

CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
CODE_REFERENCE = re.compile(
    rf"""(?<![A-Za-z0-9.])
    (?P<start>{CODE})
    (?:-(?P<end>{CODE}))?  # a range: E08-E13, N14.0-N14.2, I10-I1A
    (?P<open>\.?-)?        # and everything below: E10.-, O24.4-, G35-, E00-E03.-
    (?![A-Za-z0-9])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class KnownCodes:
    """The codes of a code set a note may link to, by their compact spelling (E119)."""

    set_slug: str
    identifiers: dict[str, str]  # compact -> canonical (E119 -> E11.9)
    prefixes: frozenset[str]  # every compact prefix, three characters or more, of those codes

    @classmethod
    def of(cls, *, set_slug: str, identifiers: Iterable[str]) -> "KnownCodes":
        canonical = {identifier.replace(".", ""): identifier for identifier in identifiers}
        prefixes = {
            compact[:length] for compact in canonical for length in range(3, len(compact) + 1)
        }
        return cls(set_slug, canonical, frozenset(prefixes))

    def code_url(self, compact: str) -> str:
        return reverse("codes:code", args=[self.set_slug, self.identifiers[compact]])

    def search_url(self, query: str) -> str:
        return f"{reverse('codes:search')}?{urlencode({'q': query, 'set': self.set_slug})}"


def link_codes(text: str, *, known: KnownCodes) -> str:
    """`text`, escaped, with every code reference that leads somewhere a link."""
    parts: list[str] = []
    position = 0
    for match in CODE_REFERENCE.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(_link(match, known) or escape(match.group()))
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def _link(match: re.Match[str], known: KnownCodes) -> str | None:
    start = match["start"]
    compact = start.replace(".", "")
    if compact not in known.prefixes:
        return None
    if match["end"]:
        href = known.search_url(f"{start}-{match['end']}")
        title = f"Codes from {start} to {match['end']}"
    elif compact in known.identifiers and not match["open"]:
        href, title = known.code_url(compact), ""
    else:
        href, title = known.search_url(start), f"Codes starting with {start}"
    if title:
        return format_html('<a href="{}" title="{}">{}</a>', href, title, match.group())
    return format_html('<a href="{}">{}</a>', href, match.group())
