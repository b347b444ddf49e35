from django import template

from dashboard import rules

register = template.Library()


@register.filter
def cause_text(cause: dict) -> str:
    """One stored cause of a colour, in the reader's language."""
    return rules.describe(cause)


@register.filter
def pct(value, digits: int = 1) -> str:
    """A percentage already in points ("83.3%"), or "—"."""
    if value in (None, ""):
        return "—"
    return f"{float(value):,.{digits}f}%"
