"""Semantic search's vectors: stored in PostgreSQL, served from a memory-mapped copy per server
(codes/vectors.py), embedded by the model shipped in the wordllama package (codes/embeddings.py)."""

import re
from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from codes import embeddings, vectors
from codes.embeddings import QueryEmbedder, embed_many, sync_embeddings, to_bytes
from codes.models import Code, CodeEmbedding

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_copy(settings, tmp_path):
    settings.SEARCH_VECTOR_DIR = tmp_path / "vectors"
    vectors.forget()
    yield
    vectors.forget()


def embed(text: str) -> np.ndarray:
    vector = QueryEmbedder()(text)
    assert vector is not None
    return vector


def database_version() -> tuple[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT instance::text, value FROM codes_vector_version")
        instance, value = cursor.fetchone()
        return instance, int(value)


def index() -> vectors.VectorIndex:
    instance, version = database_version()
    found = vectors.current_index(instance=instance, version=version)
    assert found is not None
    return found


def test_the_query_embedder_gives_wordllamas_vectors(monkeypatch):
    import wordllama
    from wordllama import WordLlama

    model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    texts = ["heart attack", "Acute myocardial infarction, unspecified", "Ménière's disease"]
    reference = model.embed(texts, norm=True)

    mine = np.stack([embed(text) for text in texts])

    assert np.abs(mine - reference).max() < 1e-6
    assert np.abs(embed_many(texts).astype(np.float32) - reference).max() < 1e-3  # float16
    # Importers' batches go through wordllama itself: their vectors must be the queries' too.
    monkeypatch.setattr(embeddings, "FEW", 0)
    assert np.abs(embed_many(texts).astype(np.float32) - mine).max() < 1e-3  # float16


def test_one_copy_per_version_of_the_vectors(django_assert_num_queries):
    first = index()  # load_demo embedded the demo codes
    assert len(first) == CodeEmbedding.objects.count() > 0
    with django_assert_num_queries(1):  # the version only: the copy is kept
        assert index() is first

    code = Code.objects.get(code_set__slug="cpt", identifier="0439T")
    Code.objects.filter(pk=code.pk).update(title="Renamed for a new vector")
    sync_embeddings(codes=Code.objects.filter(pk=code.pk))  # a write bumps the version

    second = index()
    assert second.key != first.key
    assert sorted(
        p.name for p in Path(vectors.vector_dir()).iterdir() if not p.name.startswith(".")
    ) == [second.key]  # the older copy is removed


def test_a_copy_another_worker_is_making_is_not_waited_for():
    import fcntl

    root = Path(vectors.vector_dir())
    root.mkdir(parents=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance, version = database_version()
        assert vectors.current_index(instance=instance, version=version) is None


def test_the_shortlist_finds_what_a_full_scan_finds():
    rng = np.random.default_rng(7)
    base = rng.standard_normal((3_000, 256)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    cpt = Code.objects.get(code_set__slug="cpt", identifier="0439T").code_set
    codes = Code.objects.bulk_create(
        Code(code_set=cpt, identifier=f"{6000 + n}U", title=f"Code {n}", official_description="x")
        for n in range(3_000)
    )
    CodeEmbedding.objects.bulk_create(
        CodeEmbedding(code=code, model="test", digest="x", vector=to_bytes(vector))
        for code, vector in zip(codes, base, strict=True)
    )
    query = base[42] + 0.6 * rng.standard_normal(256).astype(np.float32)
    query /= np.linalg.norm(query)
    stored = base.astype(np.float16).astype(np.float32)
    expected = [codes[i].pk for i in np.argsort(-(stored @ query))[:10]]

    found = index().nearest(query, limit=10)

    assert [pk for pk, _ in found] == expected


def test_a_code_set_filter_keeps_only_its_codes():
    hcpcs = Code.objects.get(code_set__slug="hcpcs", identifier="G0438").code_set_id
    query = embed("annual wellness visit")

    found = index().nearest(query, limit=50, code_set_id=hcpcs)

    assert found
    assert set(
        Code.objects.filter(pk__in=[pk for pk, _ in found]).values_list("code_set_id", flat=True)
    ) == {hcpcs}


def test_a_query_leaves_no_vector_pages_in_the_workers_memory():
    copy = index()
    copy.nearest(embed("chest pain"), limit=10)

    resident = 0
    mapping = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            mapping = line.split()[-1]
        elif line.startswith("Rss:") and mapping and mapping.endswith(f"{copy.key}/vectors.npy"):
            resident += int(line.split()[1])
    assert resident == 0
