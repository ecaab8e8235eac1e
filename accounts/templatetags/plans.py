from django import template

from accounts.models import Plan

register = template.Library()


@register.simple_tag
def plan_allowances() -> dict[str, int]:
    """What guests get and what a free account adds, read from the plan rows (one query), so
    that sales copy never contradicts allowances an editor changed in the admin."""
    views = dict(
        Plan.objects.filter(slug__in=[Plan.GUEST, Plan.FREE]).values_list(
            "slug", "views_per_period"
        )
    )
    guest, free = views.get(Plan.GUEST) or 0, views.get(Plan.FREE) or 0
    return {"guest": guest, "free_extra": max(0, free - guest)}
