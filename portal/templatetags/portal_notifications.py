"""The bell of the navigation bar: `{% unread_notifications as unread %}`.

A tag rather than a context processor, so that only a page that shows the navigation bar pays
for the count (htmx fragments do not), and at most one query (portal.notifications caches it)."""

from django import template

from portal.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user)
