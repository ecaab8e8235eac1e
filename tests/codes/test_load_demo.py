import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from codes.demo import DEMO_DIR
from codes.models import Code, ContentSection

pytestmark = pytest.mark.django_db


def test_demo_data_has_what_the_product_promises():
    cpt = Code.objects.filter(code_set__slug="cpt")

    assert cpt.count() >= 25
    assert set(cpt.filter(identifier__startswith="992").values_list("identifier", flat=True)) >= {
        "99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215",
    }  # fmt: skip
    assert cpt.filter(identifier__endswith="F").exists()
    assert cpt.filter(identifier__endswith="T").count() >= 3
    assert cpt.filter(status="deleted", replaced_by__isnull=False).exists()
    assert Code.objects.filter(code_set__slug="hcpcs").count() >= 3
    assert Code.objects.filter(code_set__slug="icd10cm").count() >= 3
    assert not Code.objects.filter(is_sample=False).exists()
    for code in Code.objects.prefetch_related("content_sections"):
        kinds = [section.kind for section in code.content_sections.all()]
        assert kinds == list(ContentSection.DEFAULT_KINDS), code
        assert all(len(s.body_markdown.split()) >= 40 for s in code.content_sections.all()), code


def test_loading_twice_changes_nothing(capsys):
    before = list(ContentSection.objects.order_by("pk").values_list("pk", "body_html"))

    call_command("load_demo")

    assert "codes: 0 created, 0 updated" in capsys.readouterr().out
    assert list(ContentSection.objects.order_by("pk").values_list("pk", "body_html")) == before


def test_admin_edits_survive_a_reload_unless_update_is_asked_for():
    code = Code.objects.get(code_set__slug="cpt", identifier="99213")
    original = code.plain_description
    code.plain_description = "Edited by an editor."
    code.save()

    call_command("load_demo", verbosity=0)
    code.refresh_from_db()
    assert code.plain_description == "Edited by an editor."

    call_command("load_demo", "--update", verbosity=0)
    code.refresh_from_db()
    assert code.plain_description == original


def test_bad_demo_files_report_every_problem_and_write_nothing(tmp_path):
    for source in DEMO_DIR.glob("*.toml"):
        shutil.copy(source, tmp_path)
    (tmp_path / "90-bad.toml").write_text(BAD_ROWS, encoding="utf-8")
    count = Code.objects.count()
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="6 problem"):
        call_command("load_demo", directory=tmp_path, stderr=stderr)

    problems = stderr.getvalue()
    for expected in (
        "90-bad.toml: code '1234X': not a canonical CPT® identifier",
        "90-bad.toml: code '1234X': unknown section 'no-such-section' in cpt",
        "90-bad.toml: code '1234X': title is missing",
        "90-bad.toml: code '1234X': refers to '00000', which is not in the demo data",
        "90-bad.toml: code '1234X': only a deleted code can have replaced_by",
        "90-bad.toml: code '1234X': section 1 has unknown kind 'gossip'",
    ):
        assert expected in problems
    assert Code.objects.count() == count
    assert not Code.objects.filter(identifier="9999T").exists()


def test_unreadable_toml_is_reported_with_its_file(tmp_path):
    (tmp_path / "broken.toml").write_text("[[codes]\n", encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("load_demo", directory=tmp_path, stderr=stderr)

    assert stderr.getvalue().startswith("broken.toml:")


BAD_ROWS = """
[[codes]]
code_set = "cpt"
identifier = "9999T"
section = "cpt-category-iii"
title = "Would be new"
official_description = "x"
plain_description = "y"

[[codes]]
code_set = "cpt"
identifier = "1234X"
section = "no-such-section"
title = ""
official_description = "x"
plain_description = "y"
replaced_by = "00000"

[[codes.sections]]
kind = "gossip"
body = "z"
"""
