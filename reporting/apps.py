from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Progress reporting")

    def ready(self) -> None:
        from portal import demo, figures
        from portal.navigation import NavEntry, register
        from reporting.demo import generate
        from reporting.selectors import inbox_badge

        register(NavEntry(key="inbox", label=_("My inbox"), url_name="reporting:inbox",
                          icon="bi-inbox", visible=lambda user: True, order=5,
                          badge=inbox_badge))  # fmt: skip
        register(
            NavEntry(
                key="reports",
                label=_("Progress reports"),
                url_name="reporting:list",
                icon="bi-clipboard-data",
                visible=lambda user: True,
                order=20,
            )
        )
        from reporting.figures import PROVIDER

        figures.register(PROVIDER)
        demo.register(demo.DemoStep("progress-reports", 20, generate))
