"""Excel batches: download a pre-filled template, upload it, preview, commit.

Thin views over reporting.excel. Templates and uploads are for subsidiary reporters and managers
(rules.fills_reports, others 403); an import is seen and committed only by its uploader (others
404, whoever they are).
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal.exports import XLSX_CONTENT_TYPE, content_disposition
from portal.forms import BootstrapFormMixin
from portal.views import require
from reporting import excel, rules
from reporting.models import ProgressReport, ReportImport, ReportingPeriod


def _periods_for(user) -> list[ReportingPeriod]:
    """Periods in which the user's organisation has forms, newest first."""
    forms_of_user = ProgressReport.objects.for_user(user).values("period")
    return list(
        ReportingPeriod.objects.filter(pk__in=forms_of_user).order_by("-start", "kind")[:36]
    )


class UploadForm(BootstrapFormMixin, forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"))
    file = forms.FileField(
        label=gettext_lazy("Filled-in template (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )

    def __init__(self, *args, user, periods: list[ReportingPeriod], **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.periods = {p.code: p for p in periods}
        self.fields["period"].choices = [(p.code, str(p)) for p in periods]
        limits = settings.PORTAL
        self.fields["file"].help_text = _(
            "At most %(size)s KB and %(rows)s rows. Nothing is saved before you confirm the "
            "preview."
        ) % {"size": limits["EXCEL_MAX_BYTES"] // 1024, "rows": limits["EXCEL_MAX_ROWS"]}

    def clean(self):
        data = super().clean()
        uploaded, code = data.get("file"), data.get("period")
        if uploaded is None or code is None:
            return data
        data["period"] = period = self.periods[code]
        try:
            self.sheet = excel.read_upload(
                uploaded,
                max_bytes=settings.PORTAL["EXCEL_MAX_BYTES"],
                max_rows=settings.PORTAL["EXCEL_MAX_ROWS"],
            )
            excel.check_target(self.sheet, user=self.user, period=period)
        except ValidationError as exc:
            self.add_error("file", exc)
        return data


class FillerRequiredMixin(LoginRequiredMixin):
    """Reporters and managers of a subsidiary; anyone else signed in gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(rules.fills_reports(request.user))
        return super().dispatch(request, *args, **kwargs)


class TemplateDownloadView(FillerRequiredMixin, View):
    """GET ?period=2026-11: the workbook of the user's organisation for that period."""

    def get(self, request):
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
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition(
            excel.template_file_name(organisation=organisation, period=period),
            fallback=f"reports_{organisation.code}_{period.code}.xlsx",
        )
        return response


class UploadView(FillerRequiredMixin, View):
    template_name = "reporting/excel_upload.html"

    def get(self, request):
        periods = _periods_for(request.user)
        wanted = request.GET.get("period")
        initial = {"period": wanted if wanted else (periods[0].code if periods else None)}
        form = UploadForm(user=request.user, periods=periods, initial=initial)
        return self._render(form)

    def post(self, request):
        form = UploadForm(
            request.POST, request.FILES, user=request.user, periods=_periods_for(request.user)
        )
        if not form.is_valid():
            return self._render(form)
        uploaded = form.cleaned_data["file"]
        report_import = excel.report_import_create(
            actor=request.user,
            period=form.cleaned_data["period"],
            sheet=form.sheet,
            file_name=uploaded.name,
            sha256=excel.file_sha256(uploaded),
        )
        earlier = excel.already_committed(report_import)
        if earlier:
            messages.info(
                request,
                _("This same file was already committed on %(when)s.")
                % {
                    "when": formats.date_format(
                        timezone.localtime(earlier.committed_at), "DATETIME_FORMAT"
                    )
                },
            )
        return redirect("reporting:excel-preview", pk=report_import.pk)

    def _render(self, form):
        return render(self.request, self.template_name, {"form": form})


class PreviewView(LoginRequiredMixin, View):
    """GET: what the upload would change, and every problem. POST: commit it."""

    template_name = "reporting/excel_preview.html"

    def get_import(self) -> ReportImport:
        # Only the uploader: anyone else, whatever the role, learns nothing of it (404).
        return get_object_or_404(
            ReportImport.objects.select_related("organisation", "period"),
            pk=self.kwargs["pk"],
            uploaded_by=self.request.user,
        )

    def get(self, request, pk):
        report_import = self.get_import()
        return render(
            request,
            self.template_name,
            {
                "batch": report_import,
                "rows": excel.preview_rows(report_import),
                "summary": excel.summary(report_import),
                "can_commit": not report_import.errors and report_import.committed_at is None,
            },
        )

    def post(self, request, pk):
        report_import = self.get_import()
        try:
            count = excel.report_import_commit(actor=request.user, report_import=report_import)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("reporting:excel-preview", pk=pk)
        if count:
            messages.success(
                request, _("%(count)s reports were updated from the file.") % {"count": count}
            )
        else:
            messages.info(request, _("Every row equals what the portal holds: nothing changed."))
        return redirect("reporting:excel-preview", pk=pk)
