from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from design.models import (
    CostChain,
    DesignChange,
    DesignChangeAttachment,
    DesignChangeEvent,
    DesignRules,
    DesignStage,
    DesignStageAttachment,
)
from portal.thresholds import ThresholdsAdmin

admin.site.register(DesignRules, ThresholdsAdmin)


@admin.register(DesignStage)
class DesignStageAdmin(SimpleHistoryAdmin):
    list_display = ["project", "kind", "planned_start", "planned_finish", "actual_start",
                    "actual_finish", "outcome"]  # fmt: skip
    list_filter = ["kind", "outcome", "project__owner"]
    search_fields = ["project__code", "project__name", "designer", "reviewer"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]


@admin.register(CostChain)
class CostChainAdmin(SimpleHistoryAdmin):
    list_display = ["project", "feasibility_estimate", "budget", "feasibility_doc_no"]
    search_fields = ["project__code", "project__name", "feasibility_doc_no"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]


class EventInline(admin.TabularInline):
    model = DesignChangeEvent
    extra = 0
    readonly_fields = ["action", "actor", "at", "from_state", "to_state", "comment"]
    can_delete = False


@admin.register(DesignChange)
class DesignChangeAdmin(SimpleHistoryAdmin):
    list_display = ["number", "project", "kind", "tier", "status", "amount_requested",
                    "amount_approved", "submitted_at", "decided_by"]  # fmt: skip
    list_filter = ["status", "tier", "kind", "project__owner"]
    search_fields = ["number", "project__code", "project__name", "contract_name", "reason"]
    list_select_related = ["project", "decided_by"]
    raw_id_fields = ["project"]
    readonly_fields = ["tier", "cumulative_share_pct", "version", "submitted_at", "submitted_by",
                       "decided_at", "decided_by", "created_by"]  # fmt: skip
    inlines = [EventInline]


@admin.register(DesignChangeAttachment, DesignStageAttachment)
class DesignAttachmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "size", "content_type", "uploaded_by", "uploaded_at"]
    list_select_related = ["uploaded_by"]
    readonly_fields = ["file", "name", "size", "content_type", "sha256", "uploaded_by",
                       "uploaded_at"]  # fmt: skip
