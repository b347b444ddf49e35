"""Serving and deleting attachments (portal.files): only through the record's scope.

`GET /files/<label>/<pk>/`: the label must name a model registered with `files.register` (any
other answers 404, so a URL cannot reach an arbitrary model); the attachment's record is then
fetched with `access.fetch(..., "view")`, which answers 404 for a missing record and an unseen one
alike. The file is streamed from the storage (never a redirect to it), as a download, with
`nosniff`, a sandboxing Content-Security-Policy and `Cache-Control: private`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from portal import access, files

# A file opened in the browser (an image, a PDF) runs nothing, loads nothing and cannot reach the
# portal's cookies or pages: a sandboxed, unique origin.
SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def _attachment_for(request, label: str, pk: int, action: str = access.Action.VIEW):
    model = files.registered(label)
    attachment = model.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    record_model = model.record_model()
    record = access.fetch(record_model.objects.all(), request.user, attachment.record_id, action)
    setattr(attachment, model.record_field, record)
    return attachment


class AttachmentDownloadView(LoginRequiredMixin, View):
    """Stream one attachment to a user who may see its record (404 for anyone else)."""

    def get(self, request, label: str, pk: int):
        attachment = _attachment_for(request, label, pk)
        inline = request.GET.get("inline") == "1" and attachment.content_type in files.INLINE_TYPES
        try:
            handle = files.ATTACHMENTS.open(attachment.file.name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
        response = FileResponse(
            handle,
            as_attachment=not inline,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = SANDBOX
        response["Cache-Control"] = "private, max-age=300"
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


class AttachmentDeleteView(LoginRequiredMixin, View):
    """POST: delete one attachment (its uploader, or whoever may change its record); back to
    `next` (a path on this site) or the record's page."""

    def post(self, request, label: str, pk: int):
        attachment = _attachment_for(request, label, pk)
        files.attachment_delete(actor=request.user, attachment=attachment)
        messages.success(request, _("Deleted “%(name)s”.") % {"name": attachment.name})
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            record = getattr(attachment, attachment.record_field)
            target = f"{record.get_absolute_url()}#attachments"
        return redirect(target)
