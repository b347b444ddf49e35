"""The pages of an Excel batch, for any app's sheet: download the template, upload a file (the
form refuses a bad file at its field, never with a 500), preview every change and problem,
commit. An app subclasses them with its sheet, its templates and who may upload (`allowed`);
an import is seen and committed only by its uploader (others 404, whoever they are).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal import access
from portal.excel import imports
from portal.excel.reader import Limits, Upload
from portal.excel.sheet import Sheet
from portal.exports import XLSX_CONTENT_TYPE, content_disposition
from portal.forms import BootstrapFormMixin


class ExcelUploadForm(BootstrapFormMixin, forms.Form):
    """The file of an upload, read by the bounded reader. A subclass adds what the file is for
    (e.g. a period), returns it from `scope()` and checks in `check_upload()` that the file says
    the same."""

    sheet: Sheet
    file = forms.FileField(
        label=gettext_lazy("Filled-in template (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.upload: Upload | None = None
        limits = Limits.from_settings()
        self.fields["file"].help_text = _(
            "At most %(size)s KB and %(rows)s rows. Nothing is saved before you confirm the "
            "preview."
        ) % {"size": limits.max_bytes // 1024, "rows": limits.max_rows}

    def clean(self):
        data = super().clean()
        uploaded = data.get("file")
        if uploaded is None or self.errors:
            return data
        try:
            self.upload = self.sheet.read(uploaded)
            self.check_upload(self.upload)
        except ValidationError as exc:
            self.upload = None
            self.add_error("file", exc)
        return data

    def check_upload(self, upload: Upload) -> None:
        """Refuse (ValidationError) a file for another scope than the one chosen."""

    def scope(self) -> dict[str, Any]:
        """The import's own fields (e.g. {"period": period})."""
        return {}


class ExcelAccessMixin(LoginRequiredMixin):
    """Who may download the template and upload: `allowed(user)`; anyone else signed in 403."""

    def allowed(self, user) -> bool:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            access.require(self.allowed(request.user))
        return super().dispatch(request, *args, **kwargs)


class ExcelTemplateView(ExcelAccessMixin, View):
    """GET: the pre-filled workbook `template()` builds, as an attachment."""

    def template(self, request) -> tuple[bytes, str, str]:
        """(content, file name, ASCII fallback name)."""
        raise NotImplementedError

    def get(self, request):
        content, file_name, fallback = self.template(request)
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition(file_name, fallback=fallback)
        return response


class ExcelUploadView(ExcelAccessMixin, View):
    """GET: the upload form. POST: read and check the file, store the import, and show its
    preview (`preview_url`, a URL name taking the import's pk)."""

    sheet: Sheet
    form_class: type[ExcelUploadForm]
    template_name: str
    preview_url: str

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def get_initial(self) -> dict[str, Any]:
        return {}

    def get(self, request):
        form = self.form_class(initial=self.get_initial(), **self.get_form_kwargs())
        return self.render(form)

    def post(self, request):
        form = self.form_class(request.POST, request.FILES, **self.get_form_kwargs())
        if not form.is_valid():
            return self.render(form)
        batch = imports.excel_import_create(
            sheet=self.sheet, actor=request.user, upload=form.upload, scope=form.scope()
        )
        earlier = imports.excel_import_earlier(batch)
        if earlier:
            when = formats.date_format(timezone.localtime(earlier.committed_at), "DATETIME_FORMAT")
            messages.info(
                request, _("This same file was already committed on %(when)s.") % {"when": when}
            )
        return redirect(self.preview_url, pk=batch.pk)

    def render(self, form):
        return render(self.request, self.template_name, {"form": form, "sheet": self.sheet})


class ExcelPreviewView(LoginRequiredMixin, View):
    """GET: what the upload would change, and every problem; once committed, what was done.
    POST: commit it: `action=save` saves the changed rows; `action=submit` (a sheet that can
    submit) also submits every record of the file still open, all or nothing."""

    sheet: Sheet
    template_name: str

    def get_batch(self):
        queryset = self.sheet.import_model.objects.select_related(*self.sheet.import_related)
        return access.fetch(queryset, self.request.user, self.kwargs["pk"])

    def get(self, request, pk):
        batch = self.get_batch()
        can_commit = not batch.errors and batch.committed_at is None
        submits = imports.can_submit(self.sheet)
        to_submit = self.submittable_count(batch) if submits and can_commit else 0
        help_text = getattr(self.sheet, "submit_help", "") if submits else ""
        return render(
            request,
            self.template_name,
            {
                "batch": batch,
                "sheet": self.sheet,
                "rows": imports.preview_rows(self.sheet, batch),
                "summary": imports.summary(batch),
                "can_commit": can_commit,
                "can_submit": submits,
                "to_submit": to_submit,
                "submit_help": str(help_text) % {"count": to_submit} if help_text else "",
                "outcome": imports.outcome(self.sheet, batch),
            },
        )

    def submittable_count(self, batch) -> int:
        """How many records of the file "save and submit" would submit now."""
        ids = [row["record_id"] for row in batch.rows if row["record_id"]]
        records = self.sheet.changeable(actor=self.request.user).filter(pk__in=ids)
        return sum(1 for record in records if self.sheet.submittable(record))

    def post(self, request, pk):
        batch = self.get_batch()
        submit = request.POST.get("action") == "submit"
        try:
            imports.excel_import_commit(
                sheet=self.sheet, actor=request.user, batch=batch, submit=submit
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(request.path)
        # What was done is on the page itself (imports.outcome), kept with the import.
        return redirect(request.path)
