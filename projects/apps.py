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
        # The project's documents (portal.files): served only through its scope, on its page.
        from django.urls import reverse

        from portal import files, panels
        from projects.models import ProjectAttachment

        files.register(ProjectAttachment)
        panels.register(panels.Panel(
            model="projects.Project", key="projects.attachments", order=5,
            template="portal/partials/attachments.html",
            context=lambda request, project: {"panel": files.attachments_panel(
                request, project, ProjectAttachment,
                upload_url=reverse("projects:attachment-upload", args=[project.pk]))},
        ))  # fmt: skip
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
