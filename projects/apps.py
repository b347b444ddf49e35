from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Project registry")

    def ready(self) -> None:
        from portal import demo, figures
        from portal.navigation import NavEntry, register
        from projects.demo import generate
        from projects.figures import PROVIDER

        figures.register(PROVIDER)
        demo.register(demo.DemoStep("projects", 10, generate))

        register(
            NavEntry(
                key="projects",
                label=_("Projects"),
                url_name="projects:list",
                icon="bi-buildings",
                visible=lambda user: True,
                order=10,
            )
        )
