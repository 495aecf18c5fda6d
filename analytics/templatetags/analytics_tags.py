from django import template

from analytics.statistics import format_stat

register = template.Library()


@register.filter
def stat(value, digits=1):
    """Format a statistic, showing "—" where it is undefined."""
    return format_stat(value, int(digits))


@register.filter
def percent(value):
    return "—" if value is None else f"{100 * value:.1f}%"


@register.filter
def get_option(options: dict, option_id):
    return options.get(int(option_id))
