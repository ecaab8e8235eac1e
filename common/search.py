"""Full-text search columns shared by the products: words folded the same way everywhere."""

import functools
import operator
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import F, Func, Value


def folded_search_vector(*fields: tuple[str, str]) -> Any:
    """The weighted English `tsvector` of `fields` ((column, weight) pairs, weight "A" to "D"),
    each folded by `codeahead_unaccent()` (an IMMUTABLE SQL function made by the codes app's
    migrations, so it may stand in a generated column): the expression of a `GeneratedField`
    that PostgreSQL keeps up to date itself."""
    return functools.reduce(
        operator.add,
        (
            SearchVector(Func(F(name), function="codeahead_unaccent"), config="english", weight=w)
            for name, w in fields
        ),
    )


def folded_search_query(text: str, *, search_type: str = "websearch") -> SearchQuery:
    """A query over such a column, its words folded in SQL by the same `codeahead_unaccent()` as
    the column's, so what was indexed and what is searched always fold alike."""
    return SearchQuery(
        Func(Value(text), function="codeahead_unaccent"),  # type: ignore[arg-type]
        search_type=search_type,
        config="english",
    )
