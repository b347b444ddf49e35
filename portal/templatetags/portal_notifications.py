"""The bell of the navigation bar: `{% unread_notifications as unread %}`.

A tag rather than a context processor, so that only a page that shows the navigation bar pays
for the count (htmx fragments do not), and at most one query (portal.notifications caches it)."""

from django import template

from portal import inbox
from portal.notifications import cached_unread, unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    if cached_unread(user) is None:
        # The badge's query counts the bell too when both are cold: one query, not two,
        # whichever of them the page shows first.
        inbox.counts(user)
    return unread_count(user)
