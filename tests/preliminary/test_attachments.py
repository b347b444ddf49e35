"""Permit scans (portal.files on permit items): who uploads and downloads, the limit shown and
enforced, the type checked by content, page and API alike."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preliminary.models import PermitAttachment
from tests.personas import ALL, SEES_INFRA

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EDITORS = {"officer", "admin", "manager", "reporter"}


@pytest.fixture
def limit(settings):
    settings.PORTAL = {**settings.PORTAL, "UPLOAD_MAX_BYTES": 4096,
                       "UPLOAD_MAX_REQUEST_BYTES": None}  # fmt: skip
    return 4096


def upload(client, permit, name="批复.pdf", content=PDF):
    return client.post(reverse("preliminary:item-attachment-upload", args=[permit.pk]),
                       {"file": SimpleUploadedFile(name, content)})  # fmt: skip


@pytest.mark.parametrize("persona", ALL)
def test_who_uploads_a_scan_and_who_downloads_it(client_for, persona, permit, limit):
    response = upload(client_for(persona), permit)
    ok = persona in EDITORS
    assert response.status_code == (302 if ok else (403 if persona in SEES_INFRA else 404))
    assert PermitAttachment.objects.filter(item=permit).count() == (1 if ok else 0)
    if not ok:
        upload(client_for("reporter"), permit)
    scan = PermitAttachment.objects.get(item=permit)
    download = client_for(persona).get(scan.url)
    assert download.status_code == (200 if persona in SEES_INFRA else 404)
    if persona in SEES_INFRA:
        assert download["Content-Disposition"].startswith("attachment")


def test_the_item_page_lists_the_scans_and_shows_the_limit(client_for, permit, limit):
    upload(client_for("reporter"), permit)
    html = client_for("reporter").get(permit.get_absolute_url()).content.decode()
    assert 'data-testid="attachments-preliminary.permitattachment"' in html
    assert "批复.pdf" in html and "4 KB" in html  # the limit, next to the field
    leader = client_for("leader").get(permit.get_absolute_url()).content.decode()
    assert "批复.pdf" in leader and 'data-testid="attachment-upload"' not in leader


def test_a_disguised_file_and_one_above_the_limit_are_refused_at_the_field(
    client_for, permit, limit
):
    client = client_for("reporter")
    disguised = upload(client, permit, "批复.pdf", b"<html><script>alert(1)</script></html>")
    assert disguised.status_code == 200
    assert 'data-field-error="file"' in disguised.content.decode()
    large = upload(client, permit, "批复.pdf", PDF + b"%" * 5000)
    assert large.status_code == 200 and 'data-field-error="file"' in large.content.decode()
    assert not PermitAttachment.objects.exists()


def test_the_api_lists_and_takes_scans(api_for, permit, limit):
    url = reverse("api-permit-item-attachments", args=[permit.pk])
    created = api_for("reporter").post(url, {"file": SimpleUploadedFile("批复.pdf", PDF)},
                                       format="multipart")  # fmt: skip
    assert created.status_code == 201 and created.json()["content_type"] == "application/pdf"
    assert [a["name"] for a in api_for("leader").get(url).json()] == ["批复.pdf"]
    assert api_for("reporter2").get(url).status_code == 404
    refused = api_for("leader").post(url, {"file": SimpleUploadedFile("x.pdf", PDF)},
                                     format="multipart")  # fmt: skip
    assert refused.status_code == 403
    bad = api_for("reporter").post(url, {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00")},
                                   format="multipart")  # fmt: skip
    assert bad.status_code == 400 and list(bad.json()) == ["file"]
