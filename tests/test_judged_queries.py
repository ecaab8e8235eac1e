"""The judged query set of `make bench` (bench/judged_queries.toml) is well formed: enough
queries of every kind, and every code it accepts exists in the data `make run` loads, so a miss
in the report is the search's, never the set's."""

import csv
import gzip
import importlib.util
import io
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import simple_icd_10_cm as cm
from django.conf import settings

from codes.imports import HCPCS_FILE
from codes.imports.icd10pcs import package_file

ROOT = Path(settings.BASE_DIR)
KINDS = {"code", "prefix", "range", "misspelling", "shorthand", "lay", "diagnosis", "procedure"}


def load_judged():
    spec = importlib.util.spec_from_file_location("judged", ROOT / "bench" / "judged.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


judged = load_judged()


@pytest.fixture(scope="module")
def loaded_codes() -> set[str]:
    codes = {
        c for c in cm.get_all_codes(True) if cm.is_leaf(c) and cm.is_category_or_subcategory(c)
    }
    text = package_file().read_text(encoding="utf-8")
    codes |= {line.split(" ", 1)[0] for line in text.splitlines() if line.strip()}
    table = gzip.decompress(HCPCS_FILE.read_bytes()).decode("utf-8")
    codes |= {row[0] for row in csv.reader(io.StringIO(table))}
    for path in (ROOT / "fixtures" / "demo").glob("*.toml"):
        codes |= {row["identifier"] for row in tomllib.loads(path.read_text()).get("codes", [])}
    return codes


def test_the_set_has_at_least_80_distinct_queries_and_every_kind():
    queries = judged.load()
    kinds = Counter(query.kind for query in queries)

    assert len(queries) >= 80
    assert set(kinds) == KINDS
    assert len({query.query.lower() for query in queries}) == len(queries)  # no duplicates


def test_every_accepted_code_exists_in_the_loaded_data(loaded_codes):
    unknown = [
        (query.query, entry)
        for query in judged.load()
        for entry in query.accept
        if not (
            any(code.startswith(entry[:-1]) for code in loaded_codes)
            if entry.endswith("-")
            else entry in loaded_codes
        )
    ]

    assert unknown == []


def test_a_trailing_dash_accepts_the_codes_below_and_nothing_else():
    query = judged.Judged("heart attack", "lay", ("I21-", "I25.2"))

    assert query.accepts("I21.4") and query.accepts("I25.2")
    assert not query.accepts("I22.0") and not query.accepts("I25.20")


def test_recall_and_mrr_count_the_first_acceptable_code(monkeypatch):
    answers = {"a": ["X1", "Y1"], "b": ["Y1", "Y2", "Y3", "Y4", "Y5", "X2"], "c": []}
    monkeypatch.setattr(judged, "first_results", lambda query, depth=10: answers[query])
    queries = [
        judged.Judged("a", "lay", ("X1",)),  # rank 1
        judged.Judged("b", "lay", ("X2",)),  # rank 6: found, but not in the first five
        judged.Judged("c", "code", ("X3",)),  # nothing
    ]

    result = judged.evaluate(queries)

    assert result["recall_at_5"] == round(1 / 3, 3)
    assert result["mrr"] == round((1 + 1 / 6) / 3, 3)
    assert [miss["query"] for miss in result["misses"]] == ["b", "c"]
    assert result["by_kind"]["lay"] == {"queries": 2, "recall_at_5": 0.5, "mrr": round(7 / 12, 3)}
