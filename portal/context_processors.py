from django.utils.functional import SimpleLazyObject

from portal import navigation as nav
from portal.access import is_admin


def navigation(request):
    """The navigation entries this user may use, with the current one marked.

    Lazy: the entries (and their badge counts, which cost queries) are worked out only when a
    template shows the navigation, not for htmx fragments or other pages without it.
    """
    user = request.user

    def items():
        return nav.items_for(user, request.path)

    return {"nav_items": SimpleLazyObject(items), "nav_show_admin": is_admin(user)}
