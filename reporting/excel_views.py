"""Excel batches: download a pre-filled template, upload it, preview, commit.

The base's pages (portal.excel.views) with reporting's sheet. Templates and uploads are for
subsidiary reporters and managers (rules.fills_reports, others 403); an import is seen and
committed only by its uploader (others 404, whoever they are).
"""

from functools import cached_property

from django import forms
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.excel import views as base
from reporting import excel, rules
from reporting.models import ProgressReport, ReportingPeriod


def _periods_for(user) -> list[ReportingPeriod]:
    """Periods in which the user's organisation has forms, newest first."""
    forms_of_user = ProgressReport.objects.for_user(user).values("period")
    return list(
        ReportingPeriod.objects.filter(pk__in=forms_of_user).order_by("-start", "kind")[:36]
    )


class UploadForm(base.ExcelUploadForm):
    sheet = excel.SHEET
    period = forms.ChoiceField(label=gettext_lazy("Period"))
    field_order = ["period", "file"]

    def __init__(self, *args, periods: list[ReportingPeriod], **kwargs):
        super().__init__(*args, **kwargs)
        self.periods = {p.code: p for p in periods}
        self.fields["period"].choices = [(p.code, str(p)) for p in periods]

    def clean_period(self) -> ReportingPeriod:
        return self.periods[self.cleaned_data["period"]]

    def check_upload(self, upload) -> None:
        self.sheet.check_target(upload, user=self.user, period=self.cleaned_data["period"])

    def scope(self) -> dict:
        return {"period": self.cleaned_data["period"]}


class FillerMixin:
    def allowed(self, user) -> bool:
        return rules.fills_reports(user)


class TemplateDownloadView(FillerMixin, base.ExcelTemplateView):
    """GET ?period=2026-11: the workbook of the user's organisation for that period."""

    def template(self, request) -> tuple[bytes, str, str]:
        period = ReportingPeriod.objects.filter(
            **ReportingPeriod.lookup_for_code(request.GET.get("period", ""))
        ).first()
        if period is None:
            raise Http404(_("No such period."))
        organisation = request.user.organisation
        content = excel.build_template(
            organisation=organisation,
            period=period,
            reports=excel.template_reports(user=request.user, period=period),
        )
        return (
            content,
            excel.template_file_name(organisation=organisation, period=period),
            f"reports_{organisation.code}_{period.code}.xlsx",
        )


class UploadView(FillerMixin, base.ExcelUploadView):
    sheet = excel.SHEET
    form_class = UploadForm
    template_name = "reporting/excel_upload.html"
    preview_url = "reporting:excel-preview"

    @cached_property
    def periods(self) -> list[ReportingPeriod]:
        return _periods_for(self.request.user)

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "periods": self.periods}

    def get_initial(self) -> dict:
        wanted = self.request.GET.get("period")
        return {"period": wanted or (self.periods[0].code if self.periods else None)}


class PreviewView(base.ExcelPreviewView):
    sheet = excel.SHEET
    template_name = "reporting/excel_preview.html"
