"""Every page a reporter uses fits a 390 px phone: nothing wider than the screen but the tables,
which scroll inside their own box; long names and words wrap."""

import datetime
from decimal import Decimal

import pytest

from dashboard import services
from reporting.choices import ReportStatus
from reporting.models import ReportProblem
from tests.factories import (
    AnnualPlanFactory,
    MilestoneFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LONG_NAME = "滨江新区城市更新暨滨河大道快速化改造及沿线综合管廊、排水防涝与景观提升一体化工程"
LONG_UNIT = "ABCDEFGHIJ" * 10  # a responsible unit of 100 characters typed without a space

# What sticks out of the page, other than what scrolls inside a .table-responsive box.
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(e => !e.closest('.table-responsive, template') && e.getBoundingClientRect().right > 391)
    .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))"""


@pytest.fixture
def reports(orgs, personas):
    project = ProjectFactory(owner=orgs["infra"], code="JC-2026-001", name=LONG_NAME)
    ProjectFactory(owner=orgs["infra"], code="JC-2026-002", name="滨河大道二期")
    draft = ProgressReportFactory(project=project, period=ReportingPeriodFactory(month=10))
    accepted = ProgressReportFactory(
        project=project,
        period=ReportingPeriodFactory(month=9),
        status=ReportStatus.ACCEPTED,
        investment=Decimal("1234567.89"),
        progress_text="主体结构施工" * 20,
        progress_pct=Decimal("35"),
    )
    ReportProblem.objects.create(
        report=accepted,
        description="电力迁改未完成，" * 20,
        responsible_unit=LONG_UNIT,
        responsible_person="张三",
        deadline=datetime.date(2026, 12, 31),
    )
    return {"draft": draft, "accepted": accepted}


def fits(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (path, width, page.evaluate(WIDER_THAN_THE_SCREEN))


def test_a_reporters_pages_fit_a_phone(page, login, reports):
    page.set_viewport_size(PHONE)
    login("reporter")
    for path in [
        "/",
        "/inbox/",
        "/reports/",
        reports["accepted"].get_absolute_url(),
        reports["draft"].get_absolute_url(),
        f"/reports/{reports['draft'].pk}/edit/",
        "/reports/excel/upload/",
        "/notifications/",
    ]:
        fits(page, path)

    # The Excel batch's preview: the template downloaded and uploaded as it is.
    template = page.request.get("/reports/excel/template/?period=2026-10")
    assert template.ok
    page.goto("/reports/excel/upload/")
    page.select_option("select[name=period]", "2026-10")
    page.set_input_files(
        "input[type=file]",
        {"name": "reports.xlsx", "mimeType": "application/octet-stream", "buffer": template.body()},
    )
    page.get_by_test_id("upload-form").locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/reports/excel/upload/" not in url)
    fits(page, page.url)


def test_the_problems_heading_does_not_cover_the_first_label(page, login, reports):
    page.set_viewport_size(PHONE)
    login("reporter")
    page.goto(f"/reports/{reports['draft'].pk}/edit/")
    heading = page.locator("[data-formset=problems] h2").bounding_box()
    label = page.locator("label[for=id_problems-0-description]").bounding_box()
    assert heading["y"] + heading["height"] <= label["y"]


def test_a_long_responsible_unit_wraps_in_its_cell(page, login, reports):
    page.set_viewport_size(PHONE)
    login("reporter")
    page.goto(reports["accepted"].get_absolute_url())
    cell = page.locator("td", has_text=LONG_UNIT).bounding_box()
    assert cell["width"] < PHONE["width"] / 2


@pytest.fixture
def cockpit(orgs, personas):
    """A rolled-up group: a long-named red project of infra and a project of housing."""
    today = datetime.date.today()
    late = ProjectFactory(owner=orgs["infra"], code="JC-2026-009", name=LONG_NAME, is_key=True,
                          actual_start=datetime.date(2025, 3, 1),
                          latitude=Decimal("24.48"), longitude=Decimal("118.08"))  # fmt: skip
    MilestoneFactory(project=late, name="主线桥梁合龙" * 4,
                     deadline=today - datetime.timedelta(days=20))  # fmt: skip
    fine = ProjectFactory(owner=orgs["housing"], code="BZ-2026-002", name="望江保障性住房项目",
                          actual_start=datetime.date(2025, 3, 1),
                          latitude=Decimal("24.50"), longitude=Decimal("118.10"))  # fmt: skip
    period = ReportingPeriodFactory(year=today.year, month=1)
    for project, plan in ((late, "100000000"), (fine, "10000000")):
        AnnualPlanFactory(project=project, year=today.year, planned_investment=Decimal(plan))
        ProgressReportFactory(project=project, period=period, investment=Decimal("1000000"),
                              status="accepted")  # fmt: skip
    services.rollup_full()
    return late


def test_the_cockpit_and_its_drill_down_fit_a_phone(page, login, cockpit):
    page.set_viewport_size(PHONE)
    login("leader")
    for path in ["/dashboard/", "/dashboard/?organisation=infra",
                 f"/dashboard/projects/{cockpit.pk}/"]:  # fmt: skip
        fits(page, path)
        # The charts drew at the phone's width, and the cards stack one or two a row.
        page.wait_for_selector(".cockpit-chart svg")
        for box in page.locator(".cockpit-chart svg").all():
            assert box.bounding_box()["width"] <= PHONE["width"]
    page.goto("/dashboard/")
    cards = page.get_by_test_id("kpi-cards").locator(".kpi-card")
    assert cards.first.bounding_box()["width"] <= PHONE["width"] / 2
    # The tables scroll in their own box rather than widening the page.
    red_list = page.get_by_test_id("red-list")
    assert red_list.locator("xpath=..").get_attribute("class") == "table-responsive"
    # Turning the phone redraws the charts at the new width.
    page.set_viewport_size({"width": 844, "height": 390})
    page.wait_for_timeout(400)
    width = page.locator("#chart-monthly svg").bounding_box()["width"]
    assert width > PHONE["width"]
