"""Case2Code search: the one module that decides what a query finds and in which order.

- An exact identifier in any spelling (`0439t`, `e119`, ` E11.9 `) goes to its page.
- An identifier prefix (`992`, `E11`) or range (`99202-99215`) lists codes in identifier order.
- Words are understood, then ranked twice and the two rankings fused:
  1. Understanding: misspelt words are corrected against the words codes really use (trigram
     similarity); words and phrases of the synonym table (codes.SearchSynonym: coder shorthand,
     lay words, official synonyms, kept by editors) add the official wording they stand for;
     morphology matches one word form with the others (PostgreSQL's English stemmer for
     inflections, plus the shared stem of derived forms: echocardiography, echocardiogram,
     echocardiographic).
  2. Full-text ranking (PostgreSQL): title words (weight A) above the code's own official terms
     (B: ICD-10-CM inclusion terms, Includes) above its category's (C); short precise titles
     above long ones; popular codes first among equals.
  3. Semantic ranking: the cosine between the query's vector and each code's, from an embedding
     model shipped in its package (codes/embeddings.py, codes/vectors.py).
  4. Reciprocal rank fusion: each code scores 1/(K + its full-text rank) + SEMANTIC_WEIGHT/(K +
     its semantic rank); ties keep the full-text order. Active codes stay before deleted ones:
     a deleted code found by its meaning alone comes after every full-text match.
  5. Past the first FULL_TEXT_CANDIDATES full-text matches, the others follow in full-text order,
     ranked by the same SQL.
- Only text a locked page shows is searched, suggested or corrected to: titles, public official
  terms and synonyms. Never the gated descriptions, so search cannot be used to read them.
- Results carry identifiers and titles only: no description or section text ever leaves here.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

from django.conf import settings
from django.db import connection
from django.db.models import (
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Replace

from codes.models import COMPACT_IDENTIFIER, Code, CodeSet, compact_identifier

if TYPE_CHECKING:
    from codes.vectors import VectorIndex

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
# How alike a misspelt word and its correction must be (pg_trgm similarity): "astma" -> "asthma"
# is 0.44, while "meniere" -> "meniscus" (0.31) is a different word, not a typo.
MIN_SIMILARITY = 0.4
# The trigram-nearest words a misspelling is compared with, by edits and by use.
CORRECTION_CANDIDATES = 5
# Longest phrase of the synonym table, in words.
MAX_PHRASE = 4

# The fusion: how many of each ranking take part, and how they weigh.
FULL_TEXT_CANDIDATES = 100
SEMANTIC_CANDIDATES = 30
# Below this cosine a code is not similar enough to be listed for its meaning alone.
SEMANTIC_MIN_COSINE = 0.55
RRF_K = 60
SEMANTIC_WEIGHT = 0.5
# Added to the full-text rank of a title that begins with a searched word.
TITLE_LEAD_BONUS = 0.1

# Derived word forms that name the same thing share the stem these keep: a query word with one
# of these endings also matches every word that starts with its stem (at least MIN_STEM long).
WORD_FAMILIES = [
    re.compile(r"(gra)(?:m|ms|ph|phs|phy|phies|phic|phical|phically)$"),  # echocardiogra-
    re.compile(r"(scop)(?:e|es|y|ies|ic|ically)$"),  # colonoscop-
    re.compile(r"(olog)(?:y|ies|ic|ical|ist|ists)$"),  # cardiolog-
    re.compile(r"(plast)(?:y|ies|ic)$"),  # angioplast-
    re.compile(r"(em)(?:ia|ias|ic)$"),  # ischem-
    re.compile(r"(it)(?:is|ides|ic)$"),  # arthrit-
]
MIN_STEM = 5

# Titles are escaped in SQL before highlighting, so the <mark> tags are the only markup.
ESCAPED_TITLE = RawSQL(
    "replace(replace(replace(codes_code.title, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')", []
)

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
    queryset: "QuerySet[Code] | FusedResults | None" = None
    corrected: str | None = None  # the query as we understood it, when spelling was corrected
    notes: list[str] = field(default_factory=list)
    expanded: list[str] = field(default_factory=list)  # "heart attack: myocardial infarction"


def clean_query(raw: str) -> str:
    """Printable text only, one space between words, at most MAX_QUERY_LENGTH characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in raw)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def search(raw: str, *, code_set: str | None = None, status: str | None = None) -> SearchResult:
    """Understand `raw` and return what to show. Runs no query until the result is read, except
    the exact-match check, the understanding of words and their candidates."""
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

    return _word_search(query, codes, code_set=code_set, status=status)


def _identifier_order(codes: "QuerySet[Code]") -> "QuerySet[Code]":
    return (
        codes.select_related("code_set")
        .only("identifier", "title", "status", "code_set__slug", "code_set__name")
        .annotate(title_html=ESCAPED_TITLE)
        .order_by("code_set__position", "identifier")
    )


# ---------------------------------------------------------------------------------------------
# Understanding the words


def words_of(query: str) -> list[str]:
    """Lower-case words without accents (Ménière -> meniere); x-ray stays one word."""
    folded = unicodedata.normalize("NFKD", query.lower().replace("x-ray", "xray"))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", plain)[:MAX_WORDS]


def term_words(term: str) -> tuple[str, ...]:
    """A synonym table term or alternative as words, the way queries are split."""
    return tuple(words_of(term.replace("'", "")))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _phrases(words: list[str]) -> dict[str, tuple[int, int]]:
    """Every run of up to MAX_PHRASE words, spelt as a synonym term would be (also with its last
    word singular or plural), with where it starts and ends."""
    found: dict[str, tuple[int, int]] = {}
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + MAX_PHRASE) + 1):
            run = words[start:end]
            for last in {run[-1], _singular(run[-1]), run[-1] + "s"}:
                found.setdefault(" ".join([*run[:-1], last]), (start, end))
    return found


@dataclass(frozen=True)
class Understood:
    """A query as search understood it."""

    words: list[str]  # as typed, spelling corrected
    corrections: dict[str, str]  # misspelt word -> correction
    groups: list[list[tuple[str, ...]]]  # all groups must match; any alternative of a group
    expanded: list[str]  # what the synonym table added, for the page: "htn: hypertension"
    known: set[str]  # the words codes use (a complete word is not also searched as a prefix)
    vectors: tuple[str, int] | None  # the database's (instance, vector version)
    code_set_id: int | None

    @property
    def text(self) -> str:
        """The query with its alternatives, for the embedding model."""
        extra = [" ".join(alt) for group in self.groups for alt in group[1:]]
        return " ".join([*self.words, *extra])


def understand(query: str, *, code_set: str | None = None) -> Understood:
    """Correct, expand and group the words of `query`, in one round trip: the version of the
    vectors, the code set's id, the synonym terms among the query's phrases, and the correction
    of each word no code and no synonym uses."""
    words = words_of(query)
    phrases = _phrases(words)
    candidates = [w for w in words if len(w) >= 4 and not w.isdigit()]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT 'vectors', instance::text, value::text, NULL FROM codes_vector_version
            UNION ALL
            SELECT 'set', id::text, NULL, NULL FROM codes_codeset WHERE slug = %s
            UNION ALL
            SELECT 'synonym', term, alternatives, NULL FROM codes_searchsynonym
            WHERE term = ANY(%s::text[])
            UNION ALL
            SELECT 'known', word, NULL, NULL FROM codes_searchword WHERE word = ANY(%s::text[])
            UNION ALL
            SELECT 'fix', q.word, near.word, near.ndoc::text
            FROM unnest(%s::text[]) AS q(word)
            CROSS JOIN LATERAL (
                SELECT w.word, w.ndoc FROM codes_searchword w
                WHERE w.word %% q.word AND similarity(w.word, q.word) >= %s
                ORDER BY similarity(w.word, q.word) DESC, w.ndoc DESC
                LIMIT %s
            ) AS near
            WHERE NOT EXISTS (SELECT 1 FROM codes_searchword k WHERE k.word = q.word)
            AND NOT EXISTS (
                SELECT 1 FROM codes_searchsynonym s
                WHERE q.word = ANY(regexp_split_to_array(s.term, '[^a-z0-9]+'))
            )
            """,
            [
                code_set or "",
                list(phrases),
                words,
                candidates,
                MIN_SIMILARITY,
                CORRECTION_CANDIDATES,
            ],
        )
        rows = cursor.fetchall()
    vectors, code_set_id = None, None
    synonyms: dict[str, str] = {}
    known: set[str] = set()
    near: dict[str, list[tuple[str, int]]] = defaultdict(list)
    first: str
    second: str
    for kind, first, second, third in rows:
        if kind == "vectors":
            vectors = (first, int(second))
        elif kind == "set":
            code_set_id = int(first)
        elif kind == "synonym":
            synonyms[first] = second
        elif kind == "known":
            known.add(first)
        else:
            near[first].append((second, int(third)))
    # The nearest spelling (fewest edits), and among equally near ones the commonest: "migrane"
    # is one edit from "migrans" and from "migraine", which far more codes use.
    corrections = {
        word: min(options, key=lambda option: (edit_distance(word, option[0]), -option[1]))[0]
        for word, options in near.items()
    }
    # The longest synonym phrase wins where phrases overlap; every other word is its own group.
    spans = sorted(
        ((phrases[term], term) for term in synonyms), key=lambda s: (s[0][0] - s[0][1], s[0][0])
    )
    taken: dict[int, str] = {}
    for (start, end), term in spans:
        if not any(position in taken for position in range(start, end)):
            taken.update(dict.fromkeys(range(start, end), term))
    corrected = [corrections.get(word, word) for word in words]
    groups: list[list[tuple[str, ...]]] = []
    expanded: list[str] = []
    position = 0
    while position < len(words):
        phrase = taken.get(position)
        if phrase is None:
            groups.append([(corrected[position],)])
            position += 1
            continue
        start, end = phrases[phrase]
        alternatives = [term_words(alt) for alt in synonyms[phrase].split("|")]
        groups.append([tuple(corrected[start:end]), *(alt for alt in alternatives if alt)])
        expanded.append(f"{phrase}: {synonyms[phrase].replace(' | ', ', ')}")
        position = end
    return Understood(
        words=corrected,
        corrections={w: c for w, c in corrections.items() if w in words},
        groups=groups,
        expanded=expanded,
        known=known,
        vectors=vectors,
        code_set_id=code_set_id,
    )


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count one edit: "astma")."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def _term(word: str, *, typing: bool) -> str:
    """One word of a tsquery: the word, also as a prefix while it is being typed (the query's
    last word), or of its family's stem when it has a derived ending."""
    options = [word]
    if typing and len(word) >= 3:
        options = [f"{word}:*"]
    for family in WORD_FAMILIES:
        match = family.search(word)
        if match and match.end(1) >= MIN_STEM:
            options.append(f"{word[: match.end(1)]}:*")
            break
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def tsquery(understood: Understood, *, any_group: bool) -> str:
    """A to_tsquery expression (letters and digits only, nothing to escape): every group (or any,
    with `any_group`), each matched by any of its alternatives, each alternative by all its
    words."""
    last = len(understood.groups) - 1
    parts = []
    for index, group in enumerate(understood.groups):
        alternatives = []
        for number, alternative in enumerate(group):
            # The last word may still be being typed, unless it is a word codes use or a
            # synonym the table knows.
            typing = index == last and number == 0 and len(group) == 1
            typing = typing and alternative[-1] not in understood.known
            terms = [
                _term(word, typing=typing and i == len(alternative) - 1)
                for i, word in enumerate(alternative)
            ]
            alternatives.append(terms[0] if len(terms) == 1 else "(" + " & ".join(terms) + ")")
        parts.append(
            alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")"
        )
    return (" | " if any_group else " & ").join(parts)


# ---------------------------------------------------------------------------------------------
# Ranking and fusing


def semantic_neighbours(understood: Understood, *, limit: int) -> list[tuple[int, float]]:
    """(code id, cosine) of the codes whose public text means most nearly what the query does,
    best first, above SEMANTIC_MIN_COSINE; none when semantic search is off or unavailable."""
    if not settings.SEARCH_SEMANTIC or understood.vectors is None:
        return []
    from codes.embeddings import query_embedder
    from codes.vectors import current_index

    instance, version = understood.vectors
    index: VectorIndex | None = current_index(instance=instance, version=version)
    if index is None:
        return []
    vector = query_embedder()(understood.text)
    if vector is None:
        return []
    found = index.nearest(vector, limit=limit, code_set_id=understood.code_set_id)
    return [(pk, score) for pk, score in found if score >= SEMANTIC_MIN_COSINE]


def fuse(
    *,
    full_text: Sequence[int],
    semantic: Sequence[tuple[int, float]],
    inactive: set[int],
) -> list[int]:
    """Code ids in fused order (reciprocal rank fusion, see the module docstring).

    Equal semantic scores share a rank, so codes the model cannot tell apart (identical titles)
    keep the full-text order, and every ranking rule of full-text search still decides them.
    """
    text_rank = {pk: rank for rank, pk in enumerate(full_text, start=1)}
    scores = [score for _, score in semantic]
    meaning_rank = {pk: 1 + sum(other > score for other in scores) for pk, score in semantic}
    everything = list(dict.fromkeys([*full_text, *(pk for pk, _ in semantic)]))
    unranked = len(everything) + 1

    def key(pk: int) -> tuple[int, float, int, int]:
        fused = 0.0
        if pk in text_rank:
            fused += 1 / (RRF_K + text_rank[pk])
        if pk in meaning_rank:
            fused += SEMANTIC_WEIGHT / (RRF_K + meaning_rank[pk])
        return (
            pk in inactive,
            -round(fused, 12),
            text_rank.get(pk, unranked),
            meaning_rank.get(pk, unranked),
        )

    return sorted(everything, key=key)


class FusedResults:
    """The ranked results of a word search, as a sequence the paginator can count and slice.

    The first positions are the fused ranking of the full-text candidates and the semantic
    neighbours; the full-text matches beyond those candidates follow in full-text order; the
    deleted codes found by their meaning alone come last, after every full-text match.
    """

    def __init__(
        self,
        *,
        expression: str,
        lead: Sequence[str],
        code_set_id: int | None,
        status: str,
        head: list[int],
        candidates: int,
        tail: list[int],
        complete: bool,
    ) -> None:
        self.params = _ranking(
            expression=expression, lead=lead, code_set_id=code_set_id, status=status
        )
        self.head = head
        self.candidates = candidates  # how many full-text matches the head holds
        self.tail = tail
        # Every full-text match is among the candidates: nothing follows them, no need to count.
        self._beyond: int | None = 0 if complete else None

    def beyond(self) -> int:
        """How many full-text matches follow the candidates."""
        if self._beyond is None:
            with connection.cursor() as cursor:
                cursor.execute(COUNT_SQL, self.params)
                self._beyond = max(0, cursor.fetchone()[0] - self.candidates)
        return self._beyond

    def count(self) -> int:
        return len(self.head) + self.beyond() + len(self.tail)

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Code]:
        return iter(self[:])

    @overload
    def __getitem__(self, index: int, /) -> Code: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[Code]: ...

    def __getitem__(self, index: int | slice, /) -> Code | list[Code]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        if stop is None:
            stop = self.count()
        head = self.head[start:stop]
        if stop <= len(self.head):  # the first results (suggestions): nothing else to count
            return self._rows(head, offset=0, limit=0, tail=[])
        beyond = self.beyond()
        first, last = (min(max(0, n - len(self.head)), beyond) for n in (start, stop))
        after = len(self.head) + beyond
        tail = self.tail[max(0, start - after) : max(0, stop - after)]
        return self._rows(head, offset=self.candidates + first, limit=last - first, tail=tail)

    def _rows(self, head: list[int], *, offset: int, limit: int, tail: list[int]) -> list[Code]:
        """The codes `head`, then `limit` full-text matches from position `offset` of the
        full-text order, then the codes `tail`, as a result list prints them: identifier, title
        with the matched words marked, set and status, in one statement (see PAGE_SQL)."""
        if not head and not limit and not tail:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                PAGE_SQL, {**self.params, "ids": head + tail, "offset": offset, "limit": limit}
            )
            rows = cursor.fetchall()
        using = connection.alias
        listed: dict[int, Code] = {}
        beyond: list[tuple[int, int]] = []
        for pk, set_id, identifier, title, status, slug, name, title_html, position in rows:
            code = Code.from_db(
                using,
                ["id", "code_set_id", "identifier", "title", "status"],
                [pk, set_id, identifier, title, status],
            )
            code.code_set = CodeSet.from_db(using, ["id", "slug", "name"], [set_id, slug, name])
            code.title_html = title_html  # type: ignore[attr-defined]
            listed[pk] = code
            if position is not None:
                beyond.append((position, pk))
        order = [*head, *(pk for _, pk in sorted(beyond)), *tail]
        return [listed[pk] for pk in order if pk in listed]


# The full-text ranking, written once for the candidates and for the matches past them: title
# matches (weight A) over official terms (B) over inherited terms (C); a title that begins with a
# searched word (it names the thing: "Walker, rigid" rather than "Seat attachment, walker");
# short precise titles over long ones that merely mention a word; popular codes ahead of their
# peers; active codes before deleted ones.
QUERY = "(SELECT to_tsquery('english', codeahead_unaccent(%(tsquery)s)) AS query) q"
RANK = """ts_rank('{0.05, 0.1, 0.4, 1.0}', c.search_vector, q.query, 1)
           + c.popularity / 400.0 - length(c.title) / 2000.0
           + CASE WHEN lower(c.title) ~ %(lead)s THEN %(bonus)s ELSE 0 END"""
FILTERS = """(%(code_set)s::integer IS NULL OR c.code_set_id = %(code_set)s::integer)
      AND (%(status)s = '' OR c.status = %(status)s)"""
FULL_TEXT_ORDER = f"c.status <> 'active', {RANK} DESC, length(c.title), c.identifier, c.id"

# The candidates of a word search in one statement of fixed SQL (the ORM would spend more Python
# building it, about 1.5 ms, than PostgreSQL spends answering it): the semantic neighbours that
# pass the filters without matching the words, then the full-text matches in full-text order.
CANDIDATES_SQL = f"""
    SELECT c.id, c.search_vector @@ q.query, c.status
    FROM codes_code c, {QUERY}
    WHERE (c.search_vector @@ q.query OR c.id = ANY(%(neighbours)s)) AND {FILTERS}
    ORDER BY c.search_vector @@ q.query, {FULL_TEXT_ORDER}
    LIMIT %(limit)s
"""  # noqa: S608 - the fragments are ours, the words are parameters

COUNT_SQL = f"""
    SELECT count(*) FROM codes_code c, {QUERY} WHERE c.search_vector @@ q.query AND {FILTERS}
"""  # noqa: S608 - the fragments are ours, the words are parameters

# One page of results: the codes asked for by id, and the full-text matches at positions
# offset+1..offset+limit of the full-text order (with their position in it), each with its
# title escaped and the matched words in <mark>.
PAGE_SQL = f"""
    WITH listed AS (
        SELECT id, NULL::bigint AS position FROM unnest(%(ids)s::bigint[]) AS id
        UNION ALL
        SELECT id, position FROM (
            SELECT c.id, row_number() OVER (ORDER BY {FULL_TEXT_ORDER}) AS position
            FROM codes_code c, {QUERY}
            WHERE %(limit)s > 0 AND c.search_vector @@ q.query AND {FILTERS}
            ORDER BY position
            OFFSET %(offset)s LIMIT %(limit)s
        ) beyond
    )
    SELECT c.id, c.code_set_id, c.identifier, c.title, c.status, s.slug, s.name,
           ts_headline(
               'english',
               replace(replace(replace(c.title, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
               q.query,
               'StartSel=<mark>, StopSel=</mark>, HighlightAll=true'
           ),
           listed.position
    FROM listed JOIN codes_code c ON c.id = listed.id JOIN codes_codeset s ON s.id = c.code_set_id
    CROSS JOIN {QUERY}
"""  # noqa: S608 - the fragments are ours, the words and ids are parameters


def _ranking(
    *, expression: str, lead: Sequence[str], code_set_id: int | None, status: str
) -> dict[str, Any]:
    """The parameters of the full-text ranking and its filters, for every statement above."""
    return {
        "tsquery": expression,
        # letters and digits only: nothing to escape
        "lead": "^(" + "|".join(lead) + ")" if lead else "^$",
        "bonus": TITLE_LEAD_BONUS,
        "code_set": code_set_id,
        "status": status,
    }


def _candidates(
    *,
    expression: str,
    semantic: list[tuple[int, float]],
    lead: Sequence[str],
    code_set_id: int | None,
    status: str,
) -> tuple[list[int], list[int], set[int]]:
    """In one query: the best FULL_TEXT_CANDIDATES full-text matches in order, which of the
    semantic neighbours pass the filters without matching, and which candidates are inactive."""
    neighbours = [pk for pk, _ in semantic]
    with connection.cursor() as cursor:
        cursor.execute(
            CANDIDATES_SQL,
            {
                **_ranking(
                    expression=expression, lead=lead, code_set_id=code_set_id, status=status
                ),
                "neighbours": neighbours,
                "limit": FULL_TEXT_CANDIDATES + len(neighbours),
            },
        )
        rows = cursor.fetchall()
    text = [row for row in rows if row[1]][:FULL_TEXT_CANDIDATES]
    semantic_only = [row[0] for row in rows if not row[1]]
    inactive = {row[0] for row in rows if row[2] != "active"}
    return [row[0] for row in text], semantic_only, inactive


def _word_search(
    query: str, codes: "QuerySet[Code]", *, code_set: str | None, status: str | None
) -> SearchResult:
    understood = understand(query, code_set=code_set)
    if not understood.words or (code_set and understood.code_set_id is None):
        return SearchResult(kind="words", query=query, queryset=codes.none())
    semantic = semantic_neighbours(understood, limit=SEMANTIC_CANDIDATES)
    notes = []
    lead = sorted({word for group in understood.groups for alt in group for word in alt})

    def candidates(expression: str) -> tuple[list[int], list[int], set[int]]:
        return _candidates(
            expression=expression,
            semantic=semantic,
            lead=lead,
            code_set_id=understood.code_set_id,
            status=status or "",
        )

    expression = tsquery(understood, any_group=False)
    text, semantic_only, inactive = candidates(expression)
    if not text and len(understood.groups) > 1:
        expression = tsquery(understood, any_group=True)
        text, semantic_only, inactive = candidates(expression)
        notes.append("No code matches every word; these match some of them.")
    # Deleted codes found by their meaning alone come after every full-text match, also those
    # past the candidates, so that no deleted code is listed before an active one.
    tail = [pk for pk, _ in semantic if pk in inactive and pk in semantic_only]
    allowed = (set(text) | set(semantic_only)) - set(tail)
    head = fuse(
        full_text=text,
        semantic=[(pk, score) for pk, score in semantic if pk in allowed],
        inactive=inactive,
    )
    return SearchResult(
        kind="words",
        query=query,
        queryset=FusedResults(
            expression=expression,
            lead=lead,
            code_set_id=understood.code_set_id,
            status=status or "",
            head=head,
            candidates=len(text),
            tail=tail,
            complete=len(text) < FULL_TEXT_CANDIDATES,
        ),
        corrected=" ".join(understood.words) if understood.corrections else None,
        notes=notes,
        expanded=understood.expanded,
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
