"""Limits on what a user sends, the same for a web form, the API and an Excel upload.

Free text (an explanation, a next step, a remark, a comment) is at most `text_max_length()`
characters (`settings.PORTAL["TEXT_MAX_LENGTH"]`, environment `PORTAL_TEXT_MAX_LENGTH`). Apply it
with `text_length_validator`, which reads the setting each time it runs (so a test's override
takes effect) and speaks Django's own translated message:

    forms.CharField(validators=[text_length_validator], ...)
    serializers.CharField(validators=[text_length_validator], ...)

A form that wants the browser's `maxlength` too passes `max_length=text_max_length()` when the
form is built, not at import.

A date is between DATE_MIN and DATE_MAX (`date_range_validator`): a year typed as 0226 or 2226 is
a slip, not a plan. Every portal form (portal.forms.BootstrapFormMixin, which also tells the
browser's date picker) and every API serializer that takes dates (`bound_dates`) applies it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _


def text_max_length() -> int:
    """The most characters a free-text value may carry."""
    return settings.PORTAL["TEXT_MAX_LENGTH"]


# A callable limit is read when the validator runs (Django's BaseValidator), not at import.
text_length_validator = MaxLengthValidator(text_max_length)


# Wide enough for an asset built decades ago (the asset companies run them), narrow enough to
# catch a year typed 0226 or 2226.
DATE_MIN, DATE_MAX = datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)


def date_range_validator(value: datetime.date | None) -> None:
    if value is not None and not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            _("Enter a date between %(min)s and %(max)s."), code="date_range",
            params={"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()},
        )  # fmt: skip


def bound_dates(fields) -> None:
    """Add the date range to every writable DateField of a form's or serializer's `fields`."""
    from django import forms
    from rest_framework import serializers

    for field in fields.values():
        if not isinstance(field, forms.DateField | serializers.DateField):
            continue
        if getattr(field, "read_only", False) or date_range_validator in field.validators:
            continue
        field.validators.append(date_range_validator)
