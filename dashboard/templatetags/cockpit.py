import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


# What json_script escapes, so that the data cannot close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def json_data(value, element_id: str) -> str:
    """Like json_script, but Chinese stays UTF-8 rather than \\uXXXX escapes (half the bytes)."""
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return format_html('<script id="{}" type="application/json">{}</script>', element_id,
                       mark_safe(text.translate(_JSON_ESCAPES)))  # fmt: skip
