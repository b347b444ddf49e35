"""A project's documents in the browser: upload one, see it listed and download it; a file over
the limit is refused in the browser before it is sent, and by the server at the field."""

import pytest

from projects.models import ProjectAttachment

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_an_officer_uploads_and_downloads_a_project_document(
    page, login, personas, infra_project, settings
):
    settings.PORTAL = {**settings.PORTAL, "UPLOAD_MAX_BYTES": 4096}
    login("officer")
    page.goto(infra_project.get_absolute_url())
    panel = page.locator('[data-testid="attachments-projects.projectattachment"]')
    panel.locator("input[type=file]").set_input_files(
        {"name": "可行性研究报告批复.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    panel.locator('[data-testid="attachment-upload"]').click()
    page.wait_for_selector('[data-testid="attachment-link"]')
    link = panel.locator('[data-testid="attachment-link"]')
    assert link.inner_text() == "可行性研究报告批复.pdf"
    assert ProjectAttachment.objects.get().uploaded_by == personas["officer"]

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "可行性研究报告批复.pdf"

    # Over the limit: the browser says so at the field and does not send it.
    panel.locator("input[type=file]").set_input_files(
        {"name": "全本.pdf", "mimeType": "application/pdf", "buffer": PDF + b"%" * 5000}
    )
    error = panel.locator('[data-field-error="file"]')
    assert error.is_visible() and "4 KB" in error.inner_text()
    assert panel.locator('[data-testid="attachment-upload"]').is_disabled()
    assert ProjectAttachment.objects.count() == 1
