"""Attachments (permit scans, drawings, change documents, site photos) for any app's records.

Files go through Django's storage API: the `attachments` storage of `settings.STORAGES`, a
folder under MEDIA_ROOT by default, any S3-compatible store when `PORTAL_ATTACHMENTS_S3_BUCKET`
is set (README, "Settings"). No file has a public URL: it is served only by
`files:download` (`/files/<model label>/<pk>/`) to users who may see its record. Decision 0029.

What an app writes (the preliminary app's permit scans, for instance)
---------------------------------------------------------------------

1. The model (`preliminary/models.py`), then `makemigrations preliminary`::

       from portal.files import Attachment

       class PermitAttachment(Attachment):
           \"\"\"A scan of a permit's approval document.\"\"\"

           record_field = "permit"                  # the FK below: access follows its record
           kinds = frozenset({"pdf", "image"})     # what may be uploaded (KINDS below)
           # max_bytes = 10 * 2**20                # optional: smaller than the site's limit
           # record_action = "change"              # the access action that uploads/deletes

           permit = models.ForeignKey(Permit, on_delete=models.CASCADE,
                                      related_name="attachments")

           class Meta(Attachment.Meta):
               verbose_name = _("permit attachment")
               verbose_name_plural = _("permit attachments")

   The record model is scoped (its manager a `ScopedQuerySet`, its `access_policy` set), as
   every record of an app is. The base gives `file`, `name` (the original name, cleaned),
   `size`, `content_type` (sniffed from the content), `sha256`, `uploaded_by`, `uploaded_at`,
   ordering newest first, and `url` (the download link: `reverse("files:download", ...)`;
   never use `file.url`).

2. Register it (`preliminary/apps.py`, `ready()`), so that the download URL may name it::

       from portal import files
       from preliminary.models import PermitAttachment
       files.register(PermitAttachment)

3. The upload view (`preliminary/views.py`) and its URL (`preliminary/urls.py`)::

       from portal.files import AttachmentUploadView

       class PermitAttachmentUploadView(AttachmentUploadView):
           queryset = Permit.objects.all()         # fetched scoped: 404, then 403
           model = PermitAttachment

           def render_page(self, request, record, form):   # optional; default: redirect
               return PermitDetailView().get(request, record.pk)  # the page shows the form

       path("<int:pk>/attachments/", views.PermitAttachmentUploadView.as_view(),
            name="permit-attachment-upload"),

   Deleting needs no view of the app: the partial posts to `files:delete`.

4. The record's page: a panel with the list, download links and (for those who may upload)
   the form. Either in the page's own template::

       # view: context["attachments"] = files.attachments_panel(
       #     request, permit, PermitAttachment,
       #     upload_url=reverse("preliminary:permit-attachment-upload", args=[permit.pk]))
       {% include "portal/partials/attachments.html" with panel=attachments %}

   or as a panel on another app's page (portal.panels; the registry's project page does so)::

       panels.register(panels.Panel(
           model="projects.Project", key="projects.attachments", order=5,
           template="portal/partials/attachments.html",
           context=lambda request, project: {"panel": files.attachments_panel(
               request, project, ProjectAttachment,
               upload_url=reverse("projects:attachment-upload", args=[project.pk]))}))

   `attachments_panel` costs one query (the attachments with their uploaders) when the record
   comes with what its access policy reads (e.g. `select_related("project__owner")` for a
   permit). A form refused by `AttachmentUploadView` is taken from the request, so the page
   re-rendered by `render_page` shows the message at the field.

5. An attachment field in one of the app's own forms (a scan on the permit form)::

       scan = AttachmentFormField(kinds={"pdf", "image"}, required=False, label=_("Scan"))
       # or: AttachmentFormField.for_model(PermitAttachment, required=False)

       # the form is bound as usual: Form(request.POST, request.FILES)
       # and the service stores the validated upload, in its own transaction:
       files.attach(actor=actor, record=permit, upload=form.cleaned_data["scan"],
                    model=PermitAttachment)

   The form needs `enctype="multipart/form-data"`. The field shows the types and the limit as
   its help text ("PDF、JPG/PNG/WebP · 不超过 20 MB"), checks the size first, then the content.

6. The API (`preliminary/api.py`): `GET/POST /permits/{id}/attachments/`::

       from portal.files import AttachmentViewSetMixin

       class PermitViewSet(AttachmentViewSetMixin, ..., viewsets.GenericViewSet):
           attachment_model = PermitAttachment

   GET lists the record's attachments (`AttachmentSerializer`: id, name, size, content_type,
   uploaded_by, uploaded_at, url); POST takes `multipart/form-data` with a `file` part and
   answers 201 with the attachment, 400 with the reason at `file` (type, size), 403/404 as
   `access.fetch`. The schema documents both.

Rules the base keeps
--------------------

- Size: every upload is limited by `settings.PORTAL["UPLOAD_MAX_BYTES"]` (environment
  `PORTAL_UPLOAD_MAX_BYTES`, 20 MiB by default); a model or field may set a smaller
  `max_bytes`, never a larger one. `UploadLimitHandler` (first in `FILE_UPLOAD_HANDLERS`)
  refuses a request body above `PORTAL["UPLOAD_MAX_REQUEST_BYTES"]` without reading its file
  (the fields before it are parsed, so the form keeps them; put the file input last) and stops
  storing a file as soon as it passes the limit. Either way the file stands in `request.FILES`
  as a `RefusedUpload` whose size is over the limit: the field says so, and anything that tries
  to read it gets a 400 (`RequestDataTooBig`), never an empty file. One attachment per request.
- Type: by content, never by name: the first bytes (puremagic), and for a zip its
  `[Content_Types].xml` (Word/Excel) or `OFD.xml` (OFD). A file whose name's extension does
  not match its content keeps its name with the right extension (scan.jpg that is a PNG is
  stored as scan.png). An executable, HTML or SVG under any name is refused ("文件内容不是允许的
  类型").
- Path: `<app>/<model>/<yyyy>/<mm>/<uuid4><ext>`; the user's file name is only a label.
- Delete: deleting a row (the service, the admin, a cascade from its record) deletes its file
  once the transaction commits. A file stored by `attach` whose row is not written is deleted
  at once; a caller's outer transaction that rolls back afterwards may leave an unreferenced
  file (no row points at it, so nobody can download it).
- Serving: `files:download` checks `access.fetch(<record model>, user, record pk, "view")`
  (404 for missing and unseen alike), answers `Content-Disposition: attachment`, `nosniff`,
  `Content-Security-Policy: sandbox` and `Cache-Control: private`. Images and PDFs may be shown
  inline with `?inline=1` (thumbnails), still sandboxed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import struct
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import puremagic
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action as drf_action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from portal import access
from portal.access import Action

# --- storage -------------------------------------------------------------------------------------


class _AttachmentStorage(LazyObject):
    """`storages["attachments"]`, looked up when first used and again after a test changes
    STORAGES (a FileField keeps the storage object it was given at import)."""

    def _setup(self):
        self._wrapped = storages["attachments"]


ATTACHMENTS = _AttachmentStorage()


def attachments_storage():
    """The storage of every attachment's `file` (a callable, so migrations name it)."""
    return ATTACHMENTS


def _reset_storage(*, setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_ROOT"):
        ATTACHMENTS._wrapped = empty


setting_changed.connect(_reset_storage)


class PrivateStorage(FileSystemStorage):
    """FileSystemStorage without `url()`: the folder is never served by the web server, and a
    template that asks `file.url` fails loudly instead of printing a dead or public link."""

    def url(self, name):
        raise NotImplementedError(
            "Attachments have no public URL: link to attachment.url (files:download)."
        )


def attachment_upload_to(instance: models.Model, filename: str) -> str:
    """`<app_label>/<model>/<yyyy>/<mm>/<uuid4><ext>`: the user's name is only a label."""
    now = timezone.localtime()
    ext = PurePath(filename).suffix.lower()[:10]
    meta = instance._meta
    return f"{meta.app_label}/{meta.model_name}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{ext}"


# --- limits --------------------------------------------------------------------------------------


def upload_max_bytes() -> int:
    """The most bytes any one uploaded file may have (settings.PORTAL["UPLOAD_MAX_BYTES"])."""
    return settings.PORTAL["UPLOAD_MAX_BYTES"]


def upload_max_request_bytes() -> int:
    """The largest request body with a file part that is read at all."""
    return settings.PORTAL.get("UPLOAD_MAX_REQUEST_BYTES") or upload_max_bytes() + 2**20


def format_size(size: int) -> str:
    """20971520 -> "20 MB", 1536 -> "1.5 KB" (binary units, as file managers show them)."""
    for unit, factor in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= factor:
            value = size / factor
            text = f"{value:.0f}" if value == int(value) or value >= 10 else f"{value:.1f}"
            return f"{text} {unit}"
    return f"{size} B"


class RefusedUpload(UploadedFile):
    """Stands in `request.FILES` for a file that `UploadLimitHandler` did not store: its `size`
    is over the limit (the bytes seen, or the request's length when the file was not read), so
    the field refuses it with its message. Reading it raises RequestDataTooBig (a 400), so a
    form without a size check can never store it as an empty file."""

    refused = True

    def __init__(self, *, name: str, size: int, content_type: str = "") -> None:
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)

    def _refuse(self, *args, **kwargs):
        raise RequestDataTooBig(
            f"The upload {self.name!r} is over the limit ({upload_max_bytes()} bytes)."
        )

    read = chunks = open = readline = readlines = __iter__ = _refuse

    def multiple_chunks(self, chunk_size=None):
        return True


class _StopAtFirstFile(FileUploadHandler):
    """Parses a too-large body's fields up to its first file, then stops reading."""

    def __init__(self, request=None):
        super().__init__(request)
        self.first: tuple[str, str, str] | None = None

    def new_file(self, field_name, file_name, content_type, *args, **kwargs):
        self.first = (field_name, file_name, content_type)
        raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data, start):  # pragma: no cover - stopped before
        return None

    def file_complete(self, file_size):  # pragma: no cover - stopped before
        return None


class UploadLimitHandler(FileUploadHandler):
    """First of `FILE_UPLOAD_HANDLERS`: no upload pins a worker or fills memory or disk.

    - A body longer than `upload_max_request_bytes()`: its fields are parsed up to the first
      file part (bounded by DATA_UPLOAD_MAX_MEMORY_SIZE), and the rest is not read at all; the
      file becomes a `RefusedUpload` of the body's length.
    - A file that passes `upload_max_bytes()` while it is read: the handlers after this one
      get no more of it, what they stored is closed (a temporary file is deleted), and the
      file becomes a `RefusedUpload` of the bytes seen.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.refused_request = False
        if content_length <= upload_max_request_bytes():
            return None
        from django.http.multipartparser import MultiPartParser
        from django.utils.datastructures import MultiValueDict

        self.refused_request = True
        stopper = _StopAtFirstFile(self.request)
        post, _files = MultiPartParser(META, input_data, [stopper], encoding).parse()
        files = MultiValueDict()
        if stopper.first:
            field_name, file_name, content_type = stopper.first
            files.appendlist(
                field_name,
                RefusedUpload(name=file_name, size=content_length, content_type=content_type),
            )
        return post, files

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.seen = 0
        self.over = False

    def receive_data_chunk(self, raw_data, start):
        self.seen = start + len(raw_data)
        if self.seen > upload_max_bytes():
            self.over = True
        return None if self.over else raw_data

    def file_complete(self, file_size):
        if not self.over:
            return None  # the next handler's file
        for handler in getattr(self.request, "upload_handlers", []):
            if handler is not self and getattr(handler, "file", None) is not None:
                handler.file.close()  # a TemporaryUploadedFile is deleted on close
        return RefusedUpload(name=self.file_name, size=self.seen, content_type=self.content_type)


# --- what a file is, by its content ---------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    key: str
    kind: str  # the group a field allows ("pdf", "image", "office", "cad", "ofd")
    mime: str
    ext: str  # the extension a stored name gets
    aliases: frozenset[str] = frozenset()  # other extensions that name it rightly


_TYPES = [
    FileType("pdf", "pdf", "application/pdf", ".pdf"),
    FileType("jpeg", "image", "image/jpeg", ".jpg", frozenset({".jpeg", ".jpe", ".jfif"})),
    FileType("png", "image", "image/png", ".png"),
    FileType("webp", "image", "image/webp", ".webp"),
    FileType(
        "docx",
        "office",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    FileType(
        "xlsx",
        "office",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsx",
    ),
    FileType("dwg", "cad", "image/vnd.dwg", ".dwg"),
    FileType("ofd", "ofd", "application/ofd", ".ofd"),
]
TYPES = {t.key: t for t in _TYPES}

# What each allowed kind is called next to the field.
KINDS: dict[str, Any] = {
    "pdf": "PDF",
    "image": "JPG/PNG/WebP",
    "office": "Word/Excel (.docx/.xlsx)",
    "cad": "DWG",
    "ofd": "OFD",
}
KIND_ORDER = list(KINDS)
# The types a browser may show inline (`?inline=1`), under the sandbox.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/webp"})

# puremagic's answers that are one of ours (DWG it calls image/x-dwg).
_MAGIC = {
    "application/pdf": "pdf",
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "image/x-dwg": "dwg",
    "image/vnd.dwg": "dwg",
}
_OOXML_MAIN = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
HEAD_BYTES = 8192
ZIP_MAX_ENTRIES = 10_000  # an office file has dozens; more is refused before zipfile reads them
ZIP_MAX_PART = 512 * 1024  # [Content_Types].xml is a few KB


def _seek0(upload) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        upload.seek(0)


def _zip_type(upload) -> FileType | None:
    """docx, xlsx or OFD by what the zip says it holds; None for any other zip (or a bad one).
    The entry count is read from the end record first, so a zip of a million empty entries
    is refused before zipfile builds its directory."""
    try:
        size = upload.size
        upload.seek(max(0, size - 65_557))
        tail = upload.read(65_557)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return None
        entries = struct.unpack("<H", tail[at + 10 : at + 12])[0]
        if entries == 0xFFFF or entries > ZIP_MAX_ENTRIES:  # zip64 or too many: not ours
            return None
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "OFD.xml" in names:
                return TYPES["ofd"]
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > ZIP_MAX_PART:
                return None
            with archive.open(info) as part:
                content_types = part.read(ZIP_MAX_PART + 1)
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, RuntimeError, EOFError):
        return None
    finally:
        _seek0(upload)
    for main, key in _OOXML_MAIN.items():
        if re.search(rb'ContentType\s*=\s*["\']' + re.escape(main) + rb'["\']', content_types):
            return TYPES[key]
    return None


def sniff(upload) -> FileType | None:
    """What `upload` is by its content (never its name), or None for anything else."""
    _seek0(upload)
    head = upload.read(HEAD_BYTES)
    _seek0(upload)
    if not head:
        return None
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(upload)
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    best = max(m.confidence for m in matches)
    for match in matches:
        if match.confidence == best and match.mime_type in _MAGIC:
            return TYPES[_MAGIC[match.mime_type]]
    return None


def clean_name(name: str, file_type: FileType | None = None, max_length: int = 200) -> str:
    """A display name from the user's file name: no folders, control or reserved characters,
    at most `max_length` characters, and the extension of what the file really is (a wrong
    extension is replaced, a missing one added: "scan.jpg" holding a PNG becomes "scan.png")."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*').strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and ext.isalnum() and len(ext) <= 6):  # no extension: all is stem
        stem, ext = name, ""
    ext = f".{ext.lower()}" if ext else ""
    if file_type is not None and ext != file_type.ext and ext not in file_type.aliases:
        ext = file_type.ext
    stem = (stem or "file")[: max(1, max_length - len(ext))]
    return f"{stem}{ext}"


def kinds_label(kinds: Iterable[str]) -> str:
    return "、".join(str(KINDS[k]) for k in KIND_ORDER if k in set(kinds))


def help_text(kinds: Iterable[str], max_bytes: int | None = None) -> str:
    """ "PDF、JPG/PNG/WebP · at most 20 MB": what the field says next to it."""
    limit = min(max_bytes or upload_max_bytes(), upload_max_bytes())
    return gettext("%(kinds)s · at most %(size)s") % {
        "kinds": kinds_label(kinds),
        "size": format_size(limit),
    }


def _check_kinds(kinds: Iterable[str]) -> frozenset[str]:
    kinds = frozenset(kinds)
    unknown = kinds - set(KINDS)
    if not kinds or unknown:
        raise ValueError(f"Unknown attachment kinds {sorted(unknown)}; choose from {KIND_ORDER}.")
    return kinds


def validate_upload(upload, *, kinds: Iterable[str], max_bytes: int | None = None) -> FileType:
    """The upload's type, or a ValidationError with the field's message. The size is checked
    first, from what the parser counted, before a byte is read; then the content."""
    kinds = _check_kinds(kinds)
    limit = min(max_bytes or upload_max_bytes(), upload_max_bytes())
    if getattr(upload, "refused", False) or upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(limit)s; make it smaller or split it."),
            code="too_large",
            params={"limit": format_size(limit)},
        )
    if not upload.size:
        raise ValidationError(_("The submitted file is empty."), code="empty")
    file_type = sniff(upload)
    if file_type is None or file_type.kind not in kinds:
        raise ValidationError(
            _("The file's content is not an allowed type (allowed: %(kinds)s)."),
            code="type",
            params={"kinds": kinds_label(kinds)},
        )
    upload.portal_file_type = file_type  # attach() does not sniff again
    return file_type


# --- the model -----------------------------------------------------------------------------------


class Attachment(models.Model):
    """A file attached to one record of an app; the record decides who sees and changes it.

    Subclasses add the ForeignKey to their record and name it in `record_field`; `kinds`,
    `max_bytes` and `record_action` say what may be uploaded, how large, and which access
    action of the record uploads and deletes (see the module docstring)."""

    record_field: str = ""
    kinds: frozenset[str] = frozenset({"pdf", "image"})
    max_bytes: int | None = None
    record_action: str = Action.CHANGE

    file = models.FileField(
        _("file"), storage=attachments_storage, upload_to=attachment_upload_to, max_length=255
    )
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def record_model(cls) -> type[models.Model]:
        return cls._meta.get_field(cls.record_field).related_model

    @property
    def record_id(self) -> Any:
        return getattr(self, f"{self.record_field}_id")

    @property
    def url(self) -> str:
        """The download link (`files:download`), never the storage's own URL."""
        return reverse("files:download", args=[self._meta.label_lower, self.pk])

    @property
    def inline_url(self) -> str:
        return f"{self.url}?inline=1"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/") and self.content_type in INLINE_TYPES

    @property
    def size_display(self) -> str:
        return format_size(self.size)


_registry: dict[str, type[Attachment]] = {}


def register(model: type[Attachment]) -> type[Attachment]:
    """Let `files:download` serve `model`'s rows, and delete a row's file when the row goes.
    Call it in the app's `ready()` (or use it as a class decorator)."""
    if not (isinstance(model, type) and issubclass(model, Attachment)) or model._meta.abstract:
        raise TypeError(f"{model!r} is not a concrete Attachment model")
    if not model.record_field:
        raise TypeError(f"{model.__name__} must name its record's ForeignKey in record_field")
    _registry[model._meta.label_lower] = model
    post_delete.connect(_delete_file, sender=model, dispatch_uid=f"files:{model._meta.label}")
    return model


def registered(label: str) -> type[Attachment]:
    """The registered attachment model of a URL's label, or 404 (a URL names no other model)."""
    try:
        return _registry[str(label).lower()]
    except KeyError as exc:
        raise Http404 from exc


def _delete_file(sender, instance: Attachment, **kwargs) -> None:
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: ATTACHMENTS.delete(name))


# --- the service ----------------------------------------------------------------------------------


def attach(
    *,
    actor,
    record: models.Model,
    upload,
    model: type[Attachment],
    action: str | None = None,
) -> Attachment:
    """Store `upload` as an attachment of `record`, in one transaction, and return it.

    Checks that `actor` may take `action` (default: the model's `record_action`, "change") on
    `record` (PermissionDenied), and the upload's size and type (ValidationError at "file"),
    unless a form's AttachmentFormField already did. If the row cannot be written, the stored
    file is deleted before the error goes on."""
    action = action or model.record_action
    if not access.allows(actor, action, record):
        raise PermissionDenied(gettext("Your role may not do this."))
    file_type = getattr(upload, "portal_file_type", None)
    if file_type is None:
        try:
            file_type = validate_upload(upload, kinds=model.kinds, max_bytes=model.max_bytes)
        except ValidationError as exc:
            raise ValidationError({"file": exc.error_list}) from exc
    digest = hashlib.sha256()
    _seek0(upload)
    for chunk in upload.chunks():
        digest.update(chunk)
    _seek0(upload)
    name = clean_name(upload.name, file_type)
    obj = model(
        **{model.record_field: record},
        name=name,
        size=upload.size,
        content_type=file_type.mime,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    stored = ""
    try:
        with transaction.atomic():
            obj.file.save(name, upload, save=False)
            stored = obj.file.name
            obj.full_clean(exclude=["file"])
            obj.save()
    except BaseException:
        if stored:
            ATTACHMENTS.delete(stored)
        raise
    return obj


def attachment_delete(*, actor, attachment: Attachment) -> None:
    """Delete `attachment` (its file goes after commit). The uploader may delete their own
    while they still see the record; anyone who may upload to the record may delete any."""
    record = getattr(attachment, attachment.record_field)
    if records_locked(record) and not access.is_admin(actor):
        raise PermissionDenied(gettext("The files of a decided record are its evidence: they "
                                       "are kept."))  # fmt: skip
    own = attachment.uploaded_by_id == getattr(actor, "pk", None) and access.allows(
        actor, Action.VIEW, record
    )
    if not (own or access.allows(actor, attachment.record_action, record)):
        raise PermissionDenied(gettext("Your role may not do this."))
    attachment.delete()


def records_locked(record: models.Model) -> bool:
    """Whether the record's files are kept: a record may say so with an `attachments_locked`
    attribute (an approved permit, a decided design change). Only administrators delete them
    then; uploading more stays allowed."""
    return bool(getattr(record, "attachments_locked", False))


def attachments_of(record: models.Model, model: type[Attachment]) -> models.QuerySet:
    """The record's attachments with their uploaders (one query)."""
    return model.objects.filter(**{model.record_field: record}).select_related("uploaded_by")


def may_delete(user, attachment: Attachment, *, may_change: bool, locked: bool = False) -> bool:
    if locked:
        return access.is_admin(user)
    return may_change or attachment.uploaded_by_id == user.pk


# --- forms ----------------------------------------------------------------------------------------


class AttachmentFormField(forms.FileField):
    """A file field that checks the size first (before reading), then the type by content.

    kinds: what may be uploaded ("pdf", "image", "office", "cad", "ofd").
    max_bytes: a smaller limit than the site's, if the field wants one.
    The help text says both ("PDF、JPG/PNG/WebP · 不超过 20 MB") unless you give your own; the
    widget carries `accept` and `data-max-bytes` so the browser can warn before sending."""

    def __init__(self, *, kinds: Iterable[str] = ("pdf", "image"), max_bytes=None, **kwargs):
        self.kinds = _check_kinds(kinds)
        self.max_bytes = max_bytes
        kwargs.setdefault("help_text", lazy(help_text, str)(self.kinds, max_bytes))
        kwargs.setdefault("label", _("File"))
        super().__init__(**kwargs)

    @classmethod
    def for_model(cls, model: type[Attachment], **kwargs) -> AttachmentFormField:
        return cls(kinds=model.kinds, max_bytes=model.max_bytes, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        types = [t for t in _TYPES if t.kind in self.kinds]
        accept = sorted({t.ext for t in types} | {a for t in types for a in t.aliases})
        attrs["accept"] = ",".join(accept + sorted({t.mime for t in types}))
        attrs["data-max-bytes"] = str(min(self.max_bytes or upload_max_bytes(), upload_max_bytes()))
        return attrs

    def to_python(self, data):
        if data in self.empty_values:
            return None
        if getattr(data, "refused", False):
            # Over the limit: say so rather than the parent's "empty file" or name checks.
            validate_upload(data, kinds=self.kinds, max_bytes=self.max_bytes)
        return super().to_python(data)

    def validate(self, value):
        super().validate(value)
        if value and isinstance(value, UploadedFile):
            validate_upload(value, kinds=self.kinds, max_bytes=self.max_bytes)


class AttachmentForm(forms.Form):
    """The upload form of the attachments partial: one file."""

    def __init__(self, *args, model: type[Attachment], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"] = AttachmentFormField.for_model(model)
        widget = self.fields["file"].widget
        widget.attrs["class"] = "form-control"
        if self.is_bound and "file" in self.errors:
            widget.attrs["class"] += " is-invalid"

    def full_clean(self):
        super().full_clean()
        if "file" in self.errors:
            widget = self.fields["file"].widget
            widget.attrs["class"] = "form-control is-invalid"
            widget.attrs["aria-invalid"] = "true"
            widget.attrs["aria-describedby"] = "id_file_error"


FORMS_ATTRIBUTE = "_portal_attachment_forms"


def attachments_panel(
    request, record: models.Model, model: type[Attachment], *, upload_url: str = "",
    form: AttachmentForm | None = None, title: Any = None,
) -> dict:  # fmt: skip
    """The context of `portal/partials/attachments.html` (pass it as `panel`): the record's
    attachments (one query), whether this user may upload (and the form), and what each row
    lets them do. A form refused by `AttachmentUploadView` is taken from the request."""
    user = request.user
    may_change = access.allows(user, model.record_action, record)
    form = form or getattr(request, FORMS_ATTRIBUTE, {}).get(model._meta.label_lower)
    if form is None and may_change and upload_url:
        form = AttachmentForm(model=model)
    locked = records_locked(record)
    rows = [
        {"attachment": a, "may_delete": may_delete(user, a, may_change=may_change, locked=locked)}
        for a in attachments_of(record, model)
    ]
    return {
        "record": record,
        "title": title or model._meta.verbose_name_plural,
        "rows": rows,
        "may_upload": may_change and bool(upload_url),
        "upload_url": upload_url,
        "form": form,
        "label": model._meta.label_lower,
        "kinds": kinds_label(model.kinds),
        "limit": format_size(min(model.max_bytes or upload_max_bytes(), upload_max_bytes())),
        "help": help_text(model.kinds, model.max_bytes),
    }


# --- views ----------------------------------------------------------------------------------------


class AttachmentUploadView(LoginRequiredMixin, View):
    """POST one file to a record (the form of the attachments partial).

    Subclasses set `queryset` (the records) and `model` (the attachment model). The record is
    fetched in scope with the model's `record_action` (404 unseen, 403 not allowed); the file is
    checked by `AttachmentFormField` and stored by `attach`; then back to the record's page.
    A refused file: `render_page(request, record, form)` shows the page again with the message
    at the field (the form is also left on the request, where `attachments_panel` finds it);
    by default the message is flashed and the browser goes back to the record's page."""

    queryset: models.QuerySet | None = None
    model: type[Attachment] | None = None

    def get_queryset(self) -> models.QuerySet:
        return self.queryset.all()

    def get_success_url(self, record) -> str:
        return f"{record.get_absolute_url()}#attachments"

    def render_page(self, request, record, form: AttachmentForm):
        for error in form.errors.get("file", []) or form.non_field_errors():
            messages.error(request, error)
        return redirect(self.get_success_url(record))

    def post(self, request, pk):
        model = self.model
        record = access.fetch(self.get_queryset(), request.user, pk, model.record_action)
        form = AttachmentForm(request.POST, request.FILES, model=model)
        if form.is_valid():
            try:
                attachment = attach(
                    actor=request.user, record=record, upload=form.cleaned_data["file"],
                    model=model,
                )  # fmt: skip
            except ValidationError as exc:
                from portal.views import add_service_errors

                add_service_errors(form, exc)
            else:
                messages.success(
                    request, gettext("Uploaded “%(name)s”.") % {"name": attachment.name}
                )
                return redirect(self.get_success_url(record))
        forms_on_request = getattr(request, FORMS_ATTRIBUTE, {})
        forms_on_request[model._meta.label_lower] = form
        setattr(request, FORMS_ATTRIBUTE, forms_on_request)
        return self.render_page(request, record, form)


# --- the API --------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.Serializer):
    """One attachment as the API lists it; `url` is the download link (session or token)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="Bytes.")
    content_type = serializers.CharField(read_only=True, help_text="Sniffed from the content.")
    uploaded_by = serializers.SerializerMethodField()
    uploaded_at = serializers.DateTimeField(read_only=True)
    url = serializers.SerializerMethodField()

    def get_uploaded_by(self, obj) -> str:
        return str(obj.uploaded_by) if obj.uploaded_by_id else ""

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(obj.url) if request else obj.url


class AttachmentUploadField(serializers.FileField):
    """The API's file field: the same size and content checks as the web form."""

    def __init__(self, *, model: type[Attachment], **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if getattr(data, "refused", False):
            self._validate(data)
        value = super().to_internal_value(data)
        self._validate(value)
        return value

    def _validate(self, value):
        try:
            validate_upload(value, kinds=self.model.kinds, max_bytes=self.model.max_bytes)
        except ValidationError as exc:
            raise serializers.ValidationError(
                [str(m) for m in exc.messages], code=exc.code
            ) from exc


_upload_serializers: dict[type, type[serializers.Serializer]] = {}


def upload_serializer(model: type[Attachment]) -> type[serializers.Serializer]:
    """`<Model>UploadSerializer`: the multipart body of POST .../attachments/ for `model`."""
    if model not in _upload_serializers:
        field = AttachmentUploadField(
            model=model,
            help_text=f"{kinds_label(model.kinds)}; at most "
            f"{format_size(min(model.max_bytes or upload_max_bytes(), upload_max_bytes()))}. "
            "The type is checked by the content, not the name.",
        )
        _upload_serializers[model] = type(
            f"{model.__name__}UploadSerializer", (serializers.Serializer,), {"file": field}
        )
    return _upload_serializers[model]


class NotMultipart(exceptions.APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = _("Send the file as multipart/form-data, in a part named “file”.")
    default_code = "unsupported_media_type"


class AttachmentViewSetMixin:
    """Adds `GET/POST /{id}/attachments/` to a viewset of records (set `attachment_model`).

    GET: the record's attachments (whoever sees the record). POST (multipart/form-data, one
    `file` part): stores it through `attach` and answers 201 with it; 400 with the reason at
    `file` (type, size), 403 for a record the caller sees but may not change, 404 unseen."""

    attachment_model: type[Attachment] | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("attachment_model")
        if model is not None:
            cls.attachments = _attachments_action(model)


def _attachments_action(model: type[Attachment]):
    body = upload_serializer(model)
    label = model._meta.verbose_name_plural

    def attachments(self, request, *args, **kwargs):
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        queryset = self.get_queryset()
        if request.method == "GET":
            record = access.fetch(queryset, request.user, pk, Action.VIEW)
            rows = attachments_of(record, model)
            return Response(
                AttachmentSerializer(rows, many=True, context={"request": request}).data
            )
        record = access.fetch(queryset, request.user, pk, model.record_action)
        try:
            data = request.data
        except exceptions.UnsupportedMediaType as exc:
            raise NotMultipart from exc
        form = body(data=data)
        form.is_valid(raise_exception=True)
        obj = attach(
            actor=request.user, record=record, upload=form.validated_data["file"], model=model
        )
        return Response(
            AttachmentSerializer(obj, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    attachments.__name__ = "attachments"
    attachments.__doc__ = (
        f"The record's {label}: GET lists them (whoever sees the record); POST uploads one "
        "(multipart/form-data, a `file` part), checked by size first and then by content."
    )
    decorated = drf_action(
        detail=True,
        methods=["get", "post"],
        url_path="attachments",
        url_name="attachments",
        parser_classes=[MultiPartParser],
        filter_backends=[],  # the record's list filters are not this list's
        pagination_class=None,  # a record has a handful of files
    )(attachments)
    decorated = extend_schema(
        methods=["GET"],
        summary=f"List the record's {label}",
        request=None,
        responses={
            200: AttachmentSerializer(many=True),
            404: OpenApiResponse(description="No such record, or not in your scope."),
        },
    )(decorated)
    return extend_schema(
        methods=["POST"],
        summary=f"Upload one of the record's {label} (multipart/form-data)",
        request={"multipart/form-data": body},
        responses={
            201: AttachmentSerializer,
            400: OpenApiResponse(
                description="The file is missing, too large, or its content is not an "
                "allowed type (the reason is at `file`)."
            ),
            403: OpenApiResponse(description="Seen, but not yours to change."),
            404: OpenApiResponse(description="No such record, or not in your scope."),
            415: OpenApiResponse(description="The body is not multipart/form-data."),
        },
    )(decorated)
