"""Filter backends of the API (settings.REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]).

A module of its own: DRF imports the default backends while `rest_framework.generics` loads,
so it must not import views.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions, filters


class StrictOrderingFilter(filters.OrderingFilter):
    """`?ordering=` with a field the list does not sort by answers 400 naming the choices,
    instead of DRF's silent fallback to the default order."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw:
            terms = [term.strip() for term in raw.split(",") if term.strip()]
            valid = self.remove_invalid_fields(queryset, terms, view, request)
            unknown = [term for term in terms if term not in valid]
            if unknown:
                choices = [name for name, _label in self.get_valid_fields(
                    queryset, view, {"request": request}
                )]  # fmt: skip
                message = _("Cannot sort by %(names)s; choose from: %(choices)s.") % {
                    "names": ", ".join(unknown),
                    "choices": ", ".join(choices),
                }
                raise exceptions.ValidationError({self.ordering_param: [message]})
        return super().get_ordering(request, queryset, view)
