from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DesignConfig(AppConfig):
    name = "design"
    verbose_name = _("Design management")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from design import gates as design_gates
        from design import inbox
        from design.demo import generate
        from design.figures import PROVIDER
        from design.models import DesignChangeAttachment, DesignStageAttachment
        from design.reminders import SOURCES
        from design.selectors import project_panel
        from design.signals import project_registered
        from portal import demo, figures, files, gates, notifications, panels
        from portal.navigation import NavEntry, register
        from projects.models import Project

        register(
            NavEntry(
                key="design",
                label=_("Design management"),
                url_name="design:changes",
                icon="bi-rulers",
                visible=lambda user: True,
                order=40,
            )
        )
        inbox.register()
        files.register(DesignChangeAttachment)
        files.register(DesignStageAttachment)
        figures.register(PROVIDER)
        for source in SOURCES:
            notifications.register(source)
        gates.register(design_gates.NAME, design_gates.budget_within_estimate)
        demo.register(demo.DemoStep("design", 40, generate))
        panels.register(panels.Panel(
            model="projects.Project", key="design.summary", order=30,
            template="design/partials/project_panel.html",
            context=lambda request, project: {"design": project_panel(project=project)},
        ))  # fmt: skip
        post_save.connect(project_registered, sender=Project,
                          dispatch_uid="design.project_registered")  # fmt: skip
