from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import AnnualPlan, Milestone, Project


class AnnualPlanInline(admin.TabularInline):
    model = AnnualPlan
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    autocomplete_fields = ["responsible_organisation"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "owner",
        "category",
        "district",
        "stage",
        "is_key",
        "total_investment",
        "planned_finish",
    ]
    list_filter = ["owner", "stage", "category", "is_key", "delivery_mode", "district"]
    search_fields = ["code", "name", "investor", "end_user"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "assigned_leader", "project_manager"]
    inlines = [AnnualPlanInline, MilestoneInline]
    date_hierarchy = "planned_start"


@admin.register(AnnualPlan)
class AnnualPlanAdmin(SimpleHistoryAdmin):
    list_display = ["project", "year", "planned_investment", "year_end_target"]
    list_filter = ["year", "project__owner"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = [
        "project",
        "name",
        "deadline",
        "actual_date",
        "responsible_organisation",
        "responsible_person",
    ]
    list_filter = ["responsible_organisation", "deadline"]
    search_fields = ["project__code", "project__name", "name", "responsible_person"]
    list_select_related = ["project", "responsible_organisation"]
    autocomplete_fields = ["project", "responsible_organisation"]
