"""Codes' public text as vectors of a small embedding model shipped inside its PyPI package.

The model is wordllama's default `l2_supercat` (256 dimensions, a 16 MB float16 token table and
a tokenizer, both inside the wheel): a text's vector is the mean of its tokens' rows, made unit
length. Nothing is ever downloaded.

- Importers embed in bulk with wordllama itself, loaded the way its wheel allows with no
  network: `WordLlama.load(cache_dir=<package folder>, disable_download=True)`.
- Web workers embed one query at a time with `QueryEmbedder`, which memory-maps the same token
  table instead of loading wordllama (whose import and float32 copy of the table would cost
  each worker about 80 MB): the pages of the table are shared by every worker of a server, and
  only the rows of a query's tokens are touched. tests/codes/test_vectors.py checks that both
  give the same vectors.

Only text a locked page shows is embedded (title and official terms), so semantic search can
never reveal gated wording either.
"""

import hashlib
import json
import struct
from collections.abc import Sequence
from functools import cache
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from django.db.models import QuerySet

    from codes.models import Code

CONFIG = "l2_supercat"
DIMENSIONS = 256
# Rows per batch when importing (wordllama's own batching happens inside).
BATCH = 4_096


def package_dir() -> Path:
    spec = find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The wordllama package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def model_name() -> str:
    """What `CodeEmbedding.model` records: a different model or version means re-embedding."""
    return f"wordllama {version('wordllama')} {CONFIG} {DIMENSIONS}"


def weights_file() -> Path:
    return package_dir() / "weights" / f"{CONFIG}_{DIMENSIONS}.safetensors"


def tokenizer_file() -> Path:
    return package_dir() / "tokenizers" / f"{CONFIG}_tokenizer_config.json"


def embedding_text(*, title: str, index_terms: str = "") -> str:
    """The public text a code is embedded from: its title and its own official terms."""
    terms = "; ".join(line for line in index_terms.splitlines() if line.strip())
    return f"{title}; {terms}" if terms else title


def digest(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


@cache
def _bulk_model() -> Any:
    import wordllama
    from wordllama import WordLlama

    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


# Fewer texts than this are embedded with the query embedder (the same vectors, see its
# docstring): an editor's save in a web worker must not load wordllama (80 MB) for one title.
FEW = 64


def embed_many(texts: Sequence[str]) -> "np.ndarray":
    """Unit vectors (float16, one row per text): with wordllama itself for importers' batches,
    with the memory-mapped QueryEmbedder for a few texts."""
    import numpy as np

    if len(texts) < FEW:
        embed = query_embedder()
        zero = np.zeros(DIMENSIONS, dtype=np.float32)
        return (
            np.stack([v if (v := embed(text)) is not None else zero for text in texts]).astype(
                np.float16
            )
            if texts
            else np.empty((0, DIMENSIONS), dtype=np.float16)
        )
    model = _bulk_model()
    out = np.empty((len(texts), DIMENSIONS), dtype=np.float16)
    for start in range(0, len(texts), BATCH):
        chunk = list(texts[start : start + BATCH])
        out[start : start + len(chunk)] = model.embed(chunk, norm=True)
    return out


def to_bytes(vector: "np.ndarray") -> bytes:
    import numpy as np

    return np.asarray(vector, dtype="<f2").tobytes()


def from_bytes(data: bytes | memoryview) -> "np.ndarray":
    import numpy as np

    return np.frombuffer(bytes(data), dtype="<f2")


class QueryEmbedder:
    """wordllama's embedding of one text, from its memory-mapped token table (see above)."""

    def __init__(self) -> None:
        import numpy as np
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        self.table = _mapped_table(weights_file())
        self._np = np

    def __call__(self, text: str) -> "np.ndarray | None":
        """The unit vector of `text` (float32), or None when it has no tokens."""
        np = self._np
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        if not ids:
            return None
        rows = self.table[np.clip(np.asarray(ids), 0, len(self.table) - 1)]
        mean = rows.astype(np.float32).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm else None


def _mapped_table(path: Path) -> "np.ndarray":
    """The one float16 tensor of a safetensors file, memory-mapped read-only.

    The format is an 8-byte little-endian header length, a JSON header naming each tensor's
    dtype, shape and byte offsets, then the data.
    """
    import numpy as np

    with path.open("rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
    (name,) = [key for key in header if key != "__metadata__"]
    tensor = header[name]
    if tensor["dtype"] != "F16":
        raise RuntimeError(f"{path.name}: expected float16 weights, found {tensor['dtype']}")
    start, _ = tensor["data_offsets"]
    return np.memmap(
        path, dtype="<f2", mode="r", offset=8 + length + start, shape=tuple(tensor["shape"])
    )


@cache
def query_embedder() -> QueryEmbedder:
    return QueryEmbedder()


# ---------------------------------------------------------------------------------------------
# Writing embeddings (importers, demo loads, the admin)


def sync_embeddings(*, codes: "QuerySet[Code]") -> tuple[int, int]:
    """Embed every code of `codes` whose public text changed since it was embedded (or that has
    no vector, or one of another model), in the caller's transaction. Returns (written,
    unchanged). Two reads whatever the number of codes, then batched writes.
    """
    from codes.models import CodeEmbedding

    model = model_name()
    wanted = {
        pk: embedding_text(title=title, index_terms=terms)
        for pk, title, terms in codes.order_by().values_list("pk", "title", "index_terms")
    }
    current = dict(
        CodeEmbedding.objects.filter(code__in=codes.order_by().values("pk"), model=model)
        .order_by()
        .values_list("code_id", "digest")
    )
    stale = [pk for pk, text in wanted.items() if current.get(pk) != digest(text)]
    if stale:
        vectors = embed_many([wanted[pk] for pk in stale])
        CodeEmbedding.objects.bulk_create(
            [
                CodeEmbedding(
                    code_id=pk, model=model, digest=digest(wanted[pk]), vector=to_bytes(v)
                )
                for pk, v in zip(stale, vectors, strict=True)
            ],
            batch_size=2_000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["model", "digest", "vector"],
        )
    return len(stale), len(wanted) - len(stale)
