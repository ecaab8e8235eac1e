from dataclasses import dataclass

from django import template

from caseconsultant.models import in_words as _in_words
from metering.plans import period_name, plan_book
from metering.questions import ALLOWANCE_COLUMNS, Product

register = template.Library()


@dataclass(frozen=True, slots=True)
class ConsultantAllowances:
    """Questions per period on the plans the copy names; None is unlimited."""

    free: int | None
    premium: int | None
    period: str


@register.simple_tag
def consultant_allowances() -> ConsultantAllowances:
    """The plans' question allowances, read from the plan rows (the process's copy, which the
    meter keeps current), so the copy never contradicts what an editor set in the admin.
    `period` is "month" or "day", as metering counts it."""
    book = plan_book()
    column = ALLOWANCE_COLUMNS[Product.CONSULTANT]  # metering's name for the rule
    return ConsultantAllowances(
        free=getattr(book.free, column),
        premium=getattr(book.premium, column),
        period=period_name(),
    )


@register.filter
def in_words(number: int) -> str:
    """A small count in words: `{{ 10|in_words }}` is "ten"."""
    return _in_words(number)
