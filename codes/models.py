"""Code sets, their section trees, codes and the content sections editors write for each code."""

import functools
import re
from typing import ClassVar

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.cache import cache as cached
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Func, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, Replace
from django.urls import reverse
from simple_history.models import HistoricalRecords

from common.markup import render_markdown

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
    def for_page(self) -> "CodeQuerySet":
        """Everything the code page shows, except what needs its own query, and the catalogue's
        version (codes/pages.py caches the rest of the page under it)."""
        return self.select_related(
            "code_set", "section__code_set", "replaced_by__code_set"
        ).annotate(catalogue_version=RawSQL(CATALOGUE_VERSION_SQL, []))  # noqa: S611 - constant

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
        model: type[models.Model], only: set[str] | None = None, skip: str = ""
    ) -> list[str]:
        # In the models' own field order, which Model.from_db() expects.
        return [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname != skip and (only is None or f.attname in only)
        ]

    parts = {
        "code": concrete(Code, skip="search_vector"),
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
    # Words of the title (weight A) and of our plain-language description (B), accents folded;
    # kept by PostgreSQL itself, so bulk imports need not maintain it. Read by codes/search.py.
    search_vector = models.GeneratedField(
        expression=SearchVector(
            Func(F("title"), function="codeahead_unaccent"), config="english", weight="A"
        )
        + SearchVector(
            Func(F("plain_description"), function="codeahead_unaccent"),
            config="english",
            weight="B",
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = CodeQuerySet.as_manager()
    # Every change, with who made it and when; editors compare and restore in the admin.
    history = HistoricalRecords(
        m2m_fields=[primary_codes], excluded_fields=["updated_at", "search_vector"]
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
