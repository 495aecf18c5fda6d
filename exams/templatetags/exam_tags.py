from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value: timedelta) -> str:
    """Format a duration as "1 h 05 min" or "7 min 12 s"."""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    mins, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min {secs:02d} s"
