from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.forms import BootstrapFormMixin, DateInput
from preliminary.models import PermitItem
from preliminary.services import OFFICER_FIELDS


class PermitItemForm(BootstrapFormMixin, forms.Form):
    """An item's editable fields; the view drops those the user may not edit now
    (services.editable_fields). Dates are checked by the service, at their fields."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    planned_date = forms.DateField(label=_("Planned approval date"), required=False,
                                   widget=DateInput())  # fmt: skip
    submitted_date = forms.DateField(label=_("Submitted on"), required=False, widget=DateInput())
    responsible = forms.CharField(label=_("Responsible person"), max_length=50, required=False)
    document_number = forms.CharField(label=_("Document number"), max_length=100, required=False)
    approved_date = forms.DateField(label=_("Approved on"), required=False, widget=DateInput())
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args, item: PermitItem, editable: tuple[str, ...], **kwargs):
        kwargs.setdefault("initial", {"version": item.version,
                                      **{f: getattr(item, f) for f in OFFICER_FIELDS}})  # fmt: skip
        super().__init__(*args, **kwargs)
        for name in OFFICER_FIELDS:
            if name not in editable:
                del self.fields[name]

    def item_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}


class ApprovalForm(BootstrapFormMixin, forms.Form):
    """The approve step with what it records: the document number and the approval date
    (valid-until is computed from the type unless given), and the override reason."""

    action = forms.CharField(widget=forms.HiddenInput, initial="approve")
    version = forms.IntegerField(widget=forms.HiddenInput)
    document_number = forms.CharField(label=_("Document number"), max_length=100,
                                      help_text=_("e.g. 滨发改审批〔2025〕118号"))  # fmt: skip
    approved_date = forms.DateField(label=_("Approved on"), widget=DateInput())
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=DateInput(),
        help_text=_("Leave empty to compute it from the type's validity."),
    )  # fmt: skip
    comment = forms.CharField(
        label=_("Why approve before its prerequisites"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only when an item it depends on is not approved yet: the reason "
                    "is recorded."),
    )  # fmt: skip

    def __init__(self, *args, item: PermitItem, **kwargs):
        # Its own ids: the workflow panel on the same page has a comment field too.
        kwargs.setdefault("auto_id", "approval_%s")
        kwargs.setdefault("initial", {
            "version": item.version, "document_number": item.document_number,
            "approved_date": item.approved_date or timezone.localdate(),
            "valid_until": item.valid_until,
        })  # fmt: skip
        super().__init__(*args, **kwargs)
