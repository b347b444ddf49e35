import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.forms import FilterForm, PortalFilterSet, StrictBooleanFilter
from projects import selectors
from projects.choices import Category, Stage
from projects.models import Project


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter's sort field, its "(descending)" label taken from the portal's catalog:
    django-filter ships zh_CN, which Django's zh-hans does not read."""

    descending_fmt = _("%s (descending)")


class ProjectFilterSet(PortalFilterSet):
    """Filters of the project list; the HTML list and the API use this same class."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    owner = django_filters.ChoiceFilter(
        field_name="owner__code", choices=[], label=_("Subsidiary"), empty_label=_("All")
    )
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, label=_("Stage"))
    category = django_filters.ChoiceFilter(
        choices=Category.choices, label=_("Category"), empty_label=_("All")
    )
    is_key = StrictBooleanFilter(label=_("Key project"))
    district = django_filters.ChoiceFilter(choices=[], label=_("District"), empty_label=_("All"))
    o = OrderingFilter(
        empty_label=_("Default"),
        fields=(
            ("code", "code"),
            ("name", "name"),
            ("owner__order", "owner"),
            ("total_investment", "total_investment"),
            ("stage", "stage"),
            ("planned_finish", "planned_finish"),
            ("updated_at", "updated_at"),
        ),
        field_labels={
            "code": _("Code"),
            "name": _("Name"),
            "owner__order": _("Subsidiary"),
            "total_investment": _("Total investment"),
            "stage": _("Stage"),
            "planned_finish": _("Planned finish"),
            "updated_at": _("Last updated"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Project
        form = FilterForm
        fields = ["q", "owner", "stage", "category", "is_key", "district"]

    def user_choices(self):
        user = self.request.user
        return {
            "owner": [(o.code, str(o)) for o in selectors.visible_owners(user=user)],
            "district": [(d, d) for d in selectors.district_choices(user=user)],
        }

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value)
            | Q(name__icontains=value)
            | Q(investor__icontains=value)
            | Q(end_user__icontains=value)
        )
