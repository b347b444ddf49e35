"""The OpenAPI schema is good enough for a subsidiary's IT team to start from: a Python client
generated from it with openapi-python-client (a dev dependency) imports whole, and walks a
report through its workflow against a live server with token authentication.

Time is frozen on 20 November 2026, so October's forms are open (as in reporting/test_api.py).
"""

import datetime
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.test import Client as DjangoClient
from django.urls import reverse

from tests.factories import PASSWORD, ProgressReportFactory, ReportingPeriodFactory

NOW = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
PACKAGE = "pmc_api_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def schema_json() -> bytes:
    """/api/schema/ as the IT team downloads it (read once for the module)."""
    response = DjangoClient().get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    return response.content


@pytest.fixture(scope="module")
def generated_client(schema_json, tmp_path_factory):
    """The client package generated from the schema once, importable for the module's tests."""
    tmp_path = tmp_path_factory.mktemp("openapi")
    (tmp_path / "openapi.json").write_bytes(schema_json)
    # No post hooks: the generator would otherwise run ruff on the output.
    (tmp_path / "config.json").write_text(
        json.dumps({"post_hooks": [], "package_name_override": PACKAGE})
    )
    run = subprocess.run(
        [GENERATOR, "generate", "--path", "openapi.json", "--config", "config.json",
         "--meta", "none", "--output-path", PACKAGE],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    # The generator reports schema parts it could not turn into code as warnings, and goes on.
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_write_takes_a_json_body_only(schema_json):
    bodies = {
        name: sorted(operation["requestBody"]["content"])
        for name, operation in operations(json.loads(schema_json))
        if "requestBody" in operation
    }
    assert "POST /api/v1/auth/token/" in bodies
    assert "PATCH /api/v1/reports/{id}/" in bodies
    # Files are the one exception: an attachment upload (portal.files) is multipart only.
    uploads = {n for n in bodies if n.startswith("POST ") and n.endswith("/attachments/")}
    assert "POST /api/v1/projects/{id}/attachments/" in uploads
    assert all(bodies[name] == ["multipart/form-data"] for name in uploads)
    assert {name: types for name, types in bodies.items() if types != ["application/json"]
            and name not in uploads} == {}  # fmt: skip


def test_the_schema_says_which_fields_may_be_null(schema_json):
    components = json.loads(schema_json)["components"]["schemas"]
    nullable = {
        (component, field)
        for component, definition in components.items()
        for field, spec in definition.get("properties", {}).items()
        if spec.get("nullable")
    }
    assert {
        ("CoordinationItem", "assignee"),
        ("CoordinationItem", "answered_by"),
        ("ReportCoordination", "assignee"),
        ("ReportCoordination", "answered_by"),
        ("ReportDetail", "submitted_by"),
        ("ReportDetail", "reviewed_by"),
        ("ReportDetail", "submitted_at"),
        ("Project", "project_manager"),
    } <= nullable
    assert ("ReportDetail", "status") not in nullable


def test_every_operation_documents_its_refusals(schema_json):
    documented = {
        name: set(operation["responses"]) - {"200", "201", "429"}
        for name, operation in operations(json.loads(schema_json))
    }
    assert documented["GET /api/v1/reports/"] == {"400", "401", "404"}  # filter; token; page
    assert documented["GET /api/v1/reports/{id}/"] == {"401", "404"}
    assert documented["POST /api/v1/projects/"] == {"400", "401", "403"}
    assert documented["PATCH /api/v1/projects/{id}/"] == {"400", "401", "403", "404"}
    assert documented["PATCH /api/v1/reports/{id}/"] == {"400", "401", "403", "404", "409"}
    assert documented["POST /api/v1/reports/{id}/return/"] == {"400", "401", "403", "404", "409"}
    assert documented["POST /api/v1/auth/token/"] == {"400"}  # open: no 401, no 403
    assert documented["GET /api/v1/notifications/unread-count/"] == {"401"}
    for name, codes in documented.items():
        assert "401" in codes or name == "POST /api/v1/auth/token/", name


def test_it_generates_a_client_whose_every_module_imports(generated_client):
    names = [m.name for m in pkgutil.walk_packages(generated_client.__path__, PACKAGE + ".")]
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # every failure is the finding
            failures[name] = repr(error)
    assert failures == {}
    operations = [n for n in names if n.startswith(f"{PACKAGE}.api.v1.")]
    assert f"{PACKAGE}.api.v1.v1_reports_submit_create" in operations
    assert len(operations) >= 19


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_walks_a_report_through_review(generated_client, personas,
                                                          infra_project, live_server):  # fmt: skip
    from pmc_api_client import AuthenticatedClient, Client
    from pmc_api_client.api.v1 import (
        v1_auth_token_create,
        v1_reports_accept_create,
        v1_reports_list,
        v1_reports_partial_update,
        v1_reports_resubmit_create,
        v1_reports_return_create,
        v1_reports_submit_create,
    )
    from pmc_api_client.models import (
        AuthTokenRequest,
        PatchedReportFillRequest,
        ProgressReportAcceptRequest,
        ProgressReportResubmitRequest,
        ProgressReportReturnRequest,
        ReportFillRequest,
        ReportStatusEnum,
        V1ReportsListStatusItem,
    )

    def logged_in(username):
        anonymous = Client(base_url=live_server.url, raise_on_unexpected_status=True)
        body = AuthTokenRequest(username=username, password=PASSWORD)
        answer = v1_auth_token_create.sync_detailed(client=anonymous, body=body)
        assert answer.status_code == 200, answer.content
        token = json.loads(answer.content)["token"]
        return AuthenticatedClient(
            base_url=live_server.url, token=token, prefix="Token", raise_on_unexpected_status=True
        )

    with time_machine.travel(NOW, tick=False):
        report = ProgressReportFactory(
            project=infra_project, period=ReportingPeriodFactory(year=2026, month=10)
        )
        reporter, officer = logged_in("reporter"), logged_in("officer")

        drafts = v1_reports_list.sync(client=reporter, status=[V1ReportsListStatusItem.DRAFT])
        assert [row.id for row in drafts.results] == [report.pk]

        fill = PatchedReportFillRequest(
            version=1, investment="800000", progress_pct="35", progress_text="桩基"
        )
        filled = v1_reports_partial_update.sync(report.pk, client=reporter, body=fill)
        assert (filled.status, filled.submitted_by) == (ReportStatusEnum.DRAFT, None)

        body = ReportFillRequest(version=filled.version)
        submitted = v1_reports_submit_create.sync(report.pk, client=reporter, body=body)
        assert submitted.status == ReportStatusEnum.SUBMITTED
        assert submitted.submitted_by == "reporter"

        body = ProgressReportReturnRequest(version=submitted.version, comment="请补充形象进度")
        returned = v1_reports_return_create.sync(report.pk, client=officer, body=body)
        assert (returned.status, returned.review_comment) == (
            ReportStatusEnum.RETURNED, "请补充形象进度"
        )  # fmt: skip

        body = ProgressReportResubmitRequest(version=returned.version)
        resubmitted = v1_reports_resubmit_create.sync(report.pk, client=reporter, body=body)
        assert resubmitted.status == ReportStatusEnum.SUBMITTED

        body = ProgressReportAcceptRequest(version=resubmitted.version)
        accepted = v1_reports_accept_create.sync(report.pk, client=officer, body=body)
        assert (accepted.status, accepted.reviewed_by) == (ReportStatusEnum.ACCEPTED, "officer")
        assert [event.action for event in accepted.events if event.action != "save"] == [
            "submit", "return", "resubmit", "accept"
        ]  # fmt: skip
