"""What the job list's filters mean: the one module the list page and job alerts both read.

Every filter lives in the URL (`/careers/?work_mode=remote&credential=CPC&min_pay=50000`), so a
shared link reproduces the search, and an alert is that same set of filters kept. A value that
is not one of a filter's choices is a form error (`JobFilter.is_valid()` is false, the errors say
which): django-filter would otherwise apply the valid filters only and silently drop the rest.

- `q`: words, matched with PostgreSQL full-text search on title and employer (weighted above)
  and description, accents folded; quotes, `or` and `-word` work as in web search engines.
- `work_mode`: remote, hybrid, on-site; several may be ticked.
- `state`: jobs in that state, and remote jobs open to applicants living there (a remote job
  limited to one state, or open anywhere in the United States).
- `credential`: jobs that accept it.
- `setting`, `employment_type`: one value each.
- `min_pay`: the top of the job's pay range reaches at least this much a year (hourly pay counts
  2,080 hours a year).
- `sort`: newest first (the default) or best paid first.
"""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict

from careercenter.models import (
    HOURS_A_YEAR,
    STATE_NAMES,
    US_STATES,
    Credential,
    EmploymentType,
    JobQuerySet,
    JobSetting,
    WorkMode,
)
from common.search import folded_search_query

MAX_WORDS_LENGTH = 200
MIN_PAY_STEPS = (30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 100_000)
# "$40,000+ ($19.23/h)": the yearly figure, and what it is an hour.
MIN_PAY_CHOICES = [
    (str(amount), f"${amount:,}+ (${amount / HOURS_A_YEAR:.2f}/h)") for amount in MIN_PAY_STEPS
]
SORT_CHOICES = [("newest", "Newest first"), ("pay", "Highest pay first")]
# The filters an alert keeps (its jobs are always mailed newest first).
ALERT_FILTERS = ("q", "work_mode", "state", "credential", "setting", "employment_type", "min_pay")


def tidy_words(text: str) -> str:
    """Printable text, one space between words, at most 200 characters. Accents stay: the
    search folds them in SQL, as the indexed column does (common.search)."""
    plain = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return " ".join(plain.split())[:MAX_WORDS_LENGTH]


class JobFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Words", method="filter_words", max_length=MAX_WORDS_LENGTH)
    # distinct=False: one table, no join, so no duplicates (DISTINCT made PostgreSQL group
    # every row of the count and sort the page).
    work_mode = django_filters.MultipleChoiceFilter(
        label="Work mode",
        choices=WorkMode.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    state = django_filters.ChoiceFilter(
        label="State", choices=US_STATES, empty_label="Any state", method="filter_state"
    )
    credential = django_filters.ChoiceFilter(
        label="Credential",
        choices=[(value, value) for value in Credential.values],
        empty_label="Any credential",
        method="filter_credential",
    )
    setting = django_filters.ChoiceFilter(
        label="Setting", choices=JobSetting.choices, empty_label="Any setting"
    )
    employment_type = django_filters.ChoiceFilter(
        label="Employment type", choices=EmploymentType.choices, empty_label="Any type"
    )
    min_pay = django_filters.ChoiceFilter(
        label="Minimum pay",
        choices=MIN_PAY_CHOICES,
        empty_label="Any pay",
        method="filter_pay",
    )
    sort = django_filters.ChoiceFilter(
        label="Sort", choices=SORT_CHOICES, empty_label=None, method="sort_by"
    )

    def filter_words(self, queryset: JobQuerySet, name: str, value: str) -> JobQuerySet:
        words = tidy_words(value)
        if not words:
            return queryset
        return queryset.filter(search_vector=folded_search_query(words))

    def filter_state(self, queryset: JobQuerySet, name: str, value: str) -> JobQuerySet:
        return queryset.filter(Q(state=value) | Q(work_mode=WorkMode.REMOTE, state=""))

    def filter_credential(self, queryset: JobQuerySet, name: str, value: str) -> JobQuerySet:
        return queryset.filter(credentials__contains=[value])

    def filter_pay(self, queryset: JobQuerySet, name: str, value: str) -> JobQuerySet:
        return queryset.filter(annual_pay_max__gte=int(value))

    def sort_by(self, queryset: JobQuerySet, name: str, value: str) -> JobQuerySet:
        return queryset.best_paid_first() if value == "pay" else queryset


def alert_filters(cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """The filters of a valid JobFilter worth keeping in an alert: only those set."""
    kept: dict[str, Any] = {}
    for name in ALERT_FILTERS:
        value = cleaned.get(name)
        if name == "q":
            value = tidy_words(value or "")
        if value:
            kept[name] = list(value) if name == "work_mode" else str(value)
    return kept


def as_query_dict(filters: Mapping[str, Any]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in filters.items():
        data.setlist(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return data


def as_query_string(filters: Mapping[str, Any]) -> str:
    """`work_mode=remote&credential=CPC`: the list page's address of these filters."""
    return urlencode(
        [
            (name, item)
            for name, value in filters.items()
            for item in (value if isinstance(value, list) else [value])
        ]
    )


def describe(filters: Mapping[str, Any]) -> str:
    """The filters as a reader says them: “risk adjustment” · Remote or Hybrid · Texas · CPC."""
    modes = dict(WorkMode.choices)
    parts = []
    if filters.get("q"):
        parts.append(f"“{filters['q']}”")
    if filters.get("work_mode"):
        parts.append(" or ".join(str(modes.get(m, m)) for m in filters["work_mode"]))
    if filters.get("state"):
        parts.append(STATE_NAMES.get(filters["state"], filters["state"]))
    if filters.get("credential"):
        parts.append(filters["credential"])
    if filters.get("setting"):
        parts.append(str(dict(JobSetting.choices).get(filters["setting"], filters["setting"])))
    if filters.get("employment_type"):
        types = dict(EmploymentType.choices)
        parts.append(str(types.get(filters["employment_type"], filters["employment_type"])))
    if filters.get("min_pay"):
        parts.append(f"${int(filters['min_pay']):,}+ a year")
    return " · ".join(parts) or "All jobs"
