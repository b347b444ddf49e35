"""Change documents and stage drawings (portal.files): uploaded by whoever may change the
record, refused at the field when the content is not an allowed type or too large, and served
only to whoever sees the record."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from design.models import DesignChangeAttachment, DesignStageAttachment
from tests.personas import ALL, SEES_INFRA

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 120


def pdf(name="设计变更单.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def change(make_change):
    return make_change()


def test_a_change_document_uploaded_on_the_page_is_listed_and_served_in_scope(client_for, change):
    response = client_for("reporter").post(
        reverse("design:change-attachment-upload", args=[change.pk]), {"file": pdf()}
    )
    assert response.status_code == 302
    attachment = DesignChangeAttachment.objects.get()
    assert (attachment.name, attachment.uploaded_by.username) == ("设计变更单.pdf", "reporter")
    html = client_for("leader").get(change.get_absolute_url()).content.decode()
    assert attachment.url in html
    for persona in ALL:
        status = 200 if persona in SEES_INFRA else 404
        assert client_for(persona).get(attachment.url).status_code == status


def test_a_disguised_file_is_refused_at_the_field_and_nothing_is_stored(client_for, change):
    response = client_for("reporter").post(
        reverse("design:change-attachment-upload", args=[change.pk]),
        {"file": pdf("变更单.pdf", EXE)},
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-field-error="file"' in html
    assert not DesignChangeAttachment.objects.exists()


def test_a_file_above_the_limit_is_refused_by_the_api_with_the_reason(api_for, change, settings):
    settings.PORTAL = {**settings.PORTAL, "UPLOAD_MAX_BYTES": 1024,
                       "UPLOAD_MAX_REQUEST_BYTES": None}  # fmt: skip
    response = api_for("reporter").post(
        reverse("api-design-change-attachments", args=[change.pk]),
        {"file": pdf(data=PDF + b"%" * 2048)}, format="multipart",
    )  # fmt: skip
    assert response.status_code == 400 and list(response.json()) == ["file"]
    assert not DesignChangeAttachment.objects.exists()


@pytest.mark.parametrize("persona", ALL)
def test_who_uploads_a_drawing_to_a_stage(api_for, infra_project, persona):
    stage = infra_project.design_stages.get(kind="drawings")
    response = api_for(persona).post(
        reverse("api-design-stage-attachments", args=[stage.pk]),
        {"file": pdf("施工图总说明.pdf")}, format="multipart",
    )  # fmt: skip
    uploads = {"officer", "officer_design", "admin", "manager", "reporter"}
    expected = 201 if persona in uploads else (403 if persona in SEES_INFRA else 404)
    assert response.status_code == expected, response.content
    assert DesignStageAttachment.objects.filter(stage=stage).exists() == (expected == 201)
