from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Group cockpit")

    def ready(self) -> None:
        from dashboard import signals
        from portal import demo
        from portal.navigation import NavEntry, register

        signals.connect()
        from dashboard.pagecache import HINT_COOKIE
        from portal.views import SIGNED_IN_COOKIES

        if (HINT_COOKIE, "dashboard:cockpit") not in SIGNED_IN_COOKIES:
            SIGNED_IN_COOKIES.append((HINT_COOKIE, "dashboard:cockpit"))
        register(NavEntry(key="cockpit", label=_("Cockpit"), url_name="dashboard:cockpit",
                          icon="bi-speedometer2", visible=_may_open_cockpit, order=1))  # fmt: skip
        demo.register(demo.DemoStep("rollups", 90, _demo_rollup))
        from portal import panels

        panels.register(panels.Link(
            model="projects.Project", key="dashboard.project", label=_("Cockpit page"),
            icon="bi-speedometer2", url=_project_cockpit_url, order=10,
        ))  # fmt: skip


def _project_cockpit_url(request, project) -> str | None:
    """The project's page on the cockpit, for those who may open the cockpit."""
    from django.urls import reverse

    if not _may_open_cockpit(request.user):
        return None
    return reverse("dashboard:project", args=[project.pk])


def _demo_rollup(ctx) -> None:
    from dashboard.services import rollup_full

    run = rollup_full(ctx.today)
    ctx.log(f"  rolled up {run.projects} projects for the cockpit")


def _may_open_cockpit(user) -> bool:
    from dashboard.selectors import may_open_cockpit

    return may_open_cockpit(user)
