from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import BootstrapFormMixin, DateInput
from portal.money import MoneyFormField, Unit
from reporting.choices import ItemStatus
from reporting.models import ProgressReport


class ReportForm(BootstrapFormMixin, forms.Form):
    """The progress form. Investment is typed in 万元, as reports are read; stored in yuan."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    investment = MoneyFormField(
        unit=Unit.WAN, label=_("Investment completed this period (10k yuan)"),
        help_text=_("Only this period: the year to date and since-start figures are added up "
                    "for you."),
    )  # fmt: skip
    progress_pct = forms.DecimalField(
        label=_("Physical progress (%)"), max_digits=5, decimal_places=2, required=False
    )
    progress_text = forms.CharField(
        label=_("Physical progress"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=ProgressReport._meta.get_field("explanation").help_text,
    )
    milestones_reached = forms.ModelMultipleChoiceField(
        label=_("Milestones reached this period"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple)  # fmt: skip

    def __init__(self, *args, report: ProgressReport, **kwargs):
        kwargs.setdefault("initial", {
            "version": report.version, "investment": report.investment,
            "progress_pct": report.progress_pct, "progress_text": report.progress_text,
            "next_steps": report.next_steps, "explanation": report.explanation,
            "milestones_reached": list(report.milestones_reached.all()),
        })  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["milestones_reached"].queryset = (
            report.project.milestones.filter(actual_date__isnull=True)
            | report.milestones_reached.all()
        )

    def report_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "investment": data["investment"],  # yuan: MoneyFormField reads 万元
            "progress_pct": data["progress_pct"],
            "progress_text": data["progress_text"],
            "next_steps": data["next_steps"],
            "explanation": data["explanation"],
        }


class ProblemForm(BootstrapFormMixin, forms.Form):
    description = forms.CharField(
        label=_("Problem"), required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=100, required=False)
    responsible_person = forms.CharField(
        label=_("Responsible person"), max_length=50, required=False
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    status = forms.ChoiceField(
        label=_("Status"), choices=ItemStatus.choices, initial=ItemStatus.OPEN
    )
    resolution = forms.CharField(label=_("Resolution"), required=False)


class CoordinationForm(BootstrapFormMixin, forms.Form):
    subject = forms.CharField(
        label=_("Matter needing coordination"), max_length=200, required=False
    )
    detail = forms.CharField(
        label=_("Detail"), required=False, widget=forms.Textarea(attrs={"rows": 1})
    )


# The most rows one report carries, the same for the page and the API.
MAX_PROBLEMS, MAX_COORDINATION = 30, 20
ProblemFormSet = forms.formset_factory(
    ProblemForm, extra=1, max_num=MAX_PROBLEMS, validate_max=True, absolute_max=MAX_PROBLEMS + 1
)
CoordinationFormSet = forms.formset_factory(
    CoordinationForm, extra=1, max_num=MAX_COORDINATION, validate_max=True,
    absolute_max=MAX_COORDINATION + 1,
)  # fmt: skip
