"""Attachments (portal.files), end to end on the registry's project documents.

Files land in a temporary folder (tests/conftest.py `_media_in_tmp`)."""

from __future__ import annotations

import io
import runpy
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import RequestFactory
from django.urls import reverse
from django.utils.translation import gettext

from portal import files
from projects.models import ProjectAttachment
from tests.personas import ALL, CHANGERS_OF_INFRA, SEES_INFRA

# --- files made here, each what its name says (or pretending) ---------------------------------


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def zip_bytes(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "概算"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = png_bytes()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
DOCX = zip_bytes({
    "[Content_Types].xml": f'<?xml version="1.0"?><Types><Override PartName='
    f'"/word/document.xml" ContentType="{WORD_MAIN}"/></Types>',
    "word/document.xml": "<w:document/>",
})  # fmt: skip
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 120
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
PLAIN_ZIP = zip_bytes({"readme.txt": "not an office file"})


# The messages as the user reads them (Chinese once the catalog has them).
TOO_LARGE = gettext("The file is larger than %(limit)s; make it smaller or split it.") % {
    "limit": "4 KB"
}


def not_allowed(kinds: str) -> str:
    return gettext("The file's content is not an allowed type (allowed: %(kinds)s).") % {
        "kinds": kinds
    }


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored(media: Path) -> list[Path]:
    return [p for p in (media / "attachments").rglob("*") if p.is_file()]


@pytest.fixture
def limit(settings):
    """A small limit so the tests send small bodies: 4 KB a file."""
    settings.PORTAL = {
        **settings.PORTAL,
        "UPLOAD_MAX_BYTES": 4096,
        "UPLOAD_MAX_REQUEST_BYTES": None,
    }
    return 4096


def pdf_of(size: int) -> bytes:
    return PDF + b"%" * (size - len(PDF))


def add(project, actor, name="可研批复.pdf", data=PDF) -> ProjectAttachment:
    return files.attach(
        actor=actor, record=project, upload=upload(name, data), model=ProjectAttachment
    )


# --- the limit -----------------------------------------------------------------------------------


def test_it_accepts_a_file_at_the_limit_and_refuses_one_byte_more(
    client_for, infra_project, limit, _media_in_tmp
):
    client = client_for("officer")
    url = reverse("projects:attachment-upload", args=[infra_project.pk])

    response = client.post(url, {"file": upload("可研报告.pdf", pdf_of(limit))})
    assert response.status_code == 302
    assert response["Location"] == f"{infra_project.get_absolute_url()}#attachments"
    (attachment,) = ProjectAttachment.objects.all()
    assert (attachment.name, attachment.size, attachment.content_type) == (
        "可研报告.pdf",
        limit,
        "application/pdf",
    )
    assert len(stored(_media_in_tmp)) == 1

    response = client.post(url, {"file": upload("可研报告-全本.pdf", pdf_of(limit + 1))})
    assert response.status_code == 200  # the project's page again, the message at the field
    html = response.content.decode()
    assert 'data-field-error="file"' in html
    assert response.context["panel"]["form"].errors["file"] == [TOO_LARGE]
    assert TOO_LARGE in html
    assert ProjectAttachment.objects.count() == 1
    assert len(stored(_media_in_tmp)) == 1  # nothing half-saved


class PermitLikeForm(forms.Form):
    """An app's form with a scan among its fields (the permit form, say)."""

    number = forms.CharField()
    scan = files.AttachmentFormField(kinds={"pdf", "image"})


def parsed(body: dict) -> tuple:
    request = RequestFactory().post("/", body)
    return request, PermitLikeForm(request.POST, request.FILES)


def test_a_file_over_the_limit_is_refused_at_its_field_and_the_rest_is_kept(limit):
    scan = upload("s.pdf", pdf_of(5000))
    request, form = parsed({"number": "沪规地字 2026 第 18 号", "scan": scan})
    assert not form.is_valid()
    assert list(form.errors) == ["scan"]
    assert form.errors["scan"] == [TOO_LARGE]
    assert form["number"].value() == "沪规地字 2026 第 18 号"
    refused = request.FILES["scan"]
    assert refused.refused and refused.size > limit
    with pytest.raises(Exception, match="over the limit"):
        refused.read()  # a form without the check cannot store it as an empty file


class CountingBody:
    """A multipart body of `total` bytes made as it is read, counting what was read."""

    def __init__(self, boundary: str, total: int, field: str = "scan"):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="number"\r\n\r\n'
            "甬发改审批〔2026〕12号\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{field}"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        self.head, self.total, self.read_bytes = head + PDF, total, 0

    def read(self, size=-1):
        if size is None or size < 0:
            size = self.total - self.read_bytes
        size = min(size, self.total - self.read_bytes)
        start, self.read_bytes = self.read_bytes, self.read_bytes + size
        head = self.head[start : start + size]
        return head + b"%" * (size - len(head))

    def readline(self, size=-1):  # pragma: no cover - the parser reads in chunks
        return self.read(size)


def test_an_oversized_body_is_refused_without_being_read(limit):
    boundary = "BoUnDaRy"
    body = CountingBody(boundary, 50 * 2**20)
    request = RequestFactory().generic(
        "POST",
        "/",
        data=b"x",
        content_type=f"multipart/form-data; boundary={boundary}",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(body.total)},
    )
    form = PermitLikeForm(request.POST, request.FILES)
    assert body.read_bytes <= 256 * 1024  # the handler stopped at the file's first chunk
    assert not form.is_valid()
    assert form.errors["scan"] == [TOO_LARGE]
    assert form["number"].value() == "甬发改审批〔2026〕12号"  # the field before the file


def test_an_oversized_body_on_the_project_page_shows_the_field_error(
    client_for, infra_project, limit, _media_in_tmp
):
    boundary = "BoUnDaRy"
    body = CountingBody(boundary, 30 * 2**20, field="file")
    response = client_for("officer").generic(
        "POST",
        reverse("projects:attachment-upload", args=[infra_project.pk]),
        data=b"x",
        content_type=f"multipart/form-data; boundary={boundary}",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(body.total)},
    )
    assert response.status_code == 200  # the project's page, the message at the field
    assert response.context["panel"]["form"].errors["file"] == [TOO_LARGE]
    assert body.read_bytes <= 256 * 1024
    assert not ProjectAttachment.objects.exists() and not stored(_media_in_tmp)


def test_the_field_says_its_types_and_limit_next_to_it(client_for, infra_project):
    html = client_for("officer").get(infra_project.get_absolute_url()).content.decode()
    assert "PDF、JPG/PNG/WebP、Word/Excel (.docx/.xlsx)、OFD · " in html
    assert "20 MB" in html
    assert 'data-max-bytes="20971520"' in html
    assert 'enctype="multipart/form-data"' in html


# --- the type, by content -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("批复.pdf", EXE),
        ("批复.pdf", HTML),
        ("现场.png", SVG),
        ("现场.png", EXE),
        ("图纸.docx", PLAIN_ZIP),
        ("空.pdf", b"%PDF"[:0] + b"\x00" * 32),
    ],
)
def test_a_disguised_file_is_refused(name, data):
    field = files.AttachmentFormField(kinds={"pdf", "image", "office"})
    with pytest.raises(ValidationError) as refused:
        field.clean(upload(name, data))
    assert refused.value.code == "type"
    assert refused.value.messages == [not_allowed("PDF、JPG/PNG/WebP、Word/Excel (.docx/.xlsx)")]


@pytest.mark.parametrize(
    ("name", "data", "mime", "stored_as"),
    [
        ("批复.pdf", PDF, "application/pdf", "批复.pdf"),
        ("现场.png", PNG, "image/png", "现场.png"),
        ("现场.JPEG", JPEG, "image/jpeg", "现场.jpeg"),
        ("变更单.docx", DOCX, files.TYPES["docx"].mime, "变更单.docx"),
        ("概算.xlsx", xlsx_bytes(), files.TYPES["xlsx"].mime, "概算.xlsx"),
        ("平面图.dwg", b"AC1032\x00\x00\x00\x00\x00\x00" + b"\x00" * 64, "image/vnd.dwg", None),
        ("照片.jpg", PNG, "image/png", "照片.png"),  # the name follows the content
        ("扫描件", PDF, "application/pdf", "扫描件.pdf"),
    ],
)
def test_a_real_file_is_accepted_by_its_content(name, data, mime, stored_as):
    field = files.AttachmentFormField(kinds={"pdf", "image", "office", "cad"})
    value = field.clean(upload(name, data, content_type="application/octet-stream"))
    assert value.portal_file_type.mime == mime
    if stored_as:
        assert files.clean_name(value.name, value.portal_file_type) == stored_as


def test_a_kind_the_field_does_not_allow_is_refused():
    field = files.AttachmentFormField(kinds={"pdf"})
    with pytest.raises(ValidationError) as refused:
        field.clean(upload("照片.png", PNG))
    assert refused.value.messages == [not_allowed("PDF")]


def test_names_are_cleaned_and_bounded():
    pdf = files.TYPES["pdf"]
    assert files.clean_name("..\\..\\C:/秘密/报告.exe", pdf) == "报告.pdf"
    assert files.clean_name('a<b>:"c|?*.pdf', pdf) == "abc.pdf"
    long = files.clean_name("长" * 500 + ".pdf", pdf)
    assert len(long) == 200 and long.endswith(".pdf")


def test_a_storage_path_never_carries_the_users_name(officer_attachment):
    path = officer_attachment.file.name
    assert path.startswith("projects/projectattachment/")
    assert "可研" not in path and path.endswith(".pdf")


# --- the service ----------------------------------------------------------------------------------


@pytest.fixture
def officer_attachment(infra_project, personas):
    return add(infra_project, personas["officer"])


def test_attach_refuses_whoever_may_not_change_the_record(infra_project, personas, _media_in_tmp):
    with pytest.raises(PermissionDenied):
        add(infra_project, personas["reporter"])
    assert not stored(_media_in_tmp)


def test_attach_checks_the_upload_itself(infra_project, personas):
    with pytest.raises(ValidationError) as refused:
        add(infra_project, personas["officer"], "x.pdf", EXE)
    assert list(refused.value.error_dict) == ["file"]


def test_a_failed_row_write_removes_the_stored_file(
    infra_project, personas, monkeypatch, _media_in_tmp
):
    def fail(self, *args, **kwargs):
        raise IntegrityError("the database refused the row")

    monkeypatch.setattr(ProjectAttachment, "save", fail)
    with pytest.raises(IntegrityError):
        add(infra_project, personas["officer"])
    assert not stored(_media_in_tmp)


def test_deleting_a_row_deletes_its_file_after_commit(
    officer_attachment, django_capture_on_commit_callbacks, _media_in_tmp
):
    assert len(stored(_media_in_tmp)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        officer_attachment.delete()
    assert not stored(_media_in_tmp)


def test_deleting_the_project_deletes_its_files(
    infra_project, officer_attachment, django_capture_on_commit_callbacks, _media_in_tmp
):
    with django_capture_on_commit_callbacks(execute=True):
        infra_project.delete()
    assert not stored(_media_in_tmp)


# --- download, by scope --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALL)
def test_a_file_is_served_only_to_those_who_see_its_record(persona, client_for, officer_attachment):
    response = client_for(persona).get(officer_attachment.url)
    if persona not in SEES_INFRA:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Cache-Control"].startswith("private")


def test_anonymous_is_sent_to_sign_in(client, officer_attachment):
    response = client.get(officer_attachment.url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_image_may_be_shown_inline_still_sandboxed(client_for, infra_project, personas):
    photo = add(infra_project, personas["officer"], "现场.png", PNG)
    response = client_for("reporter").get(photo.inline_url)
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_a_url_cannot_name_an_unregistered_model(client_for, personas, officer_attachment):
    client = client_for("admin")
    assert client.get(f"/files/portal.user/{personas['admin'].pk}/").status_code == 404
    missing = reverse("files:download", args=["projects.projectattachment", 999999])
    assert client.get(missing).status_code == 404


def test_the_page_links_the_download_view_never_the_storage(
    client_for, officer_attachment, infra_project
):
    html = client_for("reporter").get(infra_project.get_absolute_url()).content.decode()
    assert officer_attachment.url in html
    assert officer_attachment.file.name not in html
    assert "/media/" not in html


def test_the_storage_has_no_public_url(officer_attachment):
    with pytest.raises(NotImplementedError):
        officer_attachment.file.url  # noqa: B018


# --- upload and delete on the page, by persona ------------------------------------------------


@pytest.mark.parametrize("persona", ALL)
def test_who_may_upload_on_the_page(persona, client_for, infra_project):
    url = reverse("projects:attachment-upload", args=[infra_project.pk])
    response = client_for(persona).post(url, {"file": upload("批复.pdf", PDF)})
    expected = 302 if persona in CHANGERS_OF_INFRA else (403 if persona in SEES_INFRA else 404)
    assert response.status_code == expected
    assert ProjectAttachment.objects.count() == (1 if expected == 302 else 0)


@pytest.mark.parametrize("persona", ALL)
def test_who_may_delete(persona, client_for, officer_attachment):
    url = reverse("files:delete", args=["projects.projectattachment", officer_attachment.pk])
    response = client_for(persona).post(url)
    expected = 302 if persona in CHANGERS_OF_INFRA else (403 if persona in SEES_INFRA else 404)
    assert response.status_code == expected
    assert ProjectAttachment.objects.exists() == (expected != 302)


def test_the_uploader_may_delete_their_own_without_changing_the_record(
    client_for, infra_project, personas, settings
):
    mine = ProjectAttachment.objects.create(
        project=infra_project, name="a.pdf", size=1, content_type="application/pdf",
        file="projects/projectattachment/x.pdf", uploaded_by=personas["reporter"],
    )  # fmt: skip
    response = client_for("reporter").post(
        reverse("files:delete", args=["projects.projectattachment", mine.pk]),
        {"next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{infra_project.get_absolute_url()}#attachments"
    assert not ProjectAttachment.objects.exists()


def test_the_page_pays_one_query_for_its_attachments_however_many(
    client_for, infra_project, personas
):
    """One query (the attachments with their uploaders), with one attachment or five; the
    page's other panels come from other apps, so their queries are counted, not named."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("officer")

    def page_queries() -> list[str]:
        client.get(infra_project.get_absolute_url())  # warm the navigation caches
        with CaptureQueriesContext(connection) as context:
            response = client.get(infra_project.get_absolute_url())
        assert response.status_code == 200
        return [q["sql"] for q in context.captured_queries]

    add(infra_project, personas["manager"], "文件0.pdf")
    one = page_queries()
    for index in range(1, 5):
        add(infra_project, personas["officer" if index % 2 else "manager"], f"文件{index}.pdf")
    five = page_queries()
    assert len(five) == len(one)
    assert sum('"projects_projectattachment"' in sql.split("FROM")[1] for sql in five) == 1
    html = client.get(infra_project.get_absolute_url()).content.decode()
    assert html.count('data-testid="attachment"') == 5


# --- the API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALL)
def test_the_api_lists_a_records_attachments_in_scope(persona, api_for, officer_attachment):
    url = reverse("api-project-attachments", args=[officer_attachment.project_id])
    response = api_for(persona).get(url)
    if persona not in SEES_INFRA:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    (row,) = response.json()
    assert row["name"] == "可研批复.pdf" and row["size"] == len(PDF)
    assert row["uploaded_by"] == str(officer_attachment.uploaded_by)
    assert row["url"].endswith(officer_attachment.url)


@pytest.mark.parametrize("persona", ALL)
def test_the_api_upload_per_persona(persona, api_for, infra_project):
    url = reverse("api-project-attachments", args=[infra_project.pk])
    response = api_for(persona).post(url, {"file": upload("批复.pdf", PDF)}, format="multipart")
    expected = 201 if persona in CHANGERS_OF_INFRA else (403 if persona in SEES_INFRA else 404)
    assert response.status_code == expected, response.content
    if expected == 201:
        assert response.json()["content_type"] == "application/pdf"
    assert ProjectAttachment.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(EXE, "type"), (pdf_of(5000), "size"), (None, "missing")],
)
def test_the_api_says_why_a_file_is_refused(api_for, infra_project, limit, data, reason):
    url = reverse("api-project-attachments", args=[infra_project.pk])
    body = {} if data is None else {"file": upload("批复.pdf", data)}
    response = api_for("officer").post(url, body, format="multipart")
    assert response.status_code == 400
    expected = {"type": not_allowed(files.kinds_label(ProjectAttachment.kinds)),
                "size": TOO_LARGE}.get(reason)  # fmt: skip
    assert response.json()["file"][0] == (expected or response.json()["file"][0])
    assert len(response.json()["file"]) == 1
    assert not ProjectAttachment.objects.exists()


def test_the_api_wants_multipart(api_for, infra_project):
    url = reverse("api-project-attachments", args=[infra_project.pk])
    response = api_for("officer").post(url, {"file": "JVBERi0="}, format="json")
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]


# --- settings ------------------------------------------------------------------------------------


def test_an_s3_bucket_in_the_environment_selects_the_s3_backend(monkeypatch, settings):
    monkeypatch.setenv("PORTAL_ATTACHMENTS_S3_BUCKET", "pmc-attachments")
    monkeypatch.setenv("PORTAL_ATTACHMENTS_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("PORTAL_ATTACHMENTS_S3_ADDRESSING", "path")
    loaded = runpy.run_path(str(Path(settings.BASE_DIR) / "portal" / "settings.py"))
    config = loaded["STORAGES"]["attachments"]
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.STORAGES = {**settings.STORAGES, "attachments": config}
    storage = storages["attachments"]  # built from settings, no network
    from storages.backends.s3 import S3Storage

    assert isinstance(storage, S3Storage)
    assert (storage.bucket_name, storage.endpoint_url, storage.default_acl) == (
        "pmc-attachments",
        "http://127.0.0.1:9000",
        "private",
    )
    assert files.ATTACHMENTS.bucket_name == "pmc-attachments"  # the fields follow the setting


def test_without_a_bucket_attachments_stay_in_a_private_folder(monkeypatch, settings):
    monkeypatch.delenv("PORTAL_ATTACHMENTS_S3_BUCKET", raising=False)
    loaded = runpy.run_path(str(Path(settings.BASE_DIR) / "portal" / "settings.py"))
    config = loaded["STORAGES"]["attachments"]
    assert config["BACKEND"] == "portal.files.PrivateStorage"
    assert str(config["OPTIONS"]["location"]).endswith("attachments")
    assert loaded["FILE_UPLOAD_HANDLERS"][0] == "portal.files.UploadLimitHandler"
    assert loaded["PORTAL"]["UPLOAD_MAX_BYTES"] == 20 * 2**20


def test_a_decided_records_files_are_kept_but_by_an_administrator(client_for, orgs, personas):
    """An approved permit's scan is the approval's evidence: its uploader and the record's
    changers no longer delete it (page and service); an administrator still may."""
    from preliminary import catalogue
    from preliminary.models import PermitAttachment, PermitItem, PermitType
    from tests.factories import ProjectFactory

    catalogue.ensure(PermitType)  # a transactional test before this one may have emptied it
    project = ProjectFactory(owner=orgs["infra"], code="JC-2026-031")  # its checklist is made
    item = PermitItem.objects.filter(project=project).first()
    upload = SimpleUploadedFile("批复.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF\n")
    scan = files.attach(actor=personas["reporter"], record=item, upload=upload,
                        model=PermitAttachment)  # fmt: skip
    PermitItem.objects.filter(pk=item.pk).update(status="approved")
    scan.refresh_from_db()
    for name in ("reporter", "officer"):
        with pytest.raises(PermissionDenied):
            files.attachment_delete(actor=personas[name], attachment=scan)
    page = client_for("reporter").get(item.get_absolute_url()).content.decode()
    assert scan.url in page and 'data-testid="attachment-delete"' not in page
    assert 'data-testid="attachment-delete"' in client_for("admin").get(
        item.get_absolute_url()).content.decode()  # fmt: skip
    files.attachment_delete(actor=personas["admin"], attachment=scan)
    assert not PermitAttachment.objects.filter(pk=scan.pk).exists()
