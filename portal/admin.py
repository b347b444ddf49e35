from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from portal.choices import Function
from portal.models import Notification, Organisation, ReminderClaim, User


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "short_name", "code", "kind", "parent", "path", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    list_select_related = ["parent"]
    readonly_fields = ["path"]


class UserAdminForm(forms.ModelForm):
    functions = forms.MultipleChoiceField(
        label=_("functions"),
        choices=Function.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = User
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose what is shown)


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    form = UserAdminForm
    list_display = ["username", "name", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "organisation", "is_active", "is_superuser"]
    search_fields = ["username", "name", "email"]
    list_select_related = ["organisation"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["name", "email", "phone"]}),
        (_("Place in the group"), {"fields": ["organisation", "role", "functions"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "name", "organisation", "role", "password1", "password2"],
            },
        ),
    ]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "created_at", "read_at", "key"]
    list_filter = [("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["title", "key", "recipient__username", "recipient__name"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(ReminderClaim)
class ReminderClaimAdmin(admin.ModelAdmin):
    """What the daily reminder run delivered: read-only, written by portal.notifications."""

    list_display = ["day", "kind", "key", "recipient"]
    list_filter = ["kind", "day"]
    search_fields = ["key", "recipient__username"]
    list_select_related = ["recipient"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
