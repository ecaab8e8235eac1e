import datetime

from django import template

register = template.Library()


@register.filter
def machine_datetime(value: datetime.datetime | None) -> str:
    """A datetime for `<time datetime="…">`: ISO 8601 to the second, with its offset (HTML allows
    at most three digits of a fraction, which Django's "c" format exceeds)."""
    if value is None:
        return ""
    return value.isoformat(timespec="seconds")
