"""What every importer shares: reading text files, checking rows, and the one-transaction upsert.

An import happens in two steps. First every row of the source is read and checked (encoding,
required fields, identifier format for the code set, duplicates in any spelling); problems are
collected, never raised one by one, so the operator sees all of them at once. Only if there are
none is anything written: in one transaction, sections first (parents before children), then the
codes, created and updated in bulk with a history record each.

An import owns the code set's descriptors and section tree, never the editors' work: it sets a
code's identifier spelling, title, official description, section and `is_sample=False`, and
leaves the plain-language description, content sections, popularity and add-on links as they are.

A release is complete, so a code that an earlier import loaded and this source no longer lists
has dropped out of the code set: it is marked deleted with the day before the release took effect
as its end date (never removed: its page, history and editors' work stay). A deleted code the
source lists again is active again. Sample codes (demo content, never imported) are left alone.
Re-running an import finds nothing to mark.
"""

import codecs
import csv
import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from django.db import DataError, IntegrityError, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from codes.embeddings import sync_embeddings
from codes.models import Code, CodeSet, OfficialSource, Section
from codes.search import refresh_search_words

# Rows per INSERT/UPDATE statement; each history row has about 20 parameters, PostgreSQL allows
# 65,535 per statement.
BATCH_SIZE = 2_000
# A progress line every this many codes written.
PROGRESS_EVERY = 10_000

TITLE_MAX_LENGTH = 255
CHANGE_REASON_MAX_LENGTH = 100  # simple-history's history_change_reason column

# The fields an import may change on an existing code, in bulk_update's terms.
CODE_FIELDS = (
    "identifier",
    "title",
    "official_description",
    "index_terms",
    "context_terms",
    "section",
    "is_sample",
    "status",
    "end_date",
    "replaced_by",
    "updated_at",
)
SECTION_FIELDS = ("title", "parent", "range_start", "range_end", "position")

Progress = Callable[[str], None]

# "line 7: …" or "simple-icd-10-cm item 30723: …": where a problem is, to list them in order.
PROBLEM_POSITION = re.compile(r"^(?:\S+ )?(?:line|item) (\d+):")


class ImportDataError(Exception):
    """The source cannot be imported; `problems` lists every reason, in source order."""

    def __init__(self, problems: list[str]) -> None:
        def position(problem: str) -> int:
            match = PROBLEM_POSITION.match(problem)
            return int(match[1]) if match else 0

        problems = sorted(problems, key=position)  # stable: a line's problems keep their order
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SourceRow:
    """One code as the source gives it, before any check."""

    where: str  # where the row is, for messages: "line 7"
    identifier: str
    title: str
    official_description: str
    section: str | None = None  # slug of the section the code belongs in, if the source says
    index_terms: str = ""  # public official terms of the code, one a line (searched)
    context_terms: str = ""  # those of its ancestors (searched with less weight)


@dataclass(frozen=True)
class CheckedRow:
    """A row that passed every check, with its identifier in the code set's canonical spelling."""

    identifier: str
    title: str
    official_description: str
    section: str | None
    index_terms: str = ""
    context_terms: str = ""

    @property
    def compact(self) -> str:
        return self.identifier.replace(".", "")


@dataclass(frozen=True)
class SectionSpec:
    """A section as the source defines it; `parent` is a slug. Parents come before children."""

    slug: str
    title: str
    parent: str | None
    range_start: str
    range_end: str
    position: int


@dataclass
class ImportSummary:
    code_set: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sections_created: int = 0
    sections_updated: int = 0
    sections_unchanged: int = 0
    deleted: int = 0  # active imported codes the source no longer lists, marked deleted now
    reactivated: int = 0  # deleted codes the source lists again
    end_date: date | None = None  # the end date given to the codes marked deleted
    not_in_source: int = 0  # every code of the set in the database that the source does not list
    vectors: int = 0  # codes (re-)embedded for semantic search
    extras: list[str] = field(default_factory=list)  # what each kind of official data did

    def __str__(self) -> str:
        return (
            f"{self.code_set}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deleted} deleted (sections: "
            f"{self.sections_created} created, {self.sections_updated} updated)"
        )

    @property
    def deletions(self) -> str:
        """What the import did to codes the release dropped or brought back, for the log."""
        if not (self.deleted or self.reactivated):
            return ""
        parts = []
        if self.deleted:
            parts.append(
                f"{self.deleted} {self.code_set} code(s) are not in this release: marked deleted "
                f"with end date {self.end_date:%Y-%m-%d}"
            )
        if self.reactivated:
            parts.append(f"{self.reactivated} deleted code(s) are in it again: marked active")
        return "; ".join(parts) + "."


# What an import compares and writes of a code's MS-DRG facts (codes/drg.py).
DRG_FIELDS = (
    "source_id",
    "severity",
    "principal_edits",
    "age_low",
    "age_high",
    "procedure_class",
    "drg",
    "drg_title",
)


def ensure_source(slug: str, **values: Any) -> OfficialSource:
    """The OfficialSource `slug` with these values, written only when something differs (a
    write bumps the catalogue version, which a re-run must not)."""
    source = OfficialSource.objects.filter(slug=slug).first()
    if source is None:
        return OfficialSource.objects.create(slug=slug, **values)
    if any(getattr(source, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(source, name, value)
        source.save()
    return source


def get_code_set(slug: str) -> CodeSet:
    try:
        return CodeSet.objects.get(slug=slug)
    except CodeSet.DoesNotExist:
        raise ImportDataError(
            [f"Code set {slug!r} is not defined: run manage.py load_demo first"]
        ) from None


def title_from(*, short: str, descriptor: str) -> str:
    """The short descriptor if there is one, else the descriptor cut at a word to fit a title."""
    text = " ".join((short.strip() or descriptor).split())
    if len(text) <= TITLE_MAX_LENGTH:
        return text
    cut = text[: TITLE_MAX_LENGTH - 1]
    if " " in cut[TITLE_MAX_LENGTH // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


# ---------------------------------------------------------------------------------------------
# Reading files


def read_lines(path: Path) -> tuple[list[tuple[int, str]], list[str]]:
    """The lines of a UTF-8 text file (with or without BOM, plain or gzip-compressed when its
    name ends in .gz), numbered from 1, with their endings.

    A line that is not UTF-8 is a problem, reported with its number; it is still returned
    (undecodable bytes replaced) so that the rest of the file can be checked too.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportDataError([f"{path}: cannot read the file ({error.strerror})"]) from None
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise ImportDataError([f"{path}: not a readable gzip file ({error})"]) from None
    data = data.removeprefix(codecs.BOM_UTF8)
    lines: list[tuple[int, str]] = []
    problems: list[str] = []
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                f"line {number}: not UTF-8 text (byte 0x{raw[error.start]:02x} at column "
                f"{error.start + 1}); save the file as UTF-8"
            )
            text = raw.decode("utf-8", errors="replace")
        lines.append((number, text))
    return lines, problems


def normalize_header(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def read_csv_records(
    lines: Sequence[tuple[int, str]],
) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the number of the line each starts on; blank lines are skipped.

    A quoted field may span lines, so records and lines are not one to one.
    """
    numbers = iter(lines)
    current = [0]

    def texts() -> Iterator[str]:
        for number, text in numbers:
            current[0] = number
            yield text

    reader = csv.reader(texts())
    last = 0
    for record in reader:
        start, last = last + 1, current[0]
        if not any(value.strip() for value in record):
            continue
        yield start, record


def read_csv_table(
    lines: Sequence[tuple[int, str]],
    *,
    columns: Mapping[str, tuple[str, ...]],
    optional: Mapping[str, tuple[str, ...]] | None = None,
    problems: list[str],
) -> list[tuple[int, dict[str, str]]]:
    """The records of a CSV file with a header row, as {role: value} with their line numbers.

    `columns` maps each role to the header names accepted for it, first match wins (`"descriptor":
    ("descriptor", "long_descriptor", "description")`); names are compared case-insensitively.
    A role in `optional` that the header lacks reads as "". Header and field-count problems are
    appended to `problems`.
    """
    records = read_csv_records(lines)
    header_line, header = next(records, (1, []))
    names = [normalize_header(name) for name in header]
    positions: dict[str, int] = {}
    for role, accepted in (*columns.items(), *(optional or {}).items()):
        found = next((name for name in accepted if name in names), None)
        if found is not None:
            positions[role] = names.index(found)
        elif role in columns:
            problems.append(f"line {header_line}: the header has no {' or '.join(accepted)} column")
    if len(positions) < len(columns):
        return []
    table: list[tuple[int, dict[str, str]]] = []
    for number, record in records:
        if len(record) != len(names):
            problems.append(
                f"line {number}: {len(record)} fields where the header has {len(names)}"
            )
            continue
        values = {role: "" for role in optional or {}}
        values.update((role, record[position]) for role, position in positions.items())
        table.append((number, values))
    return table


# ---------------------------------------------------------------------------------------------
# Checking


def check_rows(
    *, code_set: CodeSet, rows: Iterable[SourceRow], problems: list[str]
) -> list[CheckedRow]:
    """Rows that pass every check; a problem is appended for every row that does not.

    Two spellings of one identifier (E11.9 and e119) are the same code, hence duplicates.
    """
    checked: list[CheckedRow] = []
    first_seen: dict[str, SourceRow] = {}
    for row in rows:
        raw = row.identifier.strip()
        if not raw:
            problems.append(f"{row.where}: the code is missing")
            continue
        canonical = code_set.canonical_identifier(raw)
        if canonical is None:
            problems.append(f'{row.where}: code "{raw}" is not a valid {code_set.name} identifier')
            continue
        compact = canonical.replace(".", "")
        if compact in first_seen:
            first = first_seen[compact]
            problems.append(
                f'{row.where}: code "{raw}" is a duplicate of {first.where} '
                f'("{first.identifier.strip()}")'
            )
            continue
        first_seen[compact] = row
        description = row.official_description.strip()
        title = " ".join(row.title.split())
        if not description:
            problems.append(f'{row.where}: code "{raw}" has no description')
            continue
        if not title:
            problems.append(f'{row.where}: code "{raw}" has no title')
            continue
        if "\x00" in description or "\x00" in title:
            # PostgreSQL text cannot hold NUL: refuse the row here rather than fail mid-write.
            problems.append(f'{row.where}: code "{raw}" contains a NUL character')
            continue
        checked.append(
            CheckedRow(
                canonical, title, description, row.section, row.index_terms, row.context_terms
            )
        )
    return checked


# ---------------------------------------------------------------------------------------------
# Writing


class Extra(Protocol):
    """Official data an importer derives from its source, written after the codes in the same
    transaction (or only counted, in a dry run); returns a line for the summary."""

    def __call__(self, *, code_set: CodeSet, dry_run: bool) -> str: ...


@dataclass
class TableSync:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged"
        )


def sync_table(
    *,
    model: type[models.Model],
    scope: "models.QuerySet[Any]",
    key: Sequence[str],
    fields: Sequence[str],
    rows: Iterable[models.Model],
    dry_run: bool,
) -> TableSync:
    """Make the rows of `scope` those of `rows`, matched on `key` and compared on `fields`:
    create the missing, update the different, delete the rest. Writes nothing when nothing
    differs (so a re-run bumps no version), and nothing at all in a dry run."""
    result = TableSync()
    current = {
        tuple(values[: len(key)]): (values[len(key)], tuple(values[len(key) + 1 :]))
        for values in scope.order_by().values_list(*key, "pk", *fields)
    }
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    for row in rows:
        row_key = tuple(getattr(row, name) for name in key)
        found = current.pop(row_key, None)
        if found is None:
            to_create.append(row)
            continue
        pk, values = found
        if values == tuple(getattr(row, name) for name in fields):
            result.unchanged += 1
            continue
        row.pk = pk
        to_update.append(row)
    result.created, result.updated, result.deleted = len(to_create), len(to_update), len(current)
    if dry_run:
        return result
    if current:
        stale = [pk for pk, _ in current.values()]
        for start in range(0, len(stale), BATCH_SIZE * 10):
            model._default_manager.filter(pk__in=stale[start : start + BATCH_SIZE * 10]).delete()
    model._default_manager.bulk_create(to_create, batch_size=BATCH_SIZE)
    model._default_manager.bulk_update(to_update, fields=list(fields), batch_size=BATCH_SIZE)
    return result


def import_rows(
    *,
    code_set: CodeSet,
    rows: Sequence[CheckedRow],
    sections: Sequence[SectionSpec],
    dry_run: bool,
    change_reason: str,
    effective: date,
    keep_sections: bool = False,
    scope: Callable[[str], bool] | None = None,
    extras: Sequence[Extra] = (),
    progress: Progress | None = None,
) -> ImportSummary:
    """Create and update `sections`, then the codes in `rows`, then their vectors and the
    `extras` (official data derived from the same source), all in one transaction.

    `effective`: the first day the release covers; imported codes it no longer lists end the
    day before. `keep_sections`: the source knows nothing about sections, so existing codes keep
    theirs and `row.section` only places new codes. With `dry_run`, nothing is written: the
    summary says what would change. `scope`: the source is only part of a release (a test's
    subset): codes whose compact identifier it refuses are not marked deleted.

    Cost: two queries to read the set's sections and codes, then one INSERT or UPDATE per
    BATCH_SIZE changed codes, as many for their history records, and a refresh of the search
    word list if anything changed.
    """
    try:
        return _import_rows(
            code_set=code_set,
            rows=rows,
            sections=sections,
            dry_run=dry_run,
            reason=change_reason[:CHANGE_REASON_MAX_LENGTH],
            end_date=effective - timedelta(days=1),
            keep_sections=keep_sections,
            scope=scope,
            extras=extras,
            report=progress or (lambda message: None),
        )
    except (IntegrityError, DataError) as error:
        # A rule only the database knows of (a constraint added by an operator, say): the
        # transaction is rolled back by now, so the operator is told and nothing is written.
        raise ImportDataError(
            [f"the database refused the import: {' '.join(str(error).split())}"]
        ) from error


def _import_rows(
    *,
    code_set: CodeSet,
    rows: Sequence[CheckedRow],
    sections: Sequence[SectionSpec],
    dry_run: bool,
    reason: str,
    end_date: date,
    keep_sections: bool,
    scope: Callable[[str], bool] | None,
    extras: Sequence["Extra"],
    report: Progress,
) -> ImportSummary:
    summary = ImportSummary(code_set=code_set.slug, dry_run=dry_run, end_date=end_date)
    with transaction.atomic():
        if not dry_run:
            # One import of a set at a time; a second one waits here, then finds little to do.
            CodeSet.objects.select_for_update().filter(pk=code_set.pk).get()
        section_ids = _save_sections(
            code_set=code_set, specs=sections, dry_run=dry_run, summary=summary
        )
        slug_of = {pk: slug for slug, pk in section_ids.items() if pk is not None}
        existing = {code.identifier.replace(".", ""): code for code in code_set.codes.order_by()}
        now = timezone.now()
        to_create: list[Code] = []
        to_update: list[Code] = []
        new_terms: list[Code] = []  # codes whose official terms alone changed: no history
        for row in rows:
            code = existing.pop(row.compact, None)
            if code is None:
                to_create.append(
                    Code(
                        code_set=code_set,
                        identifier=row.identifier,
                        title=row.title,
                        official_description=row.official_description,
                        section_id=section_ids.get(row.section) if row.section else None,
                        is_sample=False,
                        index_terms=row.index_terms,
                        context_terms=row.context_terms,
                    )
                )
                continue
            # Sections are compared by slug: in a dry run, a new section has no id yet.
            current_section = slug_of.get(code.section_id) if code.section_id else None
            section = current_section if keep_sections else row.section
            terms_changed = (code.index_terms, code.context_terms) != (
                row.index_terms,
                row.context_terms,
            )
            code.index_terms, code.context_terms = row.index_terms, row.context_terms
            if (
                code.identifier == row.identifier
                and code.title == row.title
                and code.official_description == row.official_description
                and current_section == section
                and not code.is_sample
                and not code.is_deleted
            ):
                summary.unchanged += 1
                if terms_changed:
                    new_terms.append(code)
                continue
            if code.is_deleted:  # back in the release
                summary.reactivated += 1
                code.status, code.end_date, code.replaced_by_id = Code.Status.ACTIVE, None, None
            code.identifier = row.identifier
            code.title = row.title
            code.official_description = row.official_description
            code.section_id = section_ids.get(section) if section else None
            code.is_sample = False
            code.updated_at = now  # bulk_update does not apply auto_now
            to_update.append(code)
        summary.created, summary.updated = len(to_create), len(to_update)
        summary.not_in_source = len(existing)
        dropped = [
            code
            for compact, code in existing.items()
            if not code.is_sample and not code.is_deleted and (scope is None or scope(compact))
        ]
        for code in dropped:
            code.status = Code.Status.DELETED
            # The end date cannot come before the code's own start (a constraint); an editor's
            # effective date later than the release's start is kept as the code's only day.
            code.end_date = max(end_date, code.effective_date or end_date)
            code.updated_at = now
        summary.deleted = len(dropped)
        to_update += dropped
        if dry_run:
            for extra in extras:
                summary.extras.append(extra(code_set=code_set, dry_run=True))
            return summary
        total = len(to_create) + len(to_update)
        written = 0
        if dropped:
            report(
                f"{code_set.slug}: {len(dropped):,} codes are not in this release; "
                f"marking them deleted (end date {end_date:%Y-%m-%d})"
            )
        for start in range(0, len(to_create), PROGRESS_EVERY):
            chunk = to_create[start : start + PROGRESS_EVERY]
            bulk_create_with_history(
                chunk, Code, batch_size=BATCH_SIZE, default_change_reason=reason, default_date=now
            )
            written += len(chunk)
            report(f"{code_set.slug}: {written:,} of {total:,} codes written")
        for start in range(0, len(to_update), PROGRESS_EVERY):
            chunk = to_update[start : start + PROGRESS_EVERY]
            bulk_update_with_history(
                chunk,
                Code,
                fields=list(CODE_FIELDS),
                batch_size=BATCH_SIZE,
                default_change_reason=reason,
                default_date=now,
            )
            written += len(chunk)
            report(f"{code_set.slug}: {written:,} of {total:,} codes written")
        _snapshot_primary_codes(codes=to_update, history_date=now)
        if new_terms:  # official wording beyond the title: searched, not edited, no history
            Code.objects.bulk_update(
                new_terms, fields=["index_terms", "context_terms"], batch_size=BATCH_SIZE
            )
            summary.extras.append(f"searchable official terms: {len(new_terms)} codes updated")
        for extra in extras:
            summary.extras.append(extra(code_set=code_set, dry_run=False))
        summary.vectors, _ = sync_embeddings(codes=code_set.codes.all())
        if total or new_terms:
            refresh_search_words()  # public words changed: the spelling suggestions follow
    return summary


def _save_sections(
    *, code_set: CodeSet, specs: Sequence[SectionSpec], dry_run: bool, summary: ImportSummary
) -> dict[str, int | None]:
    """Ids of the set's sections by slug, after creating and updating `specs` (parents first).

    In a dry run nothing is written and sections that would be created map to None.
    """
    existing = {section.slug: section for section in code_set.sections.all()}
    slug_of = {section.pk: slug for slug, section in existing.items()}
    ids: dict[str, int | None] = {slug: section.pk for slug, section in existing.items()}
    # Parents come first, so a section's depth is known when it is reached; each depth is one
    # round of INSERTs, since children need their parent's id.
    depth: dict[str, int] = {}
    for spec in specs:
        depth[spec.slug] = depth[spec.parent] + 1 if spec.parent in depth else 0
    for level in sorted(set(depth.values())):
        to_create: list[Section] = []
        to_update: list[Section] = []
        for spec in (spec for spec in specs if depth[spec.slug] == level):
            values = {
                "title": spec.title[:TITLE_MAX_LENGTH],
                "range_start": spec.range_start,
                "range_end": spec.range_end,
                "position": spec.position,
            }
            parent_id = ids.get(spec.parent) if spec.parent else None
            section = existing.get(spec.slug)
            if section is None:
                summary.sections_created += 1
                to_create.append(
                    Section(code_set=code_set, slug=spec.slug, parent_id=parent_id, **values)
                )
                continue
            current_parent = slug_of.get(section.parent_id) if section.parent_id else None
            if current_parent == spec.parent and all(
                getattr(section, name) == value for name, value in values.items()
            ):
                summary.sections_unchanged += 1
                continue
            summary.sections_updated += 1
            for name, value in values.items():
                setattr(section, name, value)
            section.parent_id = parent_id
            to_update.append(section)
        if dry_run:
            ids.update((section.slug, None) for section in to_create)
            continue
        Section.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        Section.objects.bulk_update(to_update, fields=list(SECTION_FIELDS), batch_size=BATCH_SIZE)
        ids.update((section.slug, section.pk) for section in to_create)
    return ids


def _snapshot_primary_codes(*, codes: Sequence[Code], history_date: datetime) -> None:
    """Copy the add-on links of updated codes into the history records the import just made.

    Bulk history creation records fields only; without this, the history of an add-on code would
    show its primary codes vanishing at the import and coming back at the next edit.
    """
    add_on_ids = [code.pk for code in codes if code.is_add_on]
    if not add_on_ids:
        return
    links = list(Code.primary_codes.through.objects.filter(from_code_id__in=add_on_ids))
    records = {
        record.id: record
        for record in Code.history.filter(history_date=history_date, id__in=add_on_ids)
    }
    m2m_history_model = Code.history.model.primary_codes.model  # type: ignore[attr-defined]
    m2m_history_model.objects.bulk_create(
        m2m_history_model(
            history=records[link.from_code_id],
            id=link.pk,  # as simple-history copies every field of the through row
            from_code_id=link.from_code_id,
            to_code_id=link.to_code_id,
        )
        for link in links
        if link.from_code_id in records
    )
