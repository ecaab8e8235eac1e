"""Case2Code search: the one module that decides what a query finds and in which order.

- An exact identifier in any spelling (`0439t`, `e119`, ` E11.9 `) goes to its page.
- An identifier prefix (`992`, `E11`) or range (`99202-99215`) lists codes in identifier order.
- Words are matched with PostgreSQL full-text search on titles (weight A) and our plain-language
  descriptions (weight B), accents folded; coder abbreviations are expanded (`htn`, `echo`) and
  misspelt words are corrected against the words the codes actually use (trigram similarity).
- Results carry identifiers and titles only: no description or section text ever leaves here.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, FloatField, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Length, Replace

from codes.models import COMPACT_IDENTIFIER, Code, compact_identifier

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
# How alike a misspelt word and its correction must be (pg_trgm similarity): "astma" -> "asthma"
# is 0.44, while "meniere" -> "meniscus" (0.31) is a different word, not a typo.
MIN_SIMILARITY = 0.4

# Words coders type for what the code sets spell out. Each expands to alternatives ("|").
ABBREVIATIONS: dict[str, str] = {
    "afib": "atrial fibrillation",
    "a1c": "hemoglobin a1c",
    "awv": "annual wellness visit",
    "bmp": "basic metabolic panel",
    "bph": "benign prostatic hyperplasia",
    "bx": "biopsy",
    "cabg": "coronary artery bypass",
    "cad": "atherosclerotic heart disease",
    "cbc": "blood count",
    "chf": "heart failure",
    "chole": "cholecystectomy",
    "ckd": "chronic kidney disease",
    "cmp": "comprehensive metabolic panel",
    "copd": "chronic obstructive pulmonary disease",
    "ct": "computed tomography",
    "cva": "cerebral infarction",
    "dm": "diabetes mellitus",
    "dme": "durable medical equipment",
    "dvt": "deep vein thrombosis",
    "ecg": "electrocardiogram",
    "echo": "echocardiography",
    "ed": "emergency department",
    "ekg": "electrocardiogram",
    "em": "evaluation management",
    "fx": "fracture",
    "gerd": "gastro-esophageal reflux disease",
    "hba1c": "hemoglobin a1c",
    "htn": "hypertension",
    "hx": "history",
    "lap": "laparoscopic",
    "lbp": "low back pain",
    "mi": "myocardial infarction",
    "mri": "magnetic resonance imaging",
    "ov": "office visit",
    "pe": "pulmonary embolism",
    "sob": "shortness of breath",
    "t2dm": "type 2 diabetes mellitus",
    "tee": "transesophageal echocardiography",
    "tte": "transthoracic echocardiography",
    "uri": "upper respiratory infection",
    "uti": "urinary tract infection",
    "xray": "radiologic|radiograph",
}

# Titles are escaped in SQL before highlighting, so the <mark> tags are the only markup.
ESCAPED_TITLE = RawSQL(
    "replace(replace(replace(codes_code.title, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')", []
)
INACTIVE_LAST = Case(When(status="active", then=Value(0)), default=Value(1))

RANGE = re.compile(r"^\s*([0-9A-Za-z.]{3,8})\s*(?:-|–|—|to)\s*([0-9A-Za-z.]{3,8})\s*$")


@dataclass(frozen=True, slots=True)
class Hit:
    identifier: str
    title_html: str  # the title, escaped, with matched words in <mark>
    code_set_name: str
    url: str
    is_deleted: bool


@dataclass(slots=True)
class SearchResult:
    kind: Literal["empty", "exact", "identifiers", "words"]
    query: str
    redirect_to: str | None = None
    queryset: "QuerySet[Code] | None" = None
    corrected: str | None = None  # the query as we understood it, when spelling was corrected
    notes: list[str] = field(default_factory=list)


def clean_query(raw: str) -> str:
    """Printable text only, one space between words, at most MAX_QUERY_LENGTH characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in raw)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def search(raw: str, *, code_set: str | None = None, status: str | None = None) -> SearchResult:
    """Understand `raw` and return what to show. Runs no query until the result is read, except
    the exact-match check and the spelling lookup."""
    query = clean_query(raw)
    if not query:
        return SearchResult(kind="empty", query="")
    codes = Code.objects.all()
    if code_set:
        codes = codes.filter(code_set__slug=code_set)
    if status:
        codes = codes.filter(status=status)

    compact = compact_identifier(query)
    if compact is not None:
        exact = list(codes.by_compact(compact).select_related("code_set")[:2])
        if len(exact) == 1:
            return SearchResult(
                kind="exact",
                query=query,
                redirect_to=exact[0].get_absolute_url(),
                queryset=_identifier_order(codes.filter(pk=exact[0].pk)),
            )
        prefixed = codes.by_compact_prefix(compact)
        if prefixed.exists():
            return SearchResult(
                kind="identifiers", query=query, queryset=_identifier_order(prefixed)
            )

    bounds = RANGE.match(query)
    if bounds:
        low, high = (compact_identifier(part) for part in bounds.groups())
        if low and high and COMPACT_IDENTIFIER.fullmatch(low):
            low, high = min(low, high), max(low, high)
            in_range = codes.alias(compact=Replace("identifier", Value("."), Value(""))).filter(
                compact__gte=low, compact__lte=high + "\uffff"
            )
            return SearchResult(
                kind="identifiers", query=query, queryset=_identifier_order(in_range)
            )

    return _word_search(query, codes)


def _identifier_order(codes: "QuerySet[Code]") -> "QuerySet[Code]":
    return (
        codes.select_related("code_set")
        .only("identifier", "title", "status", "code_set__slug", "code_set__name")
        .annotate(title_html=ESCAPED_TITLE)
        .order_by("code_set__position", "identifier")
    )


def _words(query: str) -> list[str]:
    """Lower-case words without accents (Ménière -> meniere); x-ray stays one word."""
    folded = unicodedata.normalize("NFKD", query.lower().replace("x-ray", "xray"))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", plain)[:MAX_WORDS]


def _corrections(words: list[str]) -> dict[str, str]:
    """For each word the codes never use, the closest word they do use (if close enough)."""
    candidates = [w for w in words if len(w) >= 4 and not w.isdigit() and w not in ABBREVIATIONS]
    if not candidates:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT q.word, best.word
            FROM unnest(%s::text[]) AS q(word)
            CROSS JOIN LATERAL (
                SELECT w.word FROM codes_searchword w
                WHERE w.word %% q.word AND similarity(w.word, q.word) >= %s
                ORDER BY w.word = q.word DESC, similarity(w.word, q.word) DESC, w.ndoc DESC
                LIMIT 1
            ) AS best
            WHERE best.word <> q.word
            """,
            [candidates, MIN_SIMILARITY],
        )
        return dict(cursor.fetchall())


def _tsquery(words: list[str], *, any_word: bool) -> str:
    """A to_tsquery expression from plain words (letters and digits only, so nothing to escape).
    Abbreviations become alternatives; the last word also matches as a prefix, for typing."""
    parts = []
    for position, word in enumerate(words):
        term = f"{word}:*" if position == len(words) - 1 and len(word) >= 3 else word
        if word in ABBREVIATIONS:
            alternatives = (" & ".join(_words(alt)) for alt in ABBREVIATIONS[word].split("|"))
            term = "(" + " | ".join([term, *(f"({alt})" for alt in alternatives)]) + ")"
        parts.append(term)
    return (" | " if any_word else " & ").join(parts)


def _word_search(query: str, codes: "QuerySet[Code]") -> SearchResult:
    words = _words(query)
    if not words:
        return SearchResult(kind="words", query=query, queryset=codes.none())
    corrections = _corrections(words)
    corrected = [corrections.get(word, word) for word in words]
    queryset = _ranked(codes, _tsquery(corrected, any_word=False))
    notes = []
    if not queryset.exists():
        queryset = _ranked(codes, _tsquery(corrected, any_word=True))
        notes.append("No code matches every word; these match some of them.")
    return SearchResult(
        kind="words",
        query=query,
        queryset=queryset,
        corrected=" ".join(corrected) if corrections else None,
        notes=notes,
    )


def _ranked(codes: "QuerySet[Code]", tsquery: str) -> "QuerySet[Code]":
    """Best first: title matches over description matches, short precise titles over long ones
    that merely mention a word, popular and active codes ahead of their peers."""
    query = SearchQuery(
        RawSQL("codeahead_unaccent(%s)", [tsquery]),  # type: ignore[arg-type]
        search_type="raw",
        config="english",
    )
    rank = (
        SearchRank(F("search_vector"), query, weights=[0.05, 0.1, 0.4, 1.0], normalization=1)
        + Cast(F("popularity"), FloatField()) / Value(400.0)
        - Cast(Length("title"), FloatField()) / Value(2000.0)
    )
    return (
        codes.filter(search_vector=query)
        .select_related("code_set")
        .only("identifier", "title", "status", "code_set__slug", "code_set__name")
        .annotate(
            rank=rank,
            title_html=SearchHeadline(
                ESCAPED_TITLE,
                query,
                config="english",
                start_sel="<mark>",
                stop_sel="</mark>",
                highlight_all=True,
            ),
        )
        .order_by(INACTIVE_LAST, "-rank", Length("title"), "identifier")
    )


def hits(codes: "list[Code]") -> list[Hit]:
    return [
        Hit(
            identifier=code.identifier,
            title_html=code.title_html,  # type: ignore[attr-defined]
            code_set_name=code.code_set.name,
            url=code.get_absolute_url(),
            is_deleted=code.is_deleted,
        )
        for code in codes
    ]


def refresh_search_words() -> None:
    """Rebuild the word list used for spelling correction (after imports and demo loads)."""
    with connection.cursor() as cursor:
        cursor.execute("REFRESH MATERIALIZED VIEW codes_searchword")
