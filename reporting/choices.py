from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Monthly")
    TEN_DAY = "ten_day", _("Ten-day")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class ReportAction(models.TextChoices):
    SAVE = "save", _("Saved")
    SUBMIT = "submit", _("Submitted")
    RESUBMIT = "resubmit", _("Resubmitted")
    RETURN = "return", _("Returned")
    ACCEPT = "accept", _("Accepted")
    REOPEN = "reopen", _("Reopened")
    IMPORT = "import", _("Imported from Excel")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class CoordinationStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the centre")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
