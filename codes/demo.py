"""Loads the demo data in fixtures/demo/*.toml (format: fixtures/demo/FORMAT.md).

Every file is read and checked before anything is written; a single problem anywhere writes
nothing. Then, in one transaction, missing rows are created. Rows that already exist are left as
they are (an editor may have changed them in the admin) unless `update=True`, which makes the
database match the files again.
"""

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from codes.embeddings import sync_embeddings
from codes.models import Code, CodeSet, ContentSection, Section
from codes.search import refresh_search_words

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"

CODE_SET_FIELDS = (
    "name",
    "full_name",
    "owner",
    "notice",
    "is_public_domain",
    "release_year",
    "identifier_pattern",
    "identifier_dot_after",
    "position",
)


class DemoDataError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadSummary:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        kinds = ("code sets", "sections", "codes", "content sections")
        return "; ".join(
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in kinds
        )


def read_demo(directory: Path = DEMO_DIR) -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {"code_sets": [], "sections": [], "codes": []}
    problems = []
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            problems.append(f"{path.name}: {error}")
            continue
        for key, rows in data.items():
            if key not in merged:
                problems.append(f"{path.name}: unknown table [{key}]")
                continue
            for row in rows:
                row["_source"] = path.name
            merged[key].extend(rows)
    if problems:
        raise DemoDataError(problems)
    return merged


def check_demo(data: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every problem in the demo data, each naming its file and row."""
    problems: list[str] = []
    code_sets = {row["slug"]: CodeSet(**{k: row.get(k) for k in ("slug", *CODE_SET_FIELDS)})
                 for row in data["code_sets"]}  # fmt: skip
    section_sets: dict[str, str] = {}
    for row in data["sections"]:
        where = f"{row['_source']}: section {row.get('slug')!r}"
        if row.get("code_set") not in code_sets:
            problems.append(f"{where}: unknown code set {row.get('code_set')!r}")
        if row.get("slug") in section_sets:
            problems.append(f"{where}: defined twice")
        if "parent" in row and section_sets.get(row["parent"]) != row.get("code_set"):
            problems.append(f"{where}: parent {row['parent']!r} must come first, in the same set")
        section_sets[row.get("slug", "")] = row.get("code_set", "")
    identifiers: dict[tuple[str, str], dict[str, Any]] = {}
    for row in data["codes"]:
        where = f"{row['_source']}: code {row.get('identifier')!r}"
        code_set = code_sets.get(row.get("code_set", ""))
        if code_set is None:
            problems.append(f"{where}: unknown code set {row.get('code_set')!r}")
            continue
        if code_set.canonical_identifier(row.get("identifier", "")) != row.get("identifier"):
            problems.append(f"{where}: not a canonical {code_set.name} identifier")
        key = (code_set.slug, row.get("identifier", ""))
        if key in identifiers:
            problems.append(f"{where}: defined twice")
        identifiers[key] = row
        if section_sets.get(row.get("section", "")) != code_set.slug:
            problems.append(f"{where}: unknown section {row.get('section')!r} in {code_set.slug}")
        for name in ("title", "official_description", "plain_description"):
            if not str(row.get(name, "")).strip():
                problems.append(f"{where}: {name} is missing")
        if row.get("status", "active") not in Code.Status.values:
            problems.append(f"{where}: unknown status {row.get('status')!r}")
        for name in ("effective_date", "end_date"):
            if name in row and not isinstance(row[name], date):
                problems.append(f"{where}: {name} must be a date")
        for position, section in enumerate(row.get("sections", [])):
            kind = section.get("kind", "")
            if kind not in ContentSection.Kind.values:
                problems.append(f"{where}: section {position + 1} has unknown kind {kind!r}")
            if section.get("access", "registered") not in ContentSection.Access.values:
                problems.append(f"{where}: section {position + 1} has unknown access level")
            if not str(section.get("body", "")).strip():
                problems.append(f"{where}: section {position + 1} has no body")
    for row in data["codes"]:
        where = f"{row['_source']}: code {row.get('identifier')!r}"
        references = [*row.get("primary_codes", []), *filter(None, [row.get("replaced_by")])]
        for other in references:
            if (row.get("code_set"), other) not in identifiers:
                problems.append(f"{where}: refers to {other!r}, which is not in the demo data")
        if row.get("replaced_by") and row.get("status") != Code.Status.DELETED:
            problems.append(f"{where}: only a deleted code can have replaced_by")
        if row.get("primary_codes") and not row.get("is_add_on"):
            problems.append(f"{where}: primary_codes needs is_add_on = true")
    return problems


def _upsert(
    model: type[Any],
    lookup: dict[str, Any],
    values: dict[str, Any],
    *,
    update: bool,
    summary: LoadSummary,
    label: str,
) -> Any:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save()
        summary.created[label] += 1
    elif update and any(getattr(obj, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
        summary.updated[label] += 1
    else:
        summary.unchanged[label] += 1
    return obj


def load_demo(*, directory: Path = DEMO_DIR, update: bool = False) -> LoadSummary:
    """Check all demo files, then load them in one transaction. Raises DemoDataError."""
    data = read_demo(directory)
    problems = check_demo(data)
    if problems:
        raise DemoDataError(problems)
    summary = LoadSummary()
    with transaction.atomic():
        code_sets = {}
        for row in data["code_sets"]:
            values = {name: row.get(name) for name in CODE_SET_FIELDS}
            code_sets[row["slug"]] = _upsert(
                CodeSet, {"slug": row["slug"]}, values,
                update=update, summary=summary, label="code sets",
            )  # fmt: skip
        sections: dict[str, Section] = {}
        for position, row in enumerate(data["sections"]):
            values = {
                "title": row["title"],
                "parent": sections.get(row.get("parent", "")),
                "range_start": row["range"][0],
                "range_end": row["range"][1],
                "position": position,
            }
            lookup = {"code_set": code_sets[row["code_set"]], "slug": row["slug"]}
            sections[row["slug"]] = _upsert(
                Section, lookup, values, update=update, summary=summary, label="sections"
            )
        codes: dict[tuple[str, str], tuple[Code, bool]] = {}
        for row in data["codes"]:
            values = {
                "section": sections[row["section"]],
                "title": row["title"],
                "official_description": row["official_description"].strip(),
                "plain_description": row["plain_description"].strip(),
                "is_add_on": row.get("is_add_on", False),
                "status": row.get("status", Code.Status.ACTIVE),
                "effective_date": row.get("effective_date"),
                "end_date": row.get("end_date"),
                "popularity": row.get("popularity", 0),
                "is_sample": True,
            }
            lookup = {"code_set": code_sets[row["code_set"]], "identifier": row["identifier"]}
            created_before = summary.created["codes"]
            code = _upsert(Code, lookup, values, update=update, summary=summary, label="codes")
            is_new = summary.created["codes"] > created_before
            codes[(row["code_set"], row["identifier"])] = (code, is_new or update)
            if is_new or update:
                _load_sections(code, row.get("sections", []), update=update, summary=summary)
            else:
                summary.unchanged["content sections"] += len(row.get("sections", []))
        for row in data["codes"]:
            code, writable = codes[(row["code_set"], row["identifier"])]
            if not writable:
                continue
            replacement = row.get("replaced_by")
            code.replaced_by = codes[(row["code_set"], replacement)][0] if replacement else None
            code.save(update_fields=["replaced_by"])
            code.primary_codes.set(
                codes[(row["code_set"], other)][0] for other in row.get("primary_codes", [])
            )
        # Vectors of the demo codes' public text (only those that changed are embedded).
        sync_embeddings(codes=Code.objects.filter(pk__in=[code.pk for code, _ in codes.values()]))
        if summary.created or summary.updated:
            refresh_search_words()  # the word list for spelling correction
    return summary


def _load_sections(
    code: Code, rows: list[dict[str, Any]], *, update: bool, summary: LoadSummary
) -> None:
    for position, row in enumerate(rows, start=1):
        kind = row["kind"]
        values = {
            "kind": kind,
            "title": row.get("title") or ContentSection.Kind(kind).label,
            "access": row.get("access") or ContentSection.default_access(kind),
            "body_markdown": row["body"].strip(),
        }
        _upsert(
            ContentSection, {"code": code, "position": position}, values,
            update=update, summary=summary, label="content sections",
        )  # fmt: skip
    deleted, _ = ContentSection.objects.filter(code=code, position__gt=len(rows)).delete()
    summary.updated["content sections"] += deleted
