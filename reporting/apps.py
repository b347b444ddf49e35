from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Progress reporting")

    def ready(self) -> None:
        from portal import demo, figures
        from portal.navigation import NavEntry, register
        from reporting import inbox
        from reporting.demo import generate

        inbox.register()  # what waits for a user (portal.inbox) and the feed (portal.activity)
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
        from portal import notifications
        from reporting.reminders import SOURCES

        for source in SOURCES:
            notifications.register(source)
        demo.register(demo.DemoStep("progress-reports", 20, generate))
        from portal import panels
        from reporting.selectors import project_reports

        panels.register(panels.Panel(
            model="projects.Project", key="reporting.reports", order=10,
            template="reporting/partials/project_reports.html",
            context=lambda request, project: {"reports": project_reports(
                user=request.user, project=project)},
        ))  # fmt: skip
