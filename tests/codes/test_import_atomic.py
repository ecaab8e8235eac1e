"""Imports and demo loads are one transaction: a write that fails part-way leaves nothing behind.

These tests run outside pytest-django's wrapping transaction (`transaction=True`), let the
database itself refuse a row near the end of a long write, and then count rows from a fresh
connection, which sees only what was committed.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from codes.imports import core
from tests.conftest import restore_plans

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def database_refuses(condition: str) -> Iterator[None]:
    """A constraint only PostgreSQL knows of, refusing the codes that fail `condition`, for the
    length of a test (NOT VALID: rows already there are not checked)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE codes_code ADD CONSTRAINT test_refuses_one_code "
            f"CHECK ({condition}) NOT VALID"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE codes_code DROP CONSTRAINT test_refuses_one_code")


def committed(sql: str) -> Any:
    """A value (a count, say) read on a new connection: only committed rows."""
    with psycopg.connect(**connection.get_connection_params()) as fresh:
        row = fresh.execute(sql).fetchone()
        assert row is not None
        return row[0]


def count_codes() -> int:
    return int(committed("SELECT count(*) FROM codes_code"))


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)
    restore_plans()


def test_an_import_refused_by_the_database_part_way_writes_nothing(demo, tmp_path, monkeypatch):
    # Small batches, so that without the transaction several statements would commit first.
    monkeypatch.setattr(core, "BATCH_SIZE", 5)
    monkeypatch.setattr(core, "PROGRESS_EVERY", 5)
    path = tmp_path / "cpt.txt"
    path.write_text(
        "".join(f"{9000 + n:04d}T\tInvented descriptor number {n}\n" for n in range(40)),
        encoding="utf-8",
    )
    codes_before = count_codes()
    history_before = committed("SELECT count(*) FROM codes_historicalcode")
    stderr = io.StringIO()

    with (
        database_refuses("identifier <> '9039T'"),
        pytest.raises(CommandError, match="nothing was written"),
    ):
        call_command("import_codes", "cpt", str(path), stdout=io.StringIO(), stderr=stderr)

    assert count_codes() == codes_before
    assert committed("SELECT count(*) FROM codes_historicalcode") == history_before
    assert "the database refused the import" in stderr.getvalue()
    assert "test_refuses_one_code" in stderr.getvalue()


def test_an_update_refused_part_way_leaves_every_code_as_it_was(demo, tmp_path, monkeypatch):
    monkeypatch.setattr(core, "BATCH_SIZE", 2)
    monkeypatch.setattr(core, "PROGRESS_EVERY", 2)
    identifiers = ["99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214"]
    path = tmp_path / "cpt.txt"
    path.write_text(
        "".join(f"{code}\tRewritten descriptor {code}\n" for code in identifiers), encoding="utf-8"
    )

    refused = "official_description <> 'Rewritten descriptor 99214'"  # the last batch

    with database_refuses(refused), pytest.raises(CommandError, match="nothing was written"):
        call_command("import_codes", "cpt", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    rewritten = "SELECT count(*) FROM codes_code WHERE official_description LIKE 'Rewritten%'"
    assert committed(rewritten) == 0


def test_a_demo_load_refused_part_way_writes_nothing():
    call_command("flush", "--noinput")  # load_demo finds everything to create
    assert count_codes() == 0

    with (
        database_refuses("identifier <> '99215'"),
        pytest.raises(CommandError, match="test_refuses_one_code"),
    ):
        call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())

    assert count_codes() == 0
    assert committed("SELECT count(*) FROM codes_codeset") == 0
    assert committed("SELECT count(*) FROM codes_section") == 0
    assert committed("SELECT count(*) FROM codes_contentsection") == 0


def test_a_refused_import_marks_no_dropped_code_deleted(demo, tmp_path, monkeypatch):
    # One code per statement, so that without the transaction the reworded code and the first
    # dropped one would be committed before the database refuses the second dropped one.
    monkeypatch.setattr(core, "BATCH_SIZE", 1)
    monkeypatch.setattr(core, "PROGRESS_EVERY", 1)
    first, second = tmp_path / "cpt-2026.txt", tmp_path / "cpt-2027.txt"
    first.write_text(
        "0901T\tInvented first code\n0902T\tInvented second code\n0903T\tInvented third code\n",
        encoding="utf-8",
    )
    second.write_text("0901T\tInvented first code, reworded\n", encoding="utf-8")
    call_command("import_codes", "cpt", str(first), stdout=io.StringIO())

    with (
        database_refuses("identifier <> '0903T' OR status <> 'deleted'"),
        pytest.raises(CommandError, match="nothing was written"),
    ):
        call_command("import_codes", "cpt", str(second), stdout=io.StringIO(), stderr=io.StringIO())

    assert committed("SELECT status FROM codes_code WHERE identifier = '0902T'") == "active"
    assert committed("SELECT status FROM codes_code WHERE identifier = '0903T'") == "active"
    assert (
        committed("SELECT title FROM codes_code WHERE identifier = '0901T'")
        == "Invented first code"
    )
