"""The last step of every answer, whichever engine wrote it: only codes that exist, each linked.

- Links and raw URLs a model wrote are reduced to their text: an answer links only to our pages.
- Every code-shaped identifier is looked up (one query): one we have becomes a link to its page;
  one we do not have is removed and never shown. Three-character words (E11, I10) are also
  ICD-10-CM category names, which an official note may mention and which are not codes of their
  own, so they are linked when they exist and otherwise left as they are.
- Citations [n] link to their source; a number no source has is dropped.
- The answer ends with the reminder every answer carries.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from codes.models import Code, compact_identifier

VERIFY = "Verify with the official guidelines and your payer's policies."
REMOVED_NOTE = (
    "An identifier in this answer was not found in CodeAhead's code sets and has been removed."
)

# Identifiers as an answer writes them: upper case only, so ordinary words never match. Strict
# shapes (removed when unknown): CPT, HCPCS Level II, dotted ICD-10-CM, ICD-10-PCS. Loose shape
# (left alone when unknown): a three-character ICD-10-CM category or code.
ANSWER_CODE = re.compile(
    r"(?<![\w./#-])(?:"
    r"(?P<strict>\d{4}[0-9FTU]|[A-V]\d{4}|[A-TV-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4}"
    r"|[0-9BCDFGHX](?=[0-9A-HJ-NP-Z]{0,5}\d)[0-9A-HJ-NP-Z]{6})"
    r"|(?P<loose>[A-TV-Z]\d[0-9A-Z])"
    r")(?![\w/]|\.\w)"
)
MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
BARE_URL = re.compile(r"<?\b(?:https?://|www\.)[^\s<>)\]]+>?", re.IGNORECASE)
CITATION = re.compile(r"\[(\d{1,2})\](?!\()")


@dataclass(frozen=True, slots=True)
class SourceLink:
    number: int
    url: str


@dataclass(frozen=True, slots=True)
class Finished:
    markdown: str
    removed: list[str]  # identifiers that do not exist, taken out


def strip_links(text: str) -> str:
    """A model's Markdown links and bare URLs, reduced to their text."""
    return BARE_URL.sub("", MARKDOWN_LINK.sub(r"\1", text))


def verify_codes(text: str) -> Finished:
    """Link every identifier we have; remove every strict-shaped one we do not (one query)."""
    tokens = {m.group(0) for m in ANSWER_CODE.finditer(text)}
    compacts = {t: compact_identifier(t) for t in tokens}
    known: dict[str, Code] = {}
    wanted = sorted({c for c in compacts.values() if c})
    if wanted:
        for code in Code.objects.by_compacts(wanted).order_by("code_set__position"):
            known.setdefault(code.identifier.replace(".", ""), code)
    removed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        code = known.get(compacts[token] or "")
        if code is not None and (match.group("loose") is None or code.identifier == token):
            return f"[{code.identifier}]({code.get_absolute_url()})"
        if match.group("strict") is not None:
            removed.append(token)
            return ""
        return token

    markdown = ANSWER_CODE.sub(replace, text)
    if removed:
        # What held the identifier ("(, )", "**" with nothing inside) goes with it.
        markdown = re.sub(r"\*\*\s*\*\*|\(\s*(?:,\s*)*\)", "", markdown)
        markdown = re.sub(r"[ \t]{2,}", " ", markdown)
        markdown = re.sub(r" +([,.;:])", r"\1", markdown)
    return Finished(markdown=markdown, removed=removed)


def link_citations(text: str, sources: Sequence[SourceLink]) -> str:
    urls = {source.number: source.url for source in sources}

    def replace(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return f"[\\[{number}\\]]({urls[number]})" if number in urls else ""

    return CITATION.sub(replace, text)


def finish(text: str, *, sources: Sequence[SourceLink], from_model: bool) -> Finished:
    """The answer as stored and shown: links reduced (a model's), codes verified and linked,
    citations linked, removals noted, the reminder at the end."""
    body = strip_links(text) if from_model else text
    body = body.replace(VERIFY, "").rstrip()
    checked = verify_codes(body)
    markdown = link_citations(checked.markdown, sources)
    if checked.removed:
        markdown += f"\n\n*{REMOVED_NOTE}*"
    markdown += f"\n\n{VERIFY}"
    return Finished(markdown=markdown.strip(), removed=checked.removed)
