"""Excel batches of progress reports: download a template, fill it in, upload it, preview every
change and problem, commit all or nothing; and who may do each step."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reporting import services
from reporting.choices import ReportAction, ReportStatus
from reporting.excel import (
    CODE,
    EXPLANATION,
    INVESTMENT,
    NEXT_STEPS,
    PROGRESS_PCT,
    PROGRESS_TEXT,
    SHEET,
)
from reporting.models import ProgressReport, ReportEvent, ReportImport
from tests.factories import (
    AnnualPlanFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)
from tests.personas import ALL

NOW = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
FILLERS = {"manager", "reporter", "reporter2"}  # subsidiary reporters and managers
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SHEET_TITLE = SHEET.title
pytestmark = pytest.mark.usefixtures("frozen_time")


@pytest.fixture
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def period(db):
    return ReportingPeriodFactory(year=2026, month=11)


@pytest.fixture
def reports(orgs, period, infra_project, housing_project):
    """Two infra forms (one with figures already) and one housing form, for November 2026."""
    second = ProjectFactory(owner=orgs["infra"], code="JC-2026-002", name="江北污水处理厂扩建")
    for project in (infra_project, second, housing_project):
        AnnualPlanFactory(project=project, planned_investment=Decimal("30000000"))
    return {
        "first": ProgressReportFactory(project=infra_project, period=period),
        "second": ProgressReportFactory(
            project=second,
            period=period,
            investment=Decimal("1500000.00"),
            progress_text="基坑开挖",
            progress_pct=Decimal("20"),
        ),
        "housing": ProgressReportFactory(project=housing_project, period=period),
    }


def _template(client, code="2026-11"):
    response = client.get(reverse("reporting:excel-template"), {"period": code})
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _fill(workbook, code, **values_by_header):
    """Type values into the row of project `code`, as a user would in Excel."""
    sheet = workbook[SHEET_TITLE]
    headers = {cell.value: cell.column for cell in sheet[3]}
    for row in sheet.iter_rows(min_row=4):
        if row[0].value == code:
            for header, value in values_by_header.items():
                sheet.cell(row[0].row, headers[header], value)
            return
    raise AssertionError(f"{code} is not in the template")


def _add_row(workbook, **values_by_header):
    sheet = workbook[SHEET_TITLE]
    headers = {cell.value: cell.column for cell in sheet[3]}
    row = sheet.max_row + 1
    for header, value in values_by_header.items():
        sheet.cell(row, headers[header], value)
    return row


def _bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, content: bytes, *, name="进度填报.xlsx", period="2026-11"):
    return client.post(
        reverse("reporting:excel-upload"),
        {"period": period, "file": SimpleUploadedFile(name, content, content_type=XLSX)},
    )


def _preview(response):
    """The import an upload redirected to."""
    assert response.status_code == 302, response.context["form"].errors
    return ReportImport.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


# --- the round trip --------------------------------------------------------------------------


def test_it_prefills_the_template_with_the_organisations_forms_and_current_figures(
    client_for, reports
):
    workbook = _template(client_for("reporter"))
    sheet = workbook[SHEET_TITLE]
    assert (sheet["B1"].value, sheet["D1"].value) == ("2026-11", "基础设施公司")  # no codes
    headers = [cell.value for cell in sheet[3]]
    assert headers[:7] == [
        CODE,
        "项目名称",
        INVESTMENT,
        PROGRESS_TEXT,
        PROGRESS_PCT,
        NEXT_STEPS,
        EXPLANATION,
    ]
    assert {"年度计划投资（万元）", "上期已通过形象进度（%）", "状态"} <= set(headers)
    rows = {
        row[0]: dict(zip(headers, row, strict=False))
        for row in sheet.iter_rows(min_row=4, values_only=True)
    }
    assert set(rows) == {"JC-2026-001", "JC-2026-002"}  # not the housing company's form
    second = rows["JC-2026-002"]
    assert second[INVESTMENT] == 150  # 1,500,000 yuan in 万元
    # Shown with two decimals as on every page; the cell itself keeps the exact amount.
    investment_column = headers.index(INVESTMENT) + 1
    assert sheet.cell(4, investment_column).number_format == "#,##0.00"
    assert (second[PROGRESS_TEXT], second[PROGRESS_PCT]) == ("基坑开挖", 20)
    assert second["年度计划投资（万元）"] == 3000
    assert second["状态"] == "草稿"
    # Read-only columns are locked on a protected sheet; the columns to fill are not.
    assert sheet.protection.sheet
    assert sheet["A4"].protection.locked and not sheet["C4"].protection.locked
    assert "说明" in workbook.sheetnames


def test_it_round_trips_a_filled_template_and_the_history_names_the_uploader(
    client_for, personas, reports
):
    client = client_for("reporter")
    workbook = _template(client)
    _fill(
        workbook,
        "JC-2026-001",
        **{
            INVESTMENT: 123.45,
            PROGRESS_TEXT: "桩基施工完成 60%",
            PROGRESS_PCT: 35,
            NEXT_STEPS: "承台施工",
        },
    )
    batch = _preview(_upload(client, _bytes(workbook)))

    first, second = reports["first"], reports["second"]
    first.refresh_from_db()
    assert first.investment == Decimal("0") and first.version == 1  # nothing saved yet
    assert batch.errors == []
    assert [(r["code"], r["state"]) for r in batch.rows] == [
        ("JC-2026-001", "changed"),
        ("JC-2026-002", "unchanged"),
    ]
    changed = batch.rows[0]
    assert (changed["record_id"], changed["version"]) == (first.pk, 1)
    assert changed["values"] == {
        "investment": "1234500.00",
        "progress_text": "桩基施工完成 60%",
        "progress_pct": "35.00",
        "next_steps": "承台施工",
    }

    page = client.get(reverse("reporting:excel-preview", args=[batch.pk]))
    html = page.content.decode()
    assert "0.00</del> → <strong>123.45</strong>" in html  # old → new, in 万元
    assert "disabled" not in html.split('data-testid="commit"')[1].split(">")[0]

    response = client.post(reverse("reporting:excel-preview", args=[batch.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.investment == Decimal("1234500.00")
    assert (first.progress_text, first.progress_pct) == ("桩基施工完成 60%", Decimal("35"))
    assert first.next_steps == "承台施工" and first.version == 2
    assert first.history.first().history_user == personas["reporter"]
    assert ReportEvent.objects.get(report=first).action == ReportAction.IMPORT
    second.refresh_from_db()
    assert second.version == 1 and not second.history.exclude(history_type="+").exists()
    batch.refresh_from_db()
    assert batch.committed_at is not None
    assert 'data-testid="committed"' in client.get(response["Location"]).content.decode()


def test_it_changes_nothing_when_the_same_file_is_uploaded_again_after_commit(client_for, reports):
    client = client_for("manager")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 80, EXPLANATION: "按计划推进"})
    _fill(workbook, "JC-2026-002", **{PROGRESS_PCT: 25.5})
    content = _bytes(workbook)
    first = _preview(_upload(client, content))
    client.post(reverse("reporting:excel-preview", args=[first.pk]), follow=True)
    versions = dict(ProgressReport.objects.values_list("pk", "version"))
    history = {r.pk: r.history.count() for r in ProgressReport.objects.all()}
    events = ReportEvent.objects.count()

    response = _upload(client, content)
    again = _preview(response)
    assert {r["state"] for r in again.rows} == {"unchanged"}
    assert again.errors == []
    page = client.get(response["Location"])
    [notice] = page.context["messages"]  # "this same file was already committed on ..."
    assert notice.level == messages.INFO

    client.post(reverse("reporting:excel-preview", args=[again.pk]))
    again.refresh_from_db()
    assert again.committed_at is not None
    assert dict(ProgressReport.objects.values_list("pk", "version")) == versions
    assert {r.pk: r.history.count() for r in ProgressReport.objects.all()} == history
    assert ReportEvent.objects.count() == events


# --- problems, named by row and column, and nothing saved --------------------------------------


def test_it_names_every_problem_by_row_and_column_and_saves_nothing(client_for, reports, settings):
    settings.LANGUAGE_CODE = "en"
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: -5, PROGRESS_PCT: 150})
    _fill(workbook, "JC-2026-002", **{INVESTMENT: "一百万"})
    unknown = _add_row(workbook, **{CODE: "NO-SUCH-1", INVESTMENT: 1})
    other = _add_row(workbook, **{CODE: "BZ-2026-001", INVESTMENT: 1})
    twice = _add_row(workbook, **{CODE: "JC-2026-002", INVESTMENT: 150})
    batch = _preview(_upload(client, _bytes(workbook)))

    problems = {(e["row"], e["column"], e["message"]) for e in batch.errors}
    assert problems == {
        (4, INVESTMENT, "Amounts cannot be negative."),
        (4, PROGRESS_PCT, "A percentage is between 0 and 100."),
        (5, INVESTMENT, "Enter a number."),
        (unknown, CODE, "Your organisation has no form for this project in this period."),
        (other, CODE, "Your organisation has no form for this project in this period."),
        (twice, CODE, "This project is already in row 5."),
    }
    texts = [e["text"] for e in batch.errors]
    assert f"Row 4 “{INVESTMENT}”: Amounts cannot be negative." in texts

    page = client.get(reverse("reporting:excel-preview", args=[batch.pk]))
    html = page.content.decode()
    assert f"Row 4 “{INVESTMENT}”: Amounts cannot be negative." in html
    assert page.context["can_commit"] is False
    assert 'data-testid="commit" disabled' in html

    # The server refuses the commit too, whatever the button says.
    response = client.post(reverse("reporting:excel-preview", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.committed_at is None
    assert set(ProgressReport.objects.values_list("version", flat=True)) == {1}
    assert not ReportEvent.objects.exists()


def test_it_names_problems_in_chinese_by_default(client_for, reports):
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: -5})
    batch = _preview(_upload(client, _bytes(workbook)))
    [error] = batch.errors
    assert (error["row"], error["column"], error["message"]) == (4, INVESTMENT, "金额不能为负数。")


def test_it_applies_the_web_forms_rules_through_the_service(client_for, reports, settings):
    """Year to date past the annual plan needs an explanation: report_validate says so, and the
    message lands on the amount's column."""
    settings.LANGUAGE_CODE = "en"
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 3500})  # plan 3,000 万元
    _fill(workbook, "JC-2026-002", **{INVESTMENT: 3500, EXPLANATION: "提前完成征拆补偿"})
    batch = _preview(_upload(client, _bytes(workbook)))
    [error] = batch.errors
    assert (error["row"], error["column"]) == (4, INVESTMENT)
    assert "passes the annual plan" in error["message"]
    assert [r["state"] for r in batch.rows] == ["invalid", "changed"]


def test_it_reads_amounts_in_10k_yuan_to_the_cent_and_refuses_finer_ones(
    client_for, reports, settings
):
    settings.LANGUAGE_CODE = "en"
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 151.234567})
    _fill(workbook, "JC-2026-002", **{INVESTMENT: "1.0000001"})
    batch = _preview(_upload(client, _bytes(workbook)))
    assert batch.rows[0]["values"] == {"investment": "1512345.67"}
    [error] = batch.errors  # the model field's own validator speaks
    assert (error["row"], error["column"]) == (5, INVESTMENT)
    assert error["message"] == "Ensure that there are no more than 2 decimal places."


def test_it_handles_ten_day_periods(client_for, orgs, infra_project):
    period = ReportingPeriodFactory(kind="ten_day", year=2026, month=11, part=2)
    ProgressReportFactory(project=infra_project, period=period)
    client = client_for("reporter")
    response = client.get(reverse("reporting:excel-template"), {"period": "2026-11-T2"})
    assert "_infra_2026-11-T2.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook[SHEET_TITLE]["B1"].value == "2026-11-T2"
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 5})
    batch = _preview(_upload(client, _bytes(workbook), period="2026-11-T2"))
    client.post(reverse("reporting:excel-preview", args=[batch.pk]))
    assert ProgressReport.objects.get(period=period).investment == Decimal("50000.00")


def test_it_refuses_changes_to_a_submitted_report_but_not_an_unchanged_one(
    client_for, reports, settings
):
    settings.LANGUAGE_CODE = "en"
    ProgressReport.objects.filter(pk=reports["second"].pk).update(status=ReportStatus.SUBMITTED)
    client = client_for("reporter")
    workbook = _template(client)
    batch = _preview(_upload(client, _bytes(workbook)))
    assert [r["state"] for r in batch.rows] == ["unchanged", "unchanged"]

    _fill(workbook, "JC-2026-002", **{PROGRESS_PCT: 30})
    batch = _preview(_upload(client, _bytes(workbook)))
    [error] = batch.errors
    assert (error["row"], error["column"]) == (5, "")
    assert error["message"] == "This progress report is Submitted and can no longer be changed."


def test_it_rolls_back_every_row_when_one_was_changed_in_the_portal_meanwhile(
    client_for, personas, reports
):
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 10})
    _fill(workbook, "JC-2026-002", **{INVESTMENT: 20})
    batch = _preview(_upload(client, _bytes(workbook)))
    # The manager saves the second form on the web between upload and commit.
    second = reports["second"]
    services.report_save(
        actor=personas["manager"],
        report=second,
        version=1,
        data=services.ReportInput(fields={"next_steps": "复核"}),
    )

    response = client.post(reverse("reporting:excel-preview", args=[batch.pk]))
    assert response.status_code == 302
    shown = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert any("JC-2026-002" in m for m in shown)
    first = ProgressReport.objects.get(pk=reports["first"].pk)
    assert (first.investment, first.version) == (Decimal("0"), 1)  # the first row rolled back
    second.refresh_from_db()
    assert (second.investment, second.version) == (Decimal("1500000.00"), 2)
    batch.refresh_from_db()
    assert batch.committed_at is None


def test_it_does_not_commit_the_same_import_twice(client_for, reports):
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 10})
    batch = _preview(_upload(client, _bytes(workbook)))
    client.post(reverse("reporting:excel-preview", args=[batch.pk]))
    response = client.post(reverse("reporting:excel-preview", args=[batch.pk]), follow=True)
    assert ProgressReport.objects.get(pk=reports["first"].pk).version == 2
    assert ReportEvent.objects.count() == 1
    assert response.context["batch"].committed_at is not None


# --- files refused at the door ---------------------------------------------------------------


def _file_errors(response):
    assert response.status_code == 200
    assert not ReportImport.objects.exists()
    html = response.content.decode()
    assert 'data-field-error="file"' in html  # the message is next to the file field
    return response.context["form"].errors["file"]


def test_it_refuses_a_file_for_another_organisation(client_for, reports, settings):
    settings.LANGUAGE_CODE = "en"
    infra_file = _bytes(_template(client_for("reporter")))
    errors = _file_errors(_upload(client_for("reporter2"), infra_file))
    assert errors == [
        "This file is for the organisation “基础设施公司”, not yours (保障房公司): download "
        "your own template."
    ]


def test_it_refuses_a_file_for_another_period_than_the_one_chosen(client_for, reports, settings):
    settings.LANGUAGE_CODE = "en"
    ProgressReportFactory(
        project=reports["first"].project, period=ReportingPeriodFactory(year=2026, month=10)
    )
    client = client_for("reporter")
    errors = _file_errors(_upload(client, _bytes(_template(client)), period="2026-10"))
    assert errors == ["This file is for the period 2026-11, but you chose 2026-10."]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("进度.xlsx", b"this is not a workbook", "cannot be read as an Excel workbook"),
        ("进度.xlsx", b"PK\x03\x04broken zip", "cannot be read as an Excel workbook"),
        ("进度.csv", "项目编号,本期完成投资\n".encode(), "Upload an Excel workbook (.xlsx)"),
    ],
)
def test_it_refuses_a_file_that_is_not_xlsx_with_a_message(
    client_for, reports, settings, name, content, message
):
    settings.LANGUAGE_CODE = "en"
    [error] = _file_errors(_upload(client_for("reporter"), content, name=name))
    assert message in error


def test_it_refuses_a_workbook_that_is_not_the_template(client_for, reports, settings):
    settings.LANGUAGE_CODE = "en"
    workbook = openpyxl.Workbook()
    workbook.active.append(["项目", "金额"])
    [error] = _file_errors(_upload(client_for("reporter"), _bytes(workbook)))
    assert "which period and organisation" in error


def test_it_refuses_a_file_over_the_size_limit(client_for, reports, settings):
    settings.LANGUAGE_CODE = "en"
    settings.PORTAL = {**settings.PORTAL, "EXCEL_MAX_BYTES": 4096}
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{PROGRESS_TEXT: "x" * 20_000})
    content = _bytes(workbook)
    assert len(content) > 4096
    [error] = _file_errors(_upload(client, content))
    assert "the limit is 4 KB" in error


def test_it_refuses_a_file_with_too_many_rows(client_for, reports, settings):
    settings.LANGUAGE_CODE = "en"
    settings.PORTAL = {**settings.PORTAL, "EXCEL_MAX_ROWS": 1}
    client = client_for("reporter")
    [error] = _file_errors(_upload(client, _bytes(_template(client))))
    assert "more than 1 rows" in error


# --- who may do what -------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_log_in(client, reports):
    for url in [
        reverse("reporting:excel-template") + "?period=2026-11",
        reverse("reporting:excel-upload"),
        reverse("reporting:excel-preview", args=[1]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ALL)
def test_it_gives_templates_and_uploads_only_to_subsidiary_reporters_and_managers(
    client_for, persona, reports
):
    client = client_for(persona)
    template = client.get(reverse("reporting:excel-template"), {"period": "2026-11"})
    upload_page = client.get(reverse("reporting:excel-upload"))
    upload = _upload(client, b"irrelevant")
    expected = 200 if persona in FILLERS else 403
    assert (template.status_code, upload_page.status_code) == (expected, expected)
    assert upload.status_code == expected  # 200: the form again, with the file refused
    if persona in FILLERS:
        choices = upload_page.context["form"].fields["period"].choices
        assert [code for code, _label in choices] == ["2026-11"]


def test_it_gives_each_subsidiary_only_its_own_forms(client_for, reports):
    sheet = _template(client_for("reporter2"))[SHEET_TITLE]
    assert sheet["D1"].value == "保障房公司"
    assert [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)] == ["BZ-2026-001"]


def test_it_answers_404_for_an_unknown_period(client_for, reports):
    response = client_for("reporter").get(
        reverse("reporting:excel-template"), {"period": "1999-01"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ALL)
def test_it_shows_an_import_only_to_its_uploader(client_for, personas, persona, reports):
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 10})
    batch = _preview(_upload(client, _bytes(workbook)))

    other = client_for(persona)  # the same test client, now signed in as `persona`
    url = reverse("reporting:excel-preview", args=[batch.pk])
    assert other.get(url).status_code == (200 if persona == "reporter" else 404)
    if persona != "reporter":
        assert other.post(url).status_code == 404
        assert ProgressReport.objects.get(pk=reports["first"].pk).version == 1


def test_it_names_the_file_in_utf8(client_for, reports):
    response = client_for("reporter").get(
        reverse("reporting:excel-template"), {"period": "2026-11"}
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="reports_infra_2026-11.xlsx"')
    assert "filename*=UTF-8''%E8%BF%9B%E5%BA%A6%E5%A1%AB%E6%8A%A5_infra_2026-11.xlsx" in disposition


# --- save as drafts, or save and submit the batch ----------------------------------------------


def _committed(client, batch) -> str:
    return client.get(reverse("reporting:excel-preview", args=[batch.pk])).content.decode()


def _outcome(html: str) -> list[str]:
    """The sentences and rows the result says, as a reader sees them."""
    import re

    part = html.split('data-testid="committed"', 1)[1].split("</div>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", line).split())
            for line in re.findall(r"<(?:p|li)[^>]*>(.*?)</(?:p|li)>", part, re.S)][1:]  # fmt: skip


def test_the_preview_offers_to_save_as_drafts_or_to_save_and_submit(client_for, reports, settings):
    settings.LANGUAGE_CODE = "en"
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 10})
    batch = _preview(_upload(client, _bytes(workbook)))
    html = _committed(client, batch)
    assert 'name="action" value="save" data-testid="commit"' in html
    assert 'name="action" value="submit" data-testid="commit-submit"' in html
    assert "every report of the file still open for filling (2), changed or not" in html


def test_save_as_drafts_saves_the_changed_rows_and_says_nothing_was_submitted(
    client_for, reports, settings
):
    settings.LANGUAGE_CODE = "en"
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 10})
    batch = _preview(_upload(client, _bytes(workbook)))
    response = client.post(reverse("reporting:excel-preview", args=[batch.pk]), {"action": "save"})
    assert response.status_code == 302
    first, second = (ProgressReport.objects.get(pk=reports[k].pk) for k in ("first", "second"))
    assert (first.status, first.investment) == (ReportStatus.DRAFT, Decimal("100000.00"))
    assert second.status == ReportStatus.DRAFT and second.version == 1
    assert _outcome(_committed(client, batch)) == [
        "Saved 1 reports as drafts. They have not been submitted: the centre does not see them "
        "yet.",
        "JC-2026-001 滨河大道快速化改造工程",
    ]


def test_save_and_submit_submits_every_open_report_of_the_file_to_the_centres_inbox(
    client_for, personas, reports, settings
):
    settings.LANGUAGE_CODE = "en"
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 10})  # JC-2026-002 left as it is
    batch = _preview(_upload(client, _bytes(workbook)))
    response = client.post(
        reverse("reporting:excel-preview", args=[batch.pk]), {"action": "submit"}
    )
    assert response.status_code == 302
    first, second = (ProgressReport.objects.get(pk=reports[k].pk) for k in ("first", "second"))
    assert first.investment == Decimal("100000.00")
    assert first.status == second.status == ReportStatus.SUBMITTED
    assert first.submitted_by == second.submitted_by == personas["reporter"]
    assert list(ReportEvent.objects.filter(report=first).values_list("action", flat=True)
                .order_by("pk")) == [ReportAction.IMPORT, "submit"]  # fmt: skip
    assert ProgressReport.objects.get(pk=reports["housing"].pk).status == ReportStatus.DRAFT
    assert _outcome(_committed(client, batch)) == [
        "Saved and submitted 2 reports to the centre.",
        "JC-2026-001 滨河大道快速化改造工程",
        "JC-2026-002 江北污水处理厂扩建",
    ]
    inbox = client_for("officer").get(reverse("inbox")).content.decode()
    assert "JC-2026-001" in inbox and "JC-2026-002" in inbox


def test_save_and_submit_leaves_a_report_no_longer_open_and_says_so(client_for, reports, settings):
    settings.LANGUAGE_CODE = "en"
    ProgressReport.objects.filter(pk=reports["second"].pk).update(status=ReportStatus.SUBMITTED)
    client = client_for("reporter")
    workbook = _template(client)
    batch = _preview(_upload(client, _bytes(workbook)))
    client.post(reverse("reporting:excel-preview", args=[batch.pk]), {"action": "submit"})
    assert ProgressReport.objects.get(pk=reports["first"].pk).status == ReportStatus.SUBMITTED
    assert _outcome(_committed(client, batch)) == [
        "Saved and submitted 1 reports to the centre.",
        "JC-2026-001 滨河大道快速化改造工程",
        "1 reports were no longer open for filling and were left as they were.",
        "JC-2026-002 江北污水处理厂扩建",
    ]
    # The same file again: nothing is open any more, nothing changes.
    again = _preview(_upload(client, _bytes(workbook)))
    client.post(reverse("reporting:excel-preview", args=[again.pk]), {"action": "submit"})
    assert ReportEvent.objects.filter(action="submit").count() == 1
    assert "Every row equals what the portal holds: nothing changed." in _outcome(
        _committed(client, again)
    )


def test_a_refused_submit_saves_and_submits_nothing_and_names_the_row(
    client_for, reports, settings
):
    settings.LANGUAGE_CODE = "en"
    # The second form passes the annual plan (3,000 万元) without an explanation: it may be
    # kept as a draft, but not submitted.
    ProgressReport.objects.filter(pk=reports["second"].pk).update(investment=Decimal("35000000"))
    client = client_for("reporter")
    workbook = _template(client)
    _fill(workbook, "JC-2026-001", **{INVESTMENT: 10})
    batch = _preview(_upload(client, _bytes(workbook)))
    assert batch.errors == []
    url = reverse("reporting:excel-preview", args=[batch.pk])
    response = client.post(url, {"action": "submit"})
    assert response.status_code == 302
    [message] = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert message.startswith(f"Row 5 “{INVESTMENT}”: The year to date")
    assert "passes the annual plan" in message
    first = ProgressReport.objects.get(pk=reports["first"].pk)
    assert (first.status, first.investment, first.version) == (
        ReportStatus.DRAFT,
        Decimal("0"),
        1,
    )  # the first row's save rolled back too
    assert not ReportEvent.objects.exists()
    batch.refresh_from_db()
    assert batch.committed_at is None and "outcome" not in batch.rows[0]
    # Saving the same batch as drafts still works.
    client.post(url, {"action": "save"})
    assert ProgressReport.objects.get(pk=reports["first"].pk).version == 2
