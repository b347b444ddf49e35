"""Every page a reporter uses fits a 390 px phone: nothing wider than the screen but the tables,
which scroll inside their own box; long names and words wrap."""

import datetime
from decimal import Decimal

import pytest

from reporting.choices import ReportStatus
from reporting.models import ReportProblem
from tests.factories import ProgressReportFactory, ProjectFactory, ReportingPeriodFactory

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
