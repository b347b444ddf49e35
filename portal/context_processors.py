from portal import navigation as nav
from portal.access import is_admin


def navigation(request):
    """The navigation entries this user may use, with the current one marked."""
    user = request.user
    items = []
    for entry in nav.entries_for(user):
        url = entry.url()
        badge = entry.badge(user) if entry.badge else None
        items.append(
            {"entry": entry, "url": url, "active": request.path.startswith(url), "badge": badge}
        )
    return {"nav_items": items, "nav_show_admin": is_admin(user)}
