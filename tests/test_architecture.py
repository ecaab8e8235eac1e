"""The apps depend on each other one way: products ask metering; metering asks neither."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def imported_apps(app: str) -> dict[str, set[str]]:
    """For each module of `app` (migrations aside), the top-level packages it imports."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("app", "forbidden"),
    [
        ("metering", {"accounts", "codes", "caseconsultant", "casepilot", "careercenter", "pages"}),
        ("codes", {"accounts", "caseconsultant", "casepilot", "careercenter", "pages"}),
        ("accounts", {"codes", "careercenter", "pages"}),
        # A product asks the catalogue, metering and the shared helpers, never accounts (whose
        # page lists a member's questions) or the site pages.
        ("caseconsultant", {"accounts", "casepilot", "careercenter", "pages"}),
        ("casepilot", {"accounts", "caseconsultant", "careercenter", "pages"}),
        # CareerCenter needs no code of the catalogue, and no other product's.
        (
            "careercenter",
            {"accounts", "pages", "caseconsultant", "casepilot", "billing", "codes"},
        ),
        ("billing", {"accounts", "codes", "caseconsultant", "casepilot", "careercenter", "pages"}),
        # The shared helpers belong to no product.
        (
            "common",
            {
                "accounts",
                "codes",
                "caseconsultant",
                "casepilot",
                "careercenter",
                "metering",
                "pages",
            },
        ),
    ],
)
def test_dependencies_point_one_way(app, forbidden):
    offending = {
        module: sorted(names & forbidden)
        for module, names in imported_apps(app).items()
        if names & forbidden
    }

    assert offending == {}


def test_every_metering_rule_lives_in_metering():
    """No other app decides plans, allowances or periods itself."""
    for app in (
        "codes",
        "accounts",
        "caseconsultant",
        "casepilot",
        "careercenter",
        "billing",
        "pages",
    ):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for rule in (
                "views_per_period",
                "consultant_questions_per_period",
                "casepilot_questions_per_period",
                "METER_PERIOD",
                "plan_ends_on <",
                "READABLE",
            ):
                assert rule not in text, f"{path.relative_to(ROOT)} decides {rule!r}"


def test_shared_helpers_live_in_common_not_in_a_product():
    """The patient-identifier guard and the Markdown sanitizer exist once, for every product."""
    for app in (
        "codes",
        "accounts",
        "caseconsultant",
        "casepilot",
        "careercenter",
        "metering",
        "pages",
    ):
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "nh3.clean" not in text, f"{path.relative_to(ROOT)} sanitizes HTML itself"
            assert "def patient_identifiers" not in text, f"{path.relative_to(ROOT)} has a guard"
