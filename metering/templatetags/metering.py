from django import template

from metering.plans import Allowances, allowances

register = template.Library()


@register.simple_tag
def plan_allowances() -> Allowances:
    """What guests get and what a free account adds, read from the plan rows (one query), so
    that sales copy never contradicts allowances an editor changed in the admin.
    `allowances.period` is "month" or "day" (METER_PERIOD)."""
    return allowances()
