from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _sees_board(user) -> bool:
    from portal.access import is_subsidiary_user, sees_whole_group

    return sees_whole_group(user) or is_subsidiary_user(user)


def _panel_context(request, project):
    from django.utils import timezone

    from preliminary.selectors import project_summary

    return {"summary": project_summary(user=request.user, project=project,
                                       today=timezone.localdate())}  # fmt: skip


class PreliminaryConfig(AppConfig):
    name = "preliminary"
    verbose_name = _("Preliminary work")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from portal import demo, figures, files, notifications, panels
        from portal.navigation import NavEntry, register
        from preliminary import inbox, services
        from preliminary.demo import generate
        from preliminary.figures import PROVIDER
        from preliminary.reminders import SOURCES

        # A new project gets its checklist (projects does not import this app).
        post_save.connect(services.project_registered, sender="projects.Project",
                          dispatch_uid="preliminary:checklist-on-registration")  # fmt: skip
        register(NavEntry(key="preliminary", label=_("Preliminary work"),
                          url_name="preliminary:board", icon="bi-patch-check",
                          visible=_sees_board, order=30))  # fmt: skip
        from preliminary.models import PermitAttachment

        files.register(PermitAttachment)
        inbox.register()
        figures.register(PROVIDER)
        for source in SOURCES:
            notifications.register(source)
        demo.register(demo.DemoStep("preliminary", 30, generate))
        panels.register(panels.Panel(
            model="projects.Project", key="preliminary.checklist", order=20,
            template="preliminary/partials/project_panel.html", context=_panel_context,
        ))  # fmt: skip
