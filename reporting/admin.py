from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reporting.models import (
    CoordinationItem,
    ProgressReport,
    ReportEvent,
    ReportImport,
    ReportingPeriod,
    ReportProblem,
)


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "start", "end", "due_date"]
    list_filter = ["kind", "year"]
    date_hierarchy = "start"


class ProblemInline(admin.TabularInline):
    model = ReportProblem
    extra = 0


class EventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    readonly_fields = ["action", "actor", "at", "comment"]
    can_delete = False


@admin.register(ProgressReport)
class ProgressReportAdmin(SimpleHistoryAdmin):
    list_display = ["project", "period", "status", "investment", "progress_pct", "submitted_at",
                    "reviewed_by"]  # fmt: skip
    list_filter = ["status", "period__kind", "period", "project__owner"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project", "period", "reviewed_by"]
    autocomplete_fields = ["project"]
    raw_id_fields = ["milestones_reached"]
    readonly_fields = ["version", "submitted_at", "submitted_by", "reviewed_at", "reviewed_by"]
    inlines = [ProblemInline, EventInline]


@admin.register(CoordinationItem)
class CoordinationItemAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "project", "status", "assignee", "created_at", "answered_at"]
    list_filter = ["status", "project__owner"]
    search_fields = ["subject", "detail", "project__code", "project__name"]
    list_select_related = ["project", "assignee"]
    raw_id_fields = ["report", "project"]


@admin.register(ReportImport)
class ReportImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "organisation", "period", "uploaded_by", "uploaded_at",
                    "committed_at"]  # fmt: skip
    list_filter = ["organisation", "committed_at"]
    list_select_related = ["organisation", "period", "uploaded_by"]
    readonly_fields = ["rows", "errors", "sha256"]
