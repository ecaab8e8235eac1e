"""Every code's vector, served to a server's web workers from one memory-mapped copy.

PostgreSQL holds the vectors (`codes_codeembedding`, written by the importers in the same
transaction as the codes), so every app server sees the same ones. Each server keeps a copy in
files under `settings.SEARCH_VECTOR_DIR`, named after the database's instance id and its vector
version (`codes_vector_version`, bumped by a trigger on every write to the embeddings): every
worker maps the same files read-only, so the operating system keeps one copy in its page cache
for all of them instead of one per process.

    <instance>-<version>-v<LAYOUT>/
                         ids.npy      int32   code ids, ascending
                         sets.npy     int16   each code's code set id (for the set filter)
                         bits.npy     uint64  the signs of the vectors, 256 bits in 4 words,
                                              word by word (4 rows of n: each one contiguous)
                         vectors.npy  float16 the vectors, 512 bytes each

A query is answered in two steps: the Hamming distance between sign bits ranks every code
(5 MB read, about 1 ms for 160,000 codes), then the cosine of the float16 vectors of the
SHORTLIST nearest decides the order. Only those rows of vectors.npy are read, and their pages
are unmapped again after each query (they stay in the page cache for every worker): over many
queries the shortlists would otherwise touch the whole file, and each worker's resident memory
would grow by all of it.

When the version in the database is newer than the copy a worker holds (an import changed
vectors), the first worker to notice rebuilds the files from PostgreSQL under a file lock, in its
request (about two seconds for 160,000 codes); the others keep using the copy they have, or
search without vectors while a first copy is being made. A second app server's first search
therefore builds its own copy from PostgreSQL; there is nothing to copy between servers.
"""

import fcntl
import logging
import mmap
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SHORTLIST = 1_000
FILES = ("ids", "sets", "bits", "vectors")
# The files' layout: a copy of another layout (left by an older release) is never opened.
LAYOUT = 2


@dataclass(frozen=True)
class VectorIndex:
    key: str
    ids: "np.ndarray"
    sets: "np.ndarray"
    bits: "np.ndarray"
    vectors: "np.ndarray"
    mapping: mmap.mmap | None = None  # vectors.npy's mapping

    def _release(self) -> None:
        """Unmap the vector pages a query read: they stay in the page cache, shared, but no
        longer count in this worker's resident memory (over many queries, the shortlists
        would touch every page of the file)."""
        if self.mapping is not None:
            self.mapping.madvise(mmap.MADV_DONTNEED)

    def __len__(self) -> int:
        return len(self.ids)

    def nearest(
        self, query: "np.ndarray", *, limit: int, code_set_id: int | None = None
    ) -> list[tuple[int, float]]:
        """The `limit` codes whose vectors are closest to `query` (a unit float32 vector), as
        (code id, cosine), best first; only codes of `code_set_id` when given."""
        import numpy as np

        if not len(self):
            return []
        words = sign_bits(query)
        distance = np.bitwise_count(self.bits[0] ^ words[0]).astype(np.int32)
        for row, word in zip(self.bits[1:], words[1:], strict=True):
            distance += np.bitwise_count(row ^ word)
        if code_set_id is not None:
            distance[self.sets != code_set_id] = 1 << 20
        shortlist = min(SHORTLIST, len(self) - 1)
        rows = np.argpartition(distance, shortlist)[: shortlist + 1]
        if code_set_id is not None:
            rows = rows[self.sets[rows] == code_set_id]
        rows.sort()  # read the file in order
        scores = self.vectors[rows].astype(np.float32) @ query
        self._release()
        best = np.argsort(-scores, kind="stable")[:limit]
        return [(int(self.ids[rows[i]]), float(scores[i])) for i in best]


def sign_bits(vectors: "np.ndarray") -> "np.ndarray":
    """The sign of each dimension, packed into little-endian 64-bit words (one row each)."""
    import numpy as np

    packed = np.packbits(np.asarray(vectors) > 0, axis=-1, bitorder="little")
    return packed.view("<u8")


class _Held:
    """The copy this process maps, and the lock under which it opens or builds a newer one."""

    def __init__(self) -> None:
        self.index: VectorIndex | None = None
        self.lock = Lock()


_held = _Held()


def vector_dir() -> Path:
    return Path(settings.SEARCH_VECTOR_DIR)


def current_index(*, instance: str, version: int) -> VectorIndex | None:
    """The copy for the database's current vectors, opening or building it when this process
    holds an older one. While another worker builds it: the older copy, or None."""
    key = f"{instance}-{version}-v{LAYOUT}"
    held = _held.index
    if held is not None and held.key == key:
        return held
    with _held.lock:
        if _held.index is not None and _held.index.key == key:
            return _held.index
        index = _open(key) or _build(key, instance=instance)
        if index is not None:
            _held.index = index
        elif _held.index is not None and not _held.index.key.startswith(instance):
            _held.index = None  # another database's copy is never served
        return _held.index


def forget() -> None:
    """Drop this process's copy (tests, and after the files were removed)."""
    with _held.lock:
        _held.index = None


def _open(key: str) -> VectorIndex | None:
    import numpy as np

    folder = vector_dir() / key
    if not (folder / "complete").exists():
        return None
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in FILES}
    # Only a query's shortlist of vectors is read: no read-ahead around each row.
    mapping = getattr(arrays["vectors"], "_mmap", None)
    if mapping is not None:
        mapping.madvise(mmap.MADV_RANDOM)
    return VectorIndex(key=key, mapping=mapping, **arrays)


def _build(key: str, *, instance: str) -> VectorIndex | None:
    """Write the copy for `key` from PostgreSQL, unless another worker of this server is doing
    it (then None: the caller goes on without it)."""
    root = vector_dir()
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        try:
            found = _open(key)  # made by the worker that held the lock before us
            if found is not None:
                return found
            started = time.monotonic()
            count = _write(root / key, root / f".{key}.{os.getpid()}")
            log.info(
                "search vectors %s: %s codes copied from PostgreSQL in %.1f s",
                key,
                f"{count:,}",
                time.monotonic() - started,
            )
            _remove_older(root, instance=instance, keep=key)
            return _open(key)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(final: Path, scratch: Path) -> int:
    """Stream every embedding into .npy files under `scratch`, then rename it to `final`.

    One statement, so the count and the rows come from one snapshot of the database.
    """
    import numpy as np

    from codes.embeddings import DIMENSIONS

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    arrays: dict[str, np.ndarray] = {}
    written = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT count(*) OVER (), e.code_id, c.code_set_id, e.vector "
            "FROM codes_codeembedding e JOIN codes_code c ON c.id = e.code_id ORDER BY e.code_id"
        )
        while rows := cursor.fetchmany(10_000):
            if not arrays:
                count = int(rows[0][0])
                shapes = {
                    "ids": ("<i4", (count,)),
                    "sets": ("<i2", (count,)),
                    "bits": ("<u8", (DIMENSIONS // 64, count)),
                    "vectors": ("<f2", (count, DIMENSIONS)),
                }
                arrays = {
                    name: np.lib.format.open_memmap(
                        scratch / f"{name}.npy", mode="w+", dtype=dtype, shape=shape
                    )
                    for name, (dtype, shape) in shapes.items()
                }
            end = written + len(rows)
            arrays["ids"][written:end] = [row[1] for row in rows]
            arrays["sets"][written:end] = [row[2] for row in rows]
            block = np.frombuffer(b"".join(bytes(row[3]) for row in rows), dtype="<f2")
            arrays["vectors"][written:end] = block.reshape(len(rows), DIMENSIONS)
            arrays["bits"][:, written:end] = sign_bits(arrays["vectors"][written:end]).T
            written = end
    if not arrays:  # no embeddings at all
        for name, dtype, shape in (
            ("ids", "<i4", (0,)),
            ("sets", "<i2", (0,)),
            ("bits", "<u8", (DIMENSIONS // 64, 0)),
            ("vectors", "<f2", (0, DIMENSIONS)),
        ):
            np.save(scratch / f"{name}.npy", np.empty(shape, dtype=dtype))
    for data in arrays.values():
        data.flush()  # type: ignore[attr-defined]  # a numpy.memmap
    del arrays
    (scratch / "complete").touch()
    shutil.rmtree(final, ignore_errors=True)
    scratch.rename(final)
    return written


def _remove_older(root: Path, *, instance: str, keep: str) -> None:
    """Remove this database's other copies (workers still mapping one keep their pages until
    they let go) and scratch folders left by a worker that died while writing."""
    for folder in root.iterdir():
        stale_copy = folder.name.startswith(instance) and folder.name != keep
        if stale_copy or (folder.name.startswith(f".{instance}") and folder.is_dir()):
            shutil.rmtree(folder, ignore_errors=True)
