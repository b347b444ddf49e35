import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.forms import FilterForm, IntegerFilter, PortalFilterSet, StrictBooleanFilter
from projects.filters import OrderingFilter
from projects.selectors import visible_owners
from reporting.choices import PeriodKind, ReportStatus
from reporting.models import ProgressReport, ReportingPeriod
from reporting.selectors import periods_recent


class ReportFilterSet(PortalFilterSet):
    """Filters of the report list; the HTML list, its Excel export and the API use this class."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    period = django_filters.ChoiceFilter(
        method="filter_period", choices=[], label=_("Period"), empty_label=_("All")
    )
    owner = django_filters.ChoiceFilter(
        field_name="project__owner__code", choices=[], label=_("Subsidiary"), empty_label=_("All")
    )
    status = django_filters.MultipleChoiceFilter(choices=ReportStatus.choices, label=_("Status"))
    is_key = StrictBooleanFilter(field_name="project__is_key", label=_("Key project"))
    o = OrderingFilter(
        empty_label=_("Default"),
        fields=(("period__start", "period"), ("project__code", "project"),
                ("investment", "investment"), ("submitted_at", "submitted_at")),
        field_labels={"period__start": _("Period"), "project__code": _("Project"),
                      "investment": _("Investment"), "submitted_at": _("Submitted")},
        label=_("Sort by"),
    )  # fmt: skip

    class Meta:
        model = ProgressReport
        form = FilterForm
        fields = ["q", "period", "owner", "status", "is_key"]

    def user_choices(self):
        return {
            "period": [(p.code, str(p)) for p in periods_recent()],
            "owner": [(o.code, str(o)) for o in visible_owners(user=self.request.user)],
        }

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(project__code__icontains=value)
                               | Q(project__name__icontains=value))  # fmt: skip

    def filter_period(self, queryset, name, value):
        return queryset.filter(**ReportingPeriod.lookup_for_code(value, prefix="period__"))


class PeriodFilterSet(django_filters.FilterSet):
    """Filters of the API's period list; a year or month out of range is refused (400)."""

    kind = django_filters.ChoiceFilter(choices=PeriodKind.choices)
    year = IntegerFilter(min_value=1, max_value=9999)
    month = IntegerFilter(min_value=1, max_value=12)

    class Meta:
        model = ReportingPeriod
        fields = ["kind", "year", "month"]
