from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StageKind(models.TextChoices):
    """The design stages of DOMAIN.md §2, in the order a project goes through them."""

    SCHEME = "scheme", _("Scheme design")
    PRELIMINARY = "preliminary", _("Preliminary design and budget estimate")
    DRAWINGS = "drawings", _("Construction drawings and budget")
    REVIEW = "review", _("Construction drawing review")
    BRIEFING = "briefing", _("Design briefing")


STAGE_ORDER = {kind: index for index, kind in enumerate(StageKind.values)}


class StageOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    PASSED_WITH_COMMENTS = "passed_with_comments", _("Passed with comments")
    FAILED = "failed", pgettext_lazy("review outcome", "Failed")


DONE_OUTCOMES = frozenset({StageOutcome.PASSED, StageOutcome.PASSED_WITH_COMMENTS})


class ChangeKind(models.TextChoices):
    DESIGN_CHANGE = "design_change", _("Design change")
    SITE_INSTRUCTION = "site_instruction", _("Site instruction")
    CLAIM = "claim", _("Claim")


class Tier(models.TextChoices):
    """Who approves a change (DOMAIN.md §2; limits in DesignRules)."""

    MINOR = "minor", _("Minor (subsidiary)")
    MAJOR = "major", _("Major (centre)")
    CRITICAL = "critical", _("Critical (group meeting)")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    RECOMMENDED = "recommended", _("Waiting for the group meeting")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


# The subsidiary may edit a change in these; the approver decides in WAITING.
EDITABLE = (ChangeStatus.DRAFT, ChangeStatus.RETURNED)
WAITING = (ChangeStatus.SUBMITTED, ChangeStatus.RECOMMENDED)
