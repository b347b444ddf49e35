from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from portal.thresholds import ThresholdsAdmin
from preliminary.models import PermitAttachment, PermitEvent, PermitItem, PermitRules, PermitType


@admin.register(PermitRules)
class PermitRulesAdmin(ThresholdsAdmin):
    pass


@admin.register(PermitType)
class PermitTypeAdmin(SimpleHistoryAdmin):
    list_display = ["order", "code", "name", "issuer", "stage", "typical_days", "validity_months",
                    "applicability", "is_active"]  # fmt: skip
    list_display_links = ["code", "name"]
    list_filter = ["stage", "applicability", "is_active"]
    search_fields = ["code", "name", "issuer"]
    filter_horizontal = ["depends_on"]


class EventInline(admin.TabularInline):
    model = PermitEvent
    extra = 0
    readonly_fields = ["action", "actor", "at", "from_state", "to_state", "comment"]
    can_delete = False


class AttachmentInline(admin.TabularInline):
    model = PermitAttachment
    extra = 0
    fields = ["name", "size", "content_type", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # uploads go through the page or the API, which check the content


@admin.register(PermitItem)
class PermitItemAdmin(SimpleHistoryAdmin):
    list_display = ["project", "permit_type", "status", "planned_date", "submitted_date",
                    "approved_date", "document_number", "valid_until"]  # fmt: skip
    list_filter = ["status", "permit_type", "project__owner"]
    search_fields = ["project__code", "project__name", "document_number"]
    list_select_related = ["project", "permit_type"]
    raw_id_fields = ["project"]
    readonly_fields = ["version", "approved_by"]
    inlines = [EventInline, AttachmentInline]


@admin.register(PermitEvent)
class PermitEventAdmin(admin.ModelAdmin):
    list_display = ["item", "action", "actor", "at", "from_state", "to_state"]
    list_filter = ["action"]
    list_select_related = ["item__project", "item__permit_type", "actor"]
    raw_id_fields = ["item"]
