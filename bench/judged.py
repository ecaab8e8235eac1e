"""The judged query set (bench/judged_queries.toml): how well Case2Code search finds what a coder
means, as recall@5 and mean reciprocal rank (MRR).

Runs each query through `codes.search.search()` in this process, against whatever database
Django is set up with (`make bench`: the full public code sets plus the demo rows).

    recall@5  share of queries with an acceptable code among the first five results (an exact
              code counts when its page is where the search goes)
    MRR       mean of 1 / rank of the first acceptable code; 0 when none is in the first ten
"""

import statistics
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JUDGED_FILE = Path(__file__).resolve().parent / "judged_queries.toml"
RECALL_AT = 5
MRR_DEPTH = 10


@dataclass(frozen=True)
class Judged:
    query: str
    kind: str
    accept: tuple[str, ...]

    def accepts(self, identifier: str) -> bool:
        return any(
            identifier.startswith(entry[:-1]) if entry.endswith("-") else identifier == entry
            for entry in self.accept
        )


def load(path: Path = JUDGED_FILE) -> list[Judged]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Judged(row["q"], row["kind"], tuple(row["accept"])) for row in data["query"]]


def first_results(query: str, depth: int = MRR_DEPTH) -> list[str]:
    """The identifiers a searcher sees first, in order (an exact code: that code alone)."""
    from codes.search import search

    result = search(query)
    if result.queryset is None:
        return []
    return [code.identifier for code in result.queryset[:depth]]


def evaluate(queries: list[Judged] | None = None) -> dict[str, Any]:
    """recall@5 and MRR over the judged set, per kind, every miss with what came first, and the
    time each query took (in process: count aside, the first results only)."""
    queries = load() if queries is None else queries
    found: list[bool] = []
    reciprocal: list[float] = []
    by_kind: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    misses: list[dict[str, Any]] = []
    timings: list[float] = []
    for judged in queries:
        started = time.perf_counter()
        results = first_results(judged.query)
        timings.append((time.perf_counter() - started) * 1000)
        rank = next((i for i, code in enumerate(results, start=1) if judged.accepts(code)), None)
        hit = rank is not None and rank <= RECALL_AT
        rr = 1 / rank if rank is not None else 0.0
        found.append(hit)
        reciprocal.append(rr)
        by_kind[judged.kind].append((hit, rr))
        if not hit:
            misses.append(
                {"query": judged.query, "kind": judged.kind, "rank": rank, "first": results[:5]}
            )
    return {
        "queries": len(queries),
        "recall_at_5": round(sum(found) / len(found), 3),
        "mrr": round(statistics.fmean(reciprocal), 3),
        "by_kind": {
            kind: {
                "queries": len(rows),
                "recall_at_5": round(sum(hit for hit, _ in rows) / len(rows), 3),
                "mrr": round(statistics.fmean(rr for _, rr in rows), 3),
            }
            for kind, rows in sorted(by_kind.items())
        },
        "misses": misses,
        "median_ms": round(statistics.median(timings), 2),
    }


def summary(result: dict[str, Any]) -> str:
    lines = [
        f"judged queries ({result['queries']}): recall@5 {result['recall_at_5']:.3f}, "
        f"MRR {result['mrr']:.3f}"
    ]
    for kind, row in result["by_kind"].items():
        lines.append(
            f"  {kind:<12} {row['queries']:>3} queries  recall@5 {row['recall_at_5']:.3f}"
            f"  MRR {row['mrr']:.3f}"
        )
    for miss in result["misses"]:
        where = f"rank {miss['rank']}" if miss["rank"] else "not in the first ten"
        lines.append(f"  miss: {miss['query']!r} ({where}); first: {', '.join(miss['first'])}")
    return "\n".join(lines)
