"""The registry's history tells the truth: only real changes, by whoever made them, in the
page's labels and units (portal.history)."""

import datetime
import re
from decimal import Decimal

from django.urls import reverse

from projects import services
from projects.models import Project
from tests.projects.test_amounts import as_posted


def shown(html: str) -> list[str]:
    """The history's change lines as a reader sees them."""
    section = html.split('data-testid="history"', 1)[1]
    return [re.sub(r"<[^>]+>", "", line).strip()
            for line in re.findall(r"<li>(.*?)</li>", section)]  # fmt: skip


def test_it_records_nothing_for_an_api_patch_with_the_same_values(api_for, infra_project):
    records = infra_project.history.count()
    url = reverse("api-project-detail", args=[infra_project.pk])
    same = {"name": infra_project.name, "stage": infra_project.stage,
            "total_investment": str(infra_project.total_investment)}  # fmt: skip
    assert api_for("officer").patch(url, same, format="json").status_code == 200
    assert infra_project.history.count() == records


def test_it_records_nothing_for_a_service_save_with_the_same_values(personas, infra_project):
    records = infra_project.history.count()
    project = Project.objects.get(pk=infra_project.pk)
    services.project_update(actor=personas["officer"], project=project, name=project.name,
                            total_investment=str(project.total_investment))  # fmt: skip
    assert infra_project.history.count() == records


def test_it_records_nothing_for_the_form_saved_unchanged(client_for, infra_project):
    client = client_for("officer")
    url = reverse("projects:update", args=[infra_project.pk])
    records = infra_project.history.count()
    assert client.post(url, as_posted(client.get(url).context["form"])).status_code == 302
    assert infra_project.history.count() == records


def test_a_change_is_one_entry_by_its_author_in_labels_and_units(
    client_for, personas, infra_project
):
    client = client_for("officer")
    url = reverse("projects:update", args=[infra_project.pk])
    records = infra_project.history.count()
    data = {**as_posted(client.get(url).context["form"]), "total_investment": "13,000.5",
            "is_key": "on", "project_manager": personas["manager"].pk,
            "planned_start": "2026-03-01"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    assert infra_project.history.count() == records + 1
    detail = client.get(infra_project.get_absolute_url())
    entry = detail.context["history"][0]
    assert entry["user"] == personas["officer"]
    changes = {c["label"]: (c["old"], c["new"]) for c in entry["changes"]}
    assert changes["总投资（万元）"] == ("12,000.00", "13,000.50")
    assert changes["重点项目"] == ("否", "是")
    assert changes["项目经理"] == ("—", str(personas["manager"]))
    assert changes["计划开工日期"][1] == "2026-03-01"
    lines = shown(detail.content.decode())
    assert "总投资（万元）: 12,000.00 → 13,000.50" in lines
    assert "重点项目: 否 → 是" in lines


def test_a_change_made_without_history_is_the_systems_not_the_next_savers(
    client_for, personas, infra_project
):
    # The seed sets these with a queryset update, which leaves no history row.
    Project.objects.filter(pk=infra_project.pk).update(
        opening_investment=Decimal("11135468.00"), reports_ten_daily=True
    )
    client = client_for("officer")
    url = reverse("projects:update", args=[infra_project.pk])
    data = {**as_posted(client.get(url).context["form"]), "stage": "completed"}
    assert client.post(url, data).status_code == 302
    detail = client.get(infra_project.get_absolute_url())
    mine, systems = detail.context["history"][:2]
    assert mine["user"] == personas["officer"]
    assert [c["name"] for c in mine["changes"]] == ["stage"]
    assert systems["user"] is None
    assert {c["label"]: (c["old"], c["new"]) for c in systems["changes"]} == {
        "系统填报前累计完成投资（万元）": ("0.00", "1,113.55"),
        "按旬填报": ("否", "是"),
    }
    html = detail.content.decode()
    assert "系统填报前累计完成投资（万元）: 0.00 → 1,113.55" in shown(html)
    assert "True" not in shown(html) and "11135468" not in html


def test_a_record_that_changed_nothing_is_not_shown(client_for, personas, infra_project):
    # An empty "changed" row left by an older version of the portal.
    infra_project._history_date = datetime.datetime.now(datetime.UTC)
    Project.history.bulk_history_create([infra_project], update=True)
    page = client_for("officer").get(infra_project.get_absolute_url())
    assert [entry["kind"] for entry in page.context["history"]] == ["已创建"]
    assert "已修改" not in page.content.decode()
