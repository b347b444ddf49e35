"""Limits on what a user sends, the same for a web form, the API and an Excel upload.

Free text (an explanation, a next step, a remark, a comment) is at most `text_max_length()`
characters (`settings.PORTAL["TEXT_MAX_LENGTH"]`, environment `PORTAL_TEXT_MAX_LENGTH`). Apply it
with `text_length_validator`, which reads the setting each time it runs (so a test's override
takes effect) and speaks Django's own translated message:

    forms.CharField(validators=[text_length_validator], ...)
    serializers.CharField(validators=[text_length_validator], ...)

A form that wants the browser's `maxlength` too passes `max_length=text_max_length()` when the
form is built, not at import.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator


def text_max_length() -> int:
    """The most characters a free-text value may carry."""
    return settings.PORTAL["TEXT_MAX_LENGTH"]


# A callable limit is read when the validator runs (Django's BaseValidator), not at import.
text_length_validator = MaxLengthValidator(text_max_length)
