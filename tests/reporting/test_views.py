"""The reporting pages for every role: inbox, list, detail, the form, review, coordination."""

from decimal import Decimal

import pytest
from django.urls import reverse

from reporting.choices import CoordinationStatus, ReportStatus
from reporting.models import CoordinationItem, ProgressReport
from tests.factories import ProgressReportFactory, ProjectFactory, ReportingPeriodFactory
from tests.personas import ALL, SEES_INFRA, visible_codes

FILLERS_OF_INFRA = {"manager", "reporter", "admin"}  # administrators change everything
REVIEWERS = {"officer", "officer_design", "admin"}


def form_data(report, **overrides):
    data = {
        "version": report.version, "investment": "120.5", "progress_pct": "35",
        "progress_text": "主体结构施工至3层", "next_steps": "完成4层结构", "explanation": "",
        "problems-TOTAL_FORMS": "1", "problems-INITIAL_FORMS": "0",
        "problems-0-description": "", "problems-0-status": "open",
        "coordination-TOTAL_FORMS": "1", "coordination-INITIAL_FORMS": "0",
        "coordination-0-subject": "", "action": "save",
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", ALL)
def test_the_list_shows_exactly_the_reports_in_scope(
    client_for, persona, infra_report, housing_report
):
    response = client_for(persona).get(reverse("reporting:list"))
    assert response.status_code == 200
    assert {r.project.code for r in response.context["page_obj"]} == visible_codes(persona)


@pytest.mark.parametrize("persona", ALL)
def test_the_detail_is_found_only_in_scope(client_for, persona, infra_report):
    response = client_for(persona).get(infra_report.get_absolute_url())
    assert response.status_code == (200 if persona in SEES_INFRA else 404)


@pytest.mark.parametrize("persona", ALL)
def test_only_the_owners_reporters_and_managers_open_the_form(client_for, persona, infra_report):
    response = client_for(persona).get(reverse("reporting:edit", args=[infra_report.pk]))
    expected = 200 if persona in FILLERS_OF_INFRA else (403 if persona in SEES_INFRA else 404)
    assert response.status_code == expected


@pytest.mark.parametrize("persona", ALL)
def test_only_centre_officers_and_admins_review(client_for, persona, infra_report, personas):
    ProgressReport.objects.filter(pk=infra_report.pk).update(status=ReportStatus.SUBMITTED)
    response = client_for(persona).post(
        reverse("reporting:review", args=[infra_report.pk]),
        {"action": "accept", "version": 1, "comment": ""},
    )
    expected = 302 if persona in REVIEWERS else (403 if persona in SEES_INFRA else 404)
    assert response.status_code == expected
    infra_report.refresh_from_db()
    assert (infra_report.status == ReportStatus.ACCEPTED) == (persona in REVIEWERS)


@pytest.mark.parametrize(("persona", "sections"), [
    ("reporter", {"to_fill", "returned", "coordination"}),
    ("officer", {"to_review", "coordination"}),
    ("leader", {"coordination"}),
])  # fmt: skip
def test_the_inbox_shows_what_each_role_acts_on(client_for, persona, sections, infra_report):
    # The inbox moved to the base (portal.inbox); the old address leads there.
    response = client_for(persona).get(reverse("reporting:inbox"), follow=True)
    assert response.redirect_chain == [(reverse("inbox"), 302)]
    html = response.content.decode()
    for section in ["to_fill", "returned", "to_review", "coordination"]:
        assert (f'data-testid="inbox-{section.replace("_", "-")}"' in html) == (section in sections)


def test_a_reporter_saves_then_submits_and_sees_the_figures(client_for, infra_report, nov_20):
    client = client_for("reporter")
    url = reverse("reporting:edit", args=[infra_report.pk])
    response = client.post(url, form_data(infra_report, **{
        "problems-0-description": "电力迁改未完成", "problems-0-responsible_unit": "供电公司",
        "coordination-0-subject": "协调供电公司加快迁改"}))  # fmt: skip
    assert response.status_code == 302
    infra_report.refresh_from_db()
    assert infra_report.investment == Decimal("1205000.00")  # 120.5 万元
    assert infra_report.problems.get().responsible_unit == "供电公司"
    assert infra_report.coordination_items.get().subject == "协调供电公司加快迁改"
    response = client.post(url, form_data(infra_report, action="submit"))
    infra_report.refresh_from_db()
    assert infra_report.status == ReportStatus.SUBMITTED
    detail = client.get(infra_report.get_absolute_url())
    assert detail.context["report"].ytd_investment == Decimal("1205000.00")
    assert "120.50" in detail.content.decode()


def test_bad_input_is_refused_next_to_the_field_and_kept(client_for, infra_report, nov_20):
    response = client_for("reporter").post(
        reverse("reporting:edit", args=[infra_report.pk]),
        form_data(infra_report, investment="-3", progress_text="写了一半的进度"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field-error="investment"' in html
    assert "金额不能为负数" in html
    assert "写了一半的进度" in html
    assert ProgressReport.objects.get(pk=infra_report.pk).version == 1


def test_a_percent_outside_0_to_100_is_refused(client_for, infra_report, nov_20):
    response = client_for("reporter").post(
        reverse("reporting:edit", args=[infra_report.pk]),
        form_data(infra_report, progress_pct="120"),
    )
    assert "progress_pct" in response.context["form"].errors


def test_the_second_editor_gets_a_conflict_and_keeps_what_they_typed(
    client_for, client, personas, infra_report, nov_20
):
    from django.test import Client

    manager = Client()
    manager.force_login(personas["manager"])
    reporter = client_for("reporter")
    url = reverse("reporting:edit", args=[infra_report.pk])
    assert reporter.post(url, form_data(infra_report, investment="100")).status_code == 302
    stale = form_data(infra_report, investment="999", progress_text="经理填写的内容")  # version 1
    response = manager.post(url, stale)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    assert "经理填写的内容" in html and 'value="999"' in html
    infra_report.refresh_from_db()
    assert infra_report.investment == Decimal("1000000.00")


def test_a_returned_report_shows_the_comment_and_can_be_resubmitted(
    client_for, infra_report, personas, nov_20
):
    reporter = client_for("reporter")
    edit = reverse("reporting:edit", args=[infra_report.pk])
    reporter.post(edit, form_data(infra_report, action="submit"))
    infra_report.refresh_from_db()
    officer = client_for("officer")
    review = reverse("reporting:review", args=[infra_report.pk])
    version = infra_report.version
    missing = officer.post(review, {"action": "return", "version": version, "comment": ""})
    assert 'data-field-error="comment"' in missing.content.decode()
    officer.post(review, {"action": "return", "version": version, "comment": "请补充问题责任人"})
    reporter = client_for("reporter")
    page = reporter.get(edit).content.decode()
    assert "请补充问题责任人" in page
    infra_report.refresh_from_db()
    reporter.post(edit, form_data(infra_report, action="submit"))
    infra_report.refresh_from_db()
    assert infra_report.status == ReportStatus.SUBMITTED
    assert [e.action for e in infra_report.events.all()][-1] == "resubmit"


def test_a_submitted_form_cannot_be_edited(client_for, infra_report, nov_20):
    ProgressReport.objects.filter(pk=infra_report.pk).update(status=ReportStatus.SUBMITTED)
    client = client_for("reporter")
    url = reverse("reporting:edit", args=[infra_report.pk])
    assert client.get(url)["Location"] == infra_report.get_absolute_url()
    client.post(url, form_data(infra_report, investment="5"))
    assert ProgressReport.objects.get(pk=infra_report.pk).investment == 0


def test_reopening_an_accepted_report_needs_a_reason(client_for, infra_report, nov_20):
    ProgressReport.objects.filter(pk=infra_report.pk).update(status=ReportStatus.ACCEPTED)
    officer = client_for("officer")
    review = reverse("reporting:review", args=[infra_report.pk])
    officer.post(review, {"action": "reopen", "version": 1, "comment": ""})
    assert ProgressReport.objects.get(pk=infra_report.pk).status == ReportStatus.ACCEPTED
    officer.post(review, {"action": "reopen", "version": 1, "comment": "投资数据有误"})
    report = ProgressReport.objects.get(pk=infra_report.pk)
    assert report.status == ReportStatus.RETURNED
    assert report.events.last().comment == "投资数据有误"


def test_the_centre_answers_a_coordination_item_and_the_subsidiary_sees_it(
    client_for, infra_report, personas, nov_20
):
    item = CoordinationItem.objects.create(
        report=infra_report, project=infra_report.project, subject="协调交通导改审批"
    )
    assert (
        client_for("reporter")
        .post(item.get_absolute_url(), {"action": "answer", "comment": "我来回答"})
        .status_code
        == 403
    )
    officer = client_for("officer")
    officer.post(item.get_absolute_url(), {"action": "answer", "comment": "已约交警部门会商"})
    item.refresh_from_db()
    assert (item.status, item.answered_by) == (CoordinationStatus.ANSWERED, personas["officer"])
    inbox = client_for("reporter").get(reverse("reporting:inbox"), follow=True)
    answered = inbox.context["sections"]["reporting.coordination_answered"]
    assert item.pk in [row.pk for row in answered.items]
    client_for("reporter").post(item.get_absolute_url(), {"action": "close"})
    item.refresh_from_db()
    assert item.status == CoordinationStatus.CLOSED
    assert client_for("reporter2").get(item.get_absolute_url()).status_code == 404


def test_the_navigation_counts_what_waits(client_for, infra_report, housing_report):
    ProgressReport.objects.filter(pk=housing_report.pk).update(status=ReportStatus.SUBMITTED)
    reporter_html = client_for("reporter").get(reverse("home")).content.decode()
    assert 'data-testid="badge-inbox">1<' in reporter_html  # infra's draft
    officer_html = client_for("officer").get(reverse("home")).content.decode()
    assert 'data-testid="badge-inbox">1<' in officer_html  # housing's submitted report
    assert (
        'data-testid="badge-inbox"'
        not in client_for("leader").get(reverse("home")).content.decode()
    )


@pytest.mark.parametrize("count", [2, 20])
def test_the_inbox_and_list_cost_the_same_queries_for_2_or_20_reports(
    client_for, orgs, count, django_assert_num_queries, nov_20
):
    period = ReportingPeriodFactory(year=2026, month=10)
    for index in range(count):
        project = ProjectFactory(owner=orgs["infra"])
        ProgressReportFactory(
            project=project,
            period=period,
            status=ReportStatus.RETURNED if index % 2 else ReportStatus.DRAFT,
        )
    client = client_for("reporter")
    # user; every inbox source's rows in one UNION ALL (portal.inbox), which also refreshes the
    # badge's cache, so the navigation's badge costs nothing; the bell (unread notifications).
    # The session comes from the cache.
    with django_assert_num_queries(3):
        response = client.get(reverse("inbox"))
    sections = response.context["sections"]
    assert sections["reporting.to_fill"].count + sections["reporting.returned"].count == count
    # count, page, period and owner choices of the filter (the user's row, the badge and the
    # bell come from the cache now).
    with django_assert_num_queries(4):
        response = client.get(reverse("reporting:list"))
    assert response.context["paginator"].count == count


def test_the_detail_costs_a_fixed_number_of_queries(
    client_for, infra_report, nov_20, django_assert_num_queries
):
    for index in range(4):
        CoordinationItem.objects.create(
            report=infra_report, project=infra_report.project, subject=f"事项{index}"
        )
        infra_report.problems.create(description=f"问题{index}")
    client = client_for("officer")
    # user, the report with its figures, problems, coordination items, events, milestones
    # reached, the inbox badge with the bell's unread notifications (one query); the session
    # comes from the cache.
    with django_assert_num_queries(7):
        client.get(infra_report.get_absolute_url())


def test_a_future_period_form_says_it_has_not_started(client_for, infra_project, nov_20):
    december = ReportingPeriodFactory(year=2026, month=12)
    report = ProgressReportFactory(project=infra_project, period=december)
    response = client_for("reporter").post(
        reverse("reporting:edit", args=[report.pk]), form_data(report)
    )
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in response.content.decode()


@pytest.mark.parametrize("persona", ["leader", "officer", "reporter", "reporter2"])
def test_the_report_list_exports_the_filtered_scope_to_excel(
    client_for, persona, infra_report, housing_report
):
    import io

    import openpyxl

    response = client_for(persona).get(reverse("reporting:list"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "项目编号"
    assert {row[1] for row in rows[1:]} == visible_codes(persona)
