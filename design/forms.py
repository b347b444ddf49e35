"""HTML forms of design management. Amounts are typed in 万元 and handed to the services in
yuan (portal.money.MoneyFormField); the rules and their messages are the services' and the
models', so the page and the API say the same."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from design.choices import ChangeKind, StageOutcome
from design.models import CostChain, DesignChange, DesignStage
from portal.forms import BootstrapFormMixin, DateInput
from portal.money import MoneyFormField, Unit


def _help(model, name: str) -> str:
    return model._meta.get_field(name).help_text


class ChangeForm(BootstrapFormMixin, forms.Form):
    """A design change as the subsidiary (or the centre) raises it."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    project = forms.CharField(
        label=_("Project code"), max_length=32,
        help_text=_("The registry's code of the project, e.g. JC-2026-001."),
    )  # fmt: skip
    number = forms.CharField(
        label=_("Change number"), max_length=40, required=False,
        help_text=_help(DesignChange, "number"),
    )  # fmt: skip
    kind = forms.ChoiceField(label=_("Type"), choices=ChangeKind.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    amount_requested = MoneyFormField(unit=Unit.WAN, label=_("Amount requested (10k yuan)"))
    contract_name = forms.CharField(
        label=_("Contract"), max_length=200, required=False,
        help_text=_help(DesignChange, "contract_name"),
    )  # fmt: skip
    contract_sum = MoneyFormField(
        unit=Unit.WAN, label=_("Contract sum (10k yuan)"), required=False,
        help_text=_help(DesignChange, "contract_sum"),
    )  # fmt: skip

    FIELDS = ("number", "kind", "reason", "amount_requested", "contract_name", "contract_sum")

    def __init__(self, *args, change: DesignChange | None = None, **kwargs):
        if change is not None:
            kwargs.setdefault("initial", {
                "version": change.version, "project": change.project.code,
                **{name: getattr(change, name) for name in self.FIELDS},
            })  # fmt: skip
        super().__init__(*args, **kwargs)
        if change is not None:
            self.fields["project"].disabled = True  # a change stays on its project

    def change_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class DecisionForm(BootstrapFormMixin, forms.Form):
    """The approver's amount, before approving (the note is needed above the request)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    amount_approved = MoneyFormField(unit=Unit.WAN, label=_("Amount approved (10k yuan)"))
    approval_note = forms.CharField(
        label=_("Approval note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_help(DesignChange, "approval_note"),
    )  # fmt: skip

    def __init__(self, *args, change: DesignChange, **kwargs):
        kwargs.setdefault("initial", {
            "version": change.version,
            "amount_approved": change.amount_approved if change.amount_approved is not None
            else change.amount_requested,
            "approval_note": change.approval_note,
        })  # fmt: skip
        super().__init__(*args, **kwargs)


class StageForm(BootstrapFormMixin, forms.Form):
    planned_start = forms.DateField(
        label=pgettext_lazy("design stage", "Planned start"), required=False, widget=DateInput()
    )
    planned_finish = forms.DateField(
        label=pgettext_lazy("design stage", "Planned finish"), required=False, widget=DateInput()
    )
    actual_start = forms.DateField(
        label=pgettext_lazy("design stage", "Actual start"), required=False, widget=DateInput()
    )
    actual_finish = forms.DateField(
        label=pgettext_lazy("design stage", "Actual finish"), required=False, widget=DateInput()
    )
    designer = forms.CharField(label=_("Designer"), max_length=100, required=False,
                               help_text=_help(DesignStage, "designer"))  # fmt: skip
    reviewer = forms.CharField(label=_("Reviewer"), max_length=100, required=False,
                               help_text=_help(DesignStage, "reviewer"))  # fmt: skip
    outcome = forms.ChoiceField(label=_("Outcome"), choices=StageOutcome.choices)
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)  # the stage as read

    def __init__(self, *args, stage: DesignStage, **kwargs):
        kwargs.setdefault("initial", {name: getattr(stage, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)


class CostChainForm(BootstrapFormMixin, forms.Form):
    feasibility_estimate = MoneyFormField(
        unit=Unit.WAN, label=_("Feasibility estimate (10k yuan)"), required=False
    )
    feasibility_doc_no = forms.CharField(label=_("Feasibility approval document no."),
                                         max_length=100, required=False)  # fmt: skip
    feasibility_date = forms.DateField(label=_("Feasibility approval date"), required=False,
                                       widget=DateInput())  # fmt: skip
    budget_estimate = MoneyFormField(
        unit=Unit.WAN, label=_("Approved budget estimate (10k yuan)"), required=False,
        help_text=_("Kept in the project registry: saving it here updates the project."),
    )  # fmt: skip
    budget = MoneyFormField(unit=Unit.WAN, label=_("Construction budget (10k yuan)"),
                            required=False)  # fmt: skip
    budget_doc_no = forms.CharField(label=_("Budget review report no."), max_length=100,
                                    required=False)  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    CHAIN = ("feasibility_estimate", "feasibility_doc_no", "feasibility_date", "budget",
             "budget_doc_no", "note")  # fmt: skip

    def __init__(self, *args, project, chain: CostChain | None, **kwargs):
        initial = {name: getattr(chain, name) for name in self.CHAIN} if chain else {}
        initial["budget_estimate"] = project.approved_budget_estimate
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    def chain_fields(self) -> dict:
        return {
            "budget_estimate": self.cleaned_data["budget_estimate"],
            **{name: self.cleaned_data[name] for name in self.CHAIN},
        }
