from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal: organisations and users")

    def ready(self) -> None:
        from portal import (
            backends,
            checks,  # noqa: F401  (registers the system checks)
            history,
            inbox,
        )
        from portal.navigation import NavEntry, register

        history.connect()  # a save that changes nothing leaves no history row
        backends.connect()  # the signed-in user's cached row is dropped when it changes

        # The one inbox (portal.inbox) the apps' sources fill; its badge is cached per user.
        register(NavEntry(key="inbox", label=_("My inbox"), url_name="inbox", icon="bi-inbox",
                          visible=lambda user: True, order=5, badge=inbox.badge))  # fmt: skip
