import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from design.choices import ChangeKind, ChangeStatus, StageKind, StageOutcome, Tier
from design.models import DesignChange, DesignStage
from portal.forms import FilterForm, PortalFilterSet
from projects.filters import OrderingFilter
from projects.selectors import visible_owners


class ChangeFilterSet(PortalFilterSet):
    """Filters of the design-change register; the page, its Excel export and the API use it."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    owner = django_filters.ChoiceFilter(
        field_name="project__owner__code", choices=[], label=_("Subsidiary"), empty_label=_("All")
    )
    project = django_filters.CharFilter(field_name="project__code", label=_("Project code"))
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices, label=_("Tier"))
    status = django_filters.MultipleChoiceFilter(choices=ChangeStatus.choices, label=_("Status"))
    kind = django_filters.MultipleChoiceFilter(choices=ChangeKind.choices, label=_("Type"))
    o = OrderingFilter(
        empty_label=_("Default"),
        fields=(("created_at", "created"), ("project__code", "project"),
                ("amount_requested", "requested"), ("amount_approved", "approved"),
                ("submitted_at", "submitted")),
        field_labels={"created_at": _("Raised"), "project__code": _("Project"),
                      "amount_requested": _("Amount requested"),
                      "amount_approved": _("Amount approved"), "submitted_at": _("Submitted")},
        label=_("Sort by"),
    )  # fmt: skip

    class Meta:
        model = DesignChange
        form = FilterForm
        fields = ["q", "owner", "project", "tier", "status", "kind"]

    def user_choices(self):
        return {"owner": [(o.code, str(o)) for o in visible_owners(user=self.request.user)]}

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(project__code__icontains=value)
            | Q(project__name__icontains=value)
            | Q(contract_name__icontains=value)
        )


class StageFilterSet(django_filters.FilterSet):
    """Filters of the API's stage list."""

    project = django_filters.CharFilter(field_name="project__code", label=_("Project code"))
    kind = django_filters.ChoiceFilter(choices=StageKind.choices)
    outcome = django_filters.ChoiceFilter(choices=StageOutcome.choices)

    class Meta:
        model = DesignStage
        fields = ["project", "kind", "outcome"]
