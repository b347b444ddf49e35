import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.forms import FilterForm, PortalFilterSet
from preliminary import selectors
from preliminary.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    BoardState,
    NationalStage,
    PermitStatus,
    WarningKind,
)
from preliminary.models import PermitItem, PermitType
from projects.filters import OrderingFilter
from projects.selectors import visible_owners


class PermitItemFilterSet(PortalFilterSet):
    """Filters of the centre's board, its Excel export and the API's item list."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    owner = django_filters.ChoiceFilter(
        field_name="project__owner__code", choices=[], label=_("Subsidiary"), empty_label=_("All")
    )
    type = django_filters.ChoiceFilter(
        field_name="permit_type__code", choices=[], label=_("Permit type"), empty_label=_("All")
    )
    stage = django_filters.ChoiceFilter(
        field_name="permit_type__stage", choices=NationalStage.choices, label=_("National stage"),
        empty_label=_("All"),
    )  # fmt: skip
    state = django_filters.ChoiceFilter(
        method="filter_state", choices=BoardState.choices, label=_("Progress"),
        empty_label=_("All"),
    )  # fmt: skip
    status = django_filters.MultipleChoiceFilter(choices=PermitStatus.choices, label=_("Status"))
    warning = django_filters.ChoiceFilter(
        method="filter_warning", choices=WarningKind.choices, label=_("Warning"),
        empty_label=_("All"),
    )  # fmt: skip
    project = django_filters.CharFilter(field_name="project__code", label=_("Project code"))
    o = OrderingFilter(
        empty_label=_("Default"),
        fields=(("project__code", "project"), ("permit_type__order", "type"),
                ("planned_date", "planned_date"), ("submitted_date", "submitted_date"),
                ("approved_date", "approved_date"), ("valid_until", "valid_until")),
        field_labels={"project__code": _("Project"), "permit_type__order": _("Permit type"),
                      "planned_date": pgettext_lazy("permit", "Planned"),
                      "submitted_date": _("Submitted"), "approved_date": _("Approved"),
                      "valid_until": _("Valid until")},
        label=_("Sort by"),
    )  # fmt: skip

    class Meta:
        model = PermitItem
        form = FilterForm
        fields = ["q", "owner", "type", "stage", "state", "status", "warning", "project"]

    def user_choices(self):
        types = PermitType.objects.order_by("order", "code").values_list("code", "name")
        return {
            "owner": [(o.code, str(o)) for o in visible_owners(user=self.request.user)],
            "type": list(types),
        }

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(project__code__icontains=value) | Q(project__name__icontains=value)
            | Q(document_number__icontains=value)
        )  # fmt: skip

    def filter_state(self, queryset, name, value):
        statuses = OPEN_STATUSES if value == BoardState.OPEN else DONE_STATUSES
        return queryset.filter(status__in=statuses)

    def filter_warning(self, queryset, name, value):
        return queryset.filter(selectors.warning_q(value, timezone.localdate()))
