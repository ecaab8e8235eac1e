"""Small factories for the code models; each fills what a test does not care about."""

import itertools
from typing import Any

from codes.models import Code, CodeSet, ContentSection, Section

_numbers = itertools.count(1)


def make_code_set(**fields: Any) -> CodeSet:
    number = next(_numbers)
    values = {
        "slug": f"set{number}",
        "name": f"Set {number}",
        "full_name": f"Test code set {number}",
        "owner": "Test owner",
        "notice": "© Copyright {year} Test owner.",
        "release_year": 2026,
        "identifier_pattern": "[A-Z][0-9]{4}",
    }
    return CodeSet.objects.create(**(values | fields))


def make_section(*, code_set: CodeSet, **fields: Any) -> Section:
    number = next(_numbers)
    values = {
        "slug": f"section-{number}",
        "title": f"Section {number}",
        "range_start": "A0000",
        "range_end": "A9999",
    }
    return Section.objects.create(code_set=code_set, **(values | fields))


def make_code(*, code_set: CodeSet | None = None, sections: int = 0, **fields: Any) -> Code:
    """A code (by default in the demo CPT set) with `sections` content sections."""
    code_set = code_set or CodeSet.objects.get(slug="cpt")
    number = next(_numbers)
    values = {
        "identifier": f"{9000 + number % 1000:04d}T",
        "title": f"Test code {number}",
        "official_description": f"Official description {number}.",
        "plain_description": f"Plain description {number}.",
    }
    code = Code.objects.create(code_set=code_set, **(values | fields))
    for position in range(1, sections + 1):
        ContentSection.objects.create(
            code=code,
            position=position,
            kind=ContentSection.Kind.OTHER,
            title=f"Section {position}",
            body_markdown=f"Body of section {position}.",
        )
    return code
