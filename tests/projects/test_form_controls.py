"""What the project form offers each role looks like what it does."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(("persona", "disabled"), [("manager", True), ("officer", False)])
def test_the_ten_day_switch_is_shown_disabled_to_whom_it_is_not_given(
    client_for, infra_project, persona, disabled
):
    html = client_for(persona).get(reverse("projects:update", args=[infra_project.pk]))
    html = html.content.decode()
    box = (
        html.split('id="id_reports_ten_daily"')[0].rsplit("<input", 1)[1]
        + html.split('id="id_reports_ten_daily"')[1].split(">", 1)[0]
    )
    assert (" disabled" in box) == disabled
    assert ("由项目管理中心设置" in html) == disabled
