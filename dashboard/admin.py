from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dashboard import services
from dashboard.models import RollupRun


@admin.register(RollupRun)
class RollupRunAdmin(admin.ModelAdmin):
    """Every rollup run; a failed one shows its error, an abandoned one (its worker stopped half
    way) the time the sweep noticed it. Rollup tables themselves are derived and not edited by
    hand: recompute them instead."""

    list_display = ["started_at", "kind", "status", "as_of", "projects", "finished_at"]
    list_filter = ["status", "kind"]
    readonly_fields = ["kind", "status", "as_of", "started_at", "finished_at", "projects", "error"]
    actions = ["recompute"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Recompute every rollup now"))
    def recompute(self, request, queryset):
        run = services.rollup_full()
        self.message_user(request, _("Rolled up %(n)d projects.") % {"n": run.projects},
                          messages.SUCCESS)  # fmt: skip
