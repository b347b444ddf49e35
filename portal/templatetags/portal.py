"""Template helpers shared by every app: money in the unit a page is about, sortable headers."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from portal.money import Unit, format_amount

register = template.Library()


@register.filter
def wan(value) -> str:
    """Yuan shown in 万元 (10,000 yuan), two decimals, grouped."""
    return format_amount(value, Unit.WAN)


@register.filter
def yi(value) -> str:
    """Yuan shown in 亿元 (100 million yuan), two decimals, grouped."""
    return format_amount(value, Unit.YI)


@register.simple_tag(takes_context=True)
def sort_link(context, field: str, label: str) -> str:
    """A column header that sorts by `field` (ascending, then descending on a second click),
    keeping every other filter of the page."""
    request = context["request"]
    query = request.GET.copy()
    current = query.get("o", "")
    descending = current == field
    query["o"] = f"-{field}" if descending else field
    query.pop("page", None)
    arrow = ""
    if current == field:
        arrow = " ▲"
    elif current == f"-{field}":
        arrow = " ▼"
    title = _("Sort by %(label)s") % {"label": label}
    return format_html(
        '<a href="?{}" class="text-reset text-decoration-none" title="{}">{}{}</a>',
        query.urlencode(),
        title,
        label,
        arrow,
    )


@register.simple_tag
def percent(part, whole, digits: int = 1) -> str:
    """`part` as a percentage of `whole` ("45.2%"), or "—" when there is no whole."""
    if part in (None, "") or not whole:
        return "—"
    return f"{Decimal(part) * 100 / Decimal(whole):,.{digits}f}%"


@register.simple_tag(takes_context=True)
def record_panels(context, obj) -> str:
    """The panels other apps add to `obj`'s page (portal.panels), rendered in order."""
    from django.template.loader import render_to_string

    from portal import panels

    request = context["request"]
    parts = [
        render_to_string(panel.template, {**extra, "obj": obj}, request=request)
        for panel, extra in panels.panels_for(request, obj)
    ]
    return mark_safe("".join(parts))


@register.simple_tag(takes_context=True)
def record_links(context, obj) -> list:
    """The links other apps add to `obj`'s page (portal.panels): (link, url) pairs."""
    from portal import panels

    return panels.links_for(context["request"], obj)
