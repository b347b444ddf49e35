from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PermitStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    PREPARING = "preparing", _("Preparing")
    SUBMITTED = "submitted", pgettext_lazy("permit status", "Submitted")
    APPROVED = "approved", _("Approved")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


# Still to be obtained: what "open", "overdue" and the board count.
OPEN_STATUSES = (PermitStatus.NOT_STARTED, PermitStatus.PREPARING, PermitStatus.SUBMITTED)
# Done: approved, or set aside with a reason. A dependency in one of these no longer blocks.
DONE_STATUSES = (PermitStatus.APPROVED, PermitStatus.NOT_APPLICABLE)


class Applicability(models.TextChoices):
    """Which projects need a permit type (DOMAIN.md §1, the size rule; limits in PermitRules)."""

    ALWAYS = "always", _("Every project")
    PROPOSAL = "proposal", _("From the proposal threshold (large projects)")
    FEASIBILITY = "feasibility", _("From the feasibility threshold")
    CONSTRUCTION_PERMIT = (
        "construction_permit",
        _("Construction permit (exempt under the small-works limits)"),
    )


class NationalStage(models.IntegerChoices):
    APPROVAL = 1, _("1 · Project approval and land planning")
    WORKS_PERMIT = 2, _("2 · Works planning permit")
    CONSTRUCTION = 3, _("3 · Construction permit")
    COMPLETION = 4, _("4 · Completion acceptance")


class WarningKind(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    EXPIRING = "expiring", _("Expiring")
    STUCK = "stuck", _("Stuck")


class BoardState(models.TextChoices):
    OPEN = "open", _("Still to obtain")
    DONE = "done", _("Approved or not applicable")
