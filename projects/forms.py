from django import forms
from django.utils.translation import gettext_lazy as _

from portal.choices import Role
from portal.forms import BootstrapFormMixin, DateInput
from portal.models import User
from projects import selectors
from projects.models import Project


class ProjectForm(BootstrapFormMixin, forms.ModelForm):
    """Create or edit a registry entry. The owner list holds only subsidiaries the user may use."""

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "owner",
            "category",
            "district",
            "delivery_mode",
            "stage",
            "is_key",
            "investor",
            "end_user",
            "total_investment",
            "approved_budget_estimate",
            "assigned_leader",
            "project_manager",
            "planned_start",
            "planned_finish",
            "actual_start",
            "actual_finish",
            "latitude",
            "longitude",
            "description",
        ]
        widgets = {
            "planned_start": DateInput(),
            "planned_finish": DateInput(),
            "actual_start": DateInput(),
            "actual_finish": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "code": _("Unique across the group, e.g. JC-2026-001."),
            "total_investment": _("In yuan. 1 亿元 = 100,000,000."),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.owner_choices(user=user)
        self.fields["assigned_leader"].queryset = User.objects.filter(
            role=Role.LEADER, is_active=True
        )
        self.fields["project_manager"].queryset = selectors.manager_choices(user=user)
