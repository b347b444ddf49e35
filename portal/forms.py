import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from portal.limits import DATE_MAX, DATE_MIN, bound_dates, text_length_validator, text_max_length


class PortalFormRenderer(TemplatesSetting):
    """Renders every form as Bootstrap fields, each with its own errors right under it."""

    form_template_name = "portal/forms/form.html"
    field_template_name = "portal/forms/field.html"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class BootstrapFormMixin:
    """Gives every widget its Bootstrap class, and marks fields with errors as invalid so the
    message under the field is shown in red (forms keep what the user typed as usual)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_dates(self.fields)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, DateInput):  # the browser's picker, within the same range
                widget.attrs.setdefault("min", DATE_MIN.isoformat())
                widget.attrs.setdefault("max", DATE_MAX.isoformat())
            if (isinstance(field, forms.CharField) and isinstance(widget, forms.Textarea)
                    and field.max_length is None):  # fmt: skip
                # Free text: the same limit as the API and Excel (portal.limits), told to the
                # browser too.
                field.max_length = text_max_length()
                field.validators.append(text_length_validator)
                widget.attrs["maxlength"] = str(field.max_length)
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"id_{name}_error"


class FilterForm(BootstrapFormMixin, forms.Form):
    """The form class of every FilterSet: compact Bootstrap widgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = css.replace(
                "form-select", "form-select form-select-sm"
            ).replace("form-control", "form-control form-control-sm")


class PortalFilterSet(django_filters.FilterSet):
    """Base of every FilterSet: Bootstrap widgets, and choices that depend on the user.

    `user_choices()` returns {filter name: choices} for this request; they are set on this
    request's form, never on the filter objects the class shares between requests. Choices are
    plain lists read once: a ModelChoiceField would query again for its `required` check.
    """

    def user_choices(self) -> dict[str, list[tuple[str, str]]]:
        return {}

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for name, choices in self.user_choices().items():
                form.fields[name].choices = choices
        return self._form


class StrictNullBooleanField(forms.NullBooleanField):
    """Yes, no or blank (all); anything else is an error at the field, not "all" in silence."""

    TRUE = frozenset({"true", "1", "yes"})
    FALSE = frozenset({"false", "0", "no"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(_("Choose yes (true) or no (false)."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter that refuses other values (400 in the API, a message on the page)."""

    field_class = StrictNullBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]),
        )
        super().__init__(*args, **kwargs)


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter: `1.5`, `1e3` or `-1.19e-07` are refused, not matched to nothing.
    Give it `min_value` / `max_value` to bound it to the column's range."""

    field_class = forms.IntegerField


class TransitionForm(BootstrapFormMixin, forms.Form):
    """One step of a record's workflow, as the shared partial posts it: the step's name (the
    button pressed), the comment, and the version the user read."""

    action = forms.ChoiceField(widget=forms.HiddenInput)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, model, **kwargs):
        from portal import workflow

        super().__init__(*args, **kwargs)  # the comment gets the free-text limit here
        self.transitions = {t.name: t for t in workflow.transitions_of(model)}
        self.fields["action"].choices = [(t.name, t.label) for t in self.transitions.values()]

    @property
    def transition(self):
        return self.transitions[self.cleaned_data["action"]]
