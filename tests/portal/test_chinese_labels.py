"""English that showed through the Chinese interface: the sort field's descending options and
the administration's model names."""

import pytest
from django.contrib import admin
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "label"),
    [("/projects/", "编号（降序）"), ("/reports/", "填报期（降序）")],
)
def test_it_labels_descending_sort_options_in_chinese(client_for, url, label):
    body = client_for("reporter").get(url).content.decode()
    assert label in body
    assert "(descending)" not in body


def test_it_names_the_portals_models_in_chinese_in_the_administration():
    # django-axes (the login throttling) ships no zh_Hans catalog: its names stay English.
    ours = [m for m in admin.site._registry if m._meta.app_label != "axes"]
    with translation.override("zh-hans"):
        english = [
            f"{m._meta.app_label}.{m.__name__}: {m._meta.verbose_name_plural}"
            for m in ours
            if str(m._meta.verbose_name_plural).isascii()
        ]
    assert english == []


def test_the_login_throttling_models_have_chinese_names_in_the_admin():
    from axes.models import AccessAttempt, AccessLog

    with translation.override("zh-hans"):
        assert str(AccessAttempt._meta.verbose_name_plural) == "登录尝试"
        assert str(AccessLog._meta.verbose_name_plural) == "登录日志"
