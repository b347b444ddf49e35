from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.choices import Role
from portal.forms import BootstrapFormMixin, DateInput
from portal.models import Organisation, User
from portal.money import MoneyFormField, Unit
from projects import selectors
from projects.models import PROJECT_EDITABLE_FIELDS, AnnualPlan, Milestone, Project
from projects.services import MAX_DAYS_BEFORE_TARGET


class ProjectForm(BootstrapFormMixin, forms.ModelForm):
    """Create or edit a registry entry. The owner list holds only subsidiaries the user may use.

    Amounts are typed in 万元, as every list shows them, and reach the service in yuan."""

    total_investment = MoneyFormField(
        unit=Unit.WAN,
        label=_("Total investment (10k yuan)"),
        help_text=_("In 10k yuan (万元). 1 亿元 = 10,000 万元."),
    )
    approved_budget_estimate = MoneyFormField(
        unit=Unit.WAN, label=_("Approved budget estimate (10k yuan)"), required=False
    )
    opening_investment = MoneyFormField(
        unit=Unit.WAN,
        label=_("Investment completed before reporting (10k yuan)"),
        required=False,  # most projects start at 0
        help_text=Project._meta.get_field("opening_investment").help_text,
    )

    class Meta:
        model = Project
        fields = PROJECT_EDITABLE_FIELDS
        widgets = {
            "planned_start": DateInput(),
            "planned_finish": DateInput(),
            "actual_start": DateInput(),
            "actual_finish": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "code": _("Unique across the group, e.g. JC-2026-001."),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.owner_choices(user=user)
        self.fields["assigned_leader"].queryset = User.objects.filter(
            role=Role.LEADER, is_active=True
        )
        self.fields["project_manager"].queryset = selectors.manager_choices(user=user)
        for name in ("assigned_leader", "project_manager"):
            self.fields[name].empty_label = _("Not assigned")
        if not Project.access_policy.changes_all(user):
            # Only the centre switches a project to ten-day reporting; the box says so.
            self.fields["reports_ten_daily"].disabled = True
            self.fields["reports_ten_daily"].help_text = _("Set by the Project Management Centre.")

    def clean_opening_investment(self):
        return self.cleaned_data["opening_investment"] or 0


class AnnualPlanForm(BootstrapFormMixin, forms.ModelForm):
    """A year's plan; the amount typed in 万元, handed to the service in yuan."""

    planned_investment = MoneyFormField(unit=Unit.WAN, label=_("Planned investment (10k yuan)"))

    class Meta:
        model = AnnualPlan
        fields = ["year", "planned_investment", "year_end_target"]
        help_texts = {
            "year": _("Saving a year that already has a plan replaces that plan."),
        }


class MilestoneForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = [
            "name",
            "deadline",
            "responsible_organisation",
            "responsible_person",
            "arrangement",
            "actual_date",
        ]
        widgets = {
            "deadline": DateInput(),
            "actual_date": DateInput(),
            "arrangement": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_organisation"].queryset = Organisation.objects.filter(
            is_active=True
        )


DEFAULT_NODES = "开工, 540\n基础完成, 400\n主体结构封顶, 240\n竣工验收, 30\n交付使用, 0"


class BattleMapForm(BootstrapFormMixin, forms.Form):
    """Work a battle map backwards from the target date (倒排工期): one node per line."""

    target = forms.DateField(label=_("Target date"), widget=DateInput())
    responsible_organisation = forms.ModelChoiceField(
        label=_("Responsible organisation"), queryset=Organisation.objects.filter(is_active=True)
    )
    responsible_person = forms.CharField(
        label=_("Responsible person"), max_length=50, required=False
    )
    nodes = forms.CharField(
        label=_("Nodes"),
        widget=forms.Textarea(attrs={"rows": 6}),
        initial=DEFAULT_NODES,
        help_text=_("One node per line: name, days before the target."),
    )

    def clean_nodes(self) -> list[tuple[str, int]]:
        parsed = []
        for number, line in enumerate(self.cleaned_data["nodes"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            name, _sep, days = line.replace("，", ",").rpartition(",")
            name = name.strip()
            try:
                days_before = int(days.strip())
            except ValueError:
                days_before = -1
            if not name or days_before < 0:
                raise ValidationError(
                    _(
                        "Line %(number)s: write a node name, a comma and a whole number of days "
                        "(0 or more)."
                    ),
                    params={"number": number},
                )
            if days_before > MAX_DAYS_BEFORE_TARGET:
                raise ValidationError(
                    _("Line %(number)s: at most %(max)s days before the target."),
                    params={"number": number, "max": MAX_DAYS_BEFORE_TARGET},
                )
            parsed.append((name, days_before))
        if not parsed:
            raise ValidationError(_("Give at least one node."))
        return parsed
