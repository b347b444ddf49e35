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
        register(NavEntry(key="cockpit", label=_("Cockpit"), url_name="dashboard:cockpit",
                          icon="bi-speedometer2", visible=_may_open_cockpit, order=1))  # fmt: skip
        demo.register(demo.DemoStep("rollups", 90, _demo_rollup))


def _demo_rollup(ctx) -> None:
    from dashboard.services import rollup_full

    run = rollup_full(ctx.today)
    ctx.log(f"  rolled up {run.projects} projects for the cockpit")


def _may_open_cockpit(user) -> bool:
    from dashboard.selectors import may_open_cockpit

    return may_open_cockpit(user)
