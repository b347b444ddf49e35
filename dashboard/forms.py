from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import FilterForm
from projects.choices import Category


class CockpitFilterForm(FilterForm):
    """The cockpit's filters. Choices depend on the reader: the years that have rollups and the
    subsidiaries they may see. A bad value is refused at the field and the page shows the
    default instead of an error page."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    organisation = forms.ChoiceField(label=_("Subsidiary"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("All")), *Category.choices])  # fmt: skip
    is_key = forms.TypedChoiceField(
        label=_("Key project"), required=False, empty_value=None,
        coerce=lambda value: value == "true",
        choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))],
    )  # fmt: skip

    def __init__(self, *args, years, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["organisation"].choices = [
            ("", _("All")),
            *[(o.code, o.short_name) for o in organisations],
        ]
        self.organisations = {o.code: o for o in organisations}
