"""Preliminary work (前期工作): the catalogue of permit and approval types, the thresholds that
decide which a project needs, and each project's checklist of permit items with its workflow.

DOMAIN.md §1. The catalogue and the thresholds are edited by administrators; every rule reads
`PermitRules.current()` (portal.thresholds), so no limit is spelt twice.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.access import AccessPolicy, ScopedQuerySet, step
from portal.choices import Function, Role
from portal.files import Attachment
from portal.limits import text_length_validator
from portal.money import NOT_NEGATIVE, MoneyField
from portal.thresholds import Thresholds
from portal.workflow import Comment, FSMField, WorkflowEvent
from portal.workflow import step as transition
from preliminary.choices import Applicability, NationalStage, PermitStatus
from projects.models import Project

# The owning subsidiary keeps its own items (dates, responsible person, note) and submits them
# to the issuer; centre officers holding the preliminary-work function do the same for any
# project, and they alone record the issuer's decision (approve, return, not applicable, extend).
FILLERS = (Role.REPORTER, Role.MANAGER)
CENTRE = step(group=[Role.OFFICER], function=Function.PRELIMINARY)
CENTRE_OR_OWNER = step(group=[Role.OFFICER], own=FILLERS, function=Function.PRELIMINARY)
PERMIT_POLICY = AccessPolicy(
    org_field="project__owner",
    group_change=frozenset({Role.OFFICER}),
    own_change=frozenset(FILLERS),
    function=Function.PRELIMINARY,
    steps={
        "start": CENTRE_OR_OWNER,
        "submit": CENTRE_OR_OWNER,
        "approve": CENTRE,
        "return": CENTRE,
        "not_applicable": CENTRE,
        "reinstate": CENTRE,
        "extend": CENTRE,
    },
)


class PermitRules(Thresholds):
    """The limits of preliminary work, in one admin-edited row (DOMAIN.md §1)."""

    proposal_from = MoneyField(
        _("project proposal needed from (yuan)"), default=Decimal("50000000"),
        validators=NOT_NEGATIVE,
        help_text=_("Projects of at least this total investment go through the project "
                    "proposal, the feasibility study and the preliminary design."),
    )  # fmt: skip
    feasibility_from = MoneyField(
        _("feasibility study needed from (yuan)"), default=Decimal("15000000"),
        validators=NOT_NEGATIVE,
        help_text=_("From this amount up to the proposal threshold: feasibility study and "
                    "preliminary design, no proposal. Below it: preliminary design only."),
    )  # fmt: skip
    exempt_below_yuan = MoneyField(
        _("construction permit exempt under (yuan)"),
        default=Decimal("300000"),
        validators=NOT_NEGATIVE,
    )
    exempt_below_m2 = models.DecimalField(
        _("construction permit exempt under (m²)"), max_digits=12, decimal_places=2,
        default=Decimal("300"), validators=[MinValueValidator(0)],
        help_text=_("A project under either limit needs no construction permit; a project "
                    "without a floor area (roads, bridges, networks) is judged by its amount."),
    )  # fmt: skip
    provincial_target_days = models.PositiveSmallIntegerField(
        _("provincial target (working days)"), default=100,
        help_text=_("Jiangsu: all approvals of a project within 100 working days."),
    )  # fmt: skip
    national_target_days = models.PositiveSmallIntegerField(
        _("national target (working days)"), default=120,
        help_text=_("Shown as a note; the warning uses the provincial target."),
    )  # fmt: skip
    expiry_warning_days = models.PositiveSmallIntegerField(
        _("warn before expiry (days)"), default=30
    )
    start_window_months = models.PositiveSmallIntegerField(
        _("construction must start within (months)"), default=3,
        validators=[MinValueValidator(1)],
    )  # fmt: skip
    max_extensions = models.PositiveSmallIntegerField(
        _("extensions of the construction permit, at most"), default=2
    )
    extension_months = models.PositiveSmallIntegerField(
        _("months per extension"), default=3, validators=[MinValueValidator(1)]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("preliminary-work thresholds")
        verbose_name_plural = _("preliminary-work thresholds")


class PermitType(models.Model):
    """One kind of permit or approval of the national sequence (项目建议书批复, 施工许可证, …):
    who issues it, where it sits in the sequence, how long it typically takes, how long it
    stays valid, which types must be done before it, and which projects need it."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    issuer = models.CharField(_("issuer"), max_length=100)
    stage = models.PositiveSmallIntegerField(
        _("national stage"), choices=NationalStage.choices, default=NationalStage.APPROVAL
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    typical_days = models.PositiveSmallIntegerField(
        _("typical working days"), default=20,
        help_text=_("An item longer than this in one status is shown as stuck."),
    )  # fmt: skip
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"), null=True, blank=True,
        help_text=_("Empty: does not expire. The construction permit's start window is set in "
                    "the thresholds."),
    )  # fmt: skip
    depends_on = models.ManyToManyField(
        "self", verbose_name=_("needs first"), symmetrical=False, blank=True,
        related_name="needed_by",
    )  # fmt: skip
    applicability = models.CharField(
        _("needed by"), max_length=24, choices=Applicability.choices,
        default=Applicability.ALWAYS,
    )  # fmt: skip
    note = models.TextField(_("note"), blank=True, validators=[text_length_validator])
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Inactive types are not added to new checklists; existing items stay."),
    )  # fmt: skip

    history = HistoricalRecords(m2m_fields=[depends_on])

    class Meta:
        verbose_name = _("permit type")
        verbose_name_plural = _("permit types")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_construction_permit(self) -> bool:
        return self.applicability == Applicability.CONSTRUCTION_PERMIT


class PermitItem(models.Model):
    """One permit or approval a project needs: one per project and applicable type.

    Invariants (services.permit_validate, with messages at the fields): an approved item has
    its document number and approval date; the approval date is not in the future and not
    before the submission date; the submission date is not in the future; valid-until is not
    before the approval. Every change is kept in the history; `version` is the optimistic lock.
    """

    access_policy = PERMIT_POLICY
    workflow_event_model = "preliminary.PermitEvent"

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="permits"
    )
    permit_type = models.ForeignKey(
        PermitType, verbose_name=_("permit type"), on_delete=models.PROTECT, related_name="items"
    )
    status = FSMField(
        _("status"), max_length=16, choices=PermitStatus.choices,
        default=PermitStatus.NOT_STARTED, db_index=True,
    )  # fmt: skip
    status_since = models.DateField(_("in this status since"), default=timezone.localdate)
    planned_date = models.DateField(_("planned approval date"), null=True, blank=True)
    submitted_date = models.DateField(_("submitted on"), null=True, blank=True)
    approved_date = models.DateField(_("approved on"), null=True, blank=True)
    document_number = models.CharField(
        _("document number"), max_length=100, blank=True,
        help_text=_("The approval's reference, e.g. 滨发改审批〔2025〕118号."),
    )  # fmt: skip
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True,
        help_text=_("Set from the type's validity when approved; the officer may correct it."),
    )  # fmt: skip
    extensions = models.PositiveSmallIntegerField(
        _("extensions"), default=0, validators=[MaxValueValidator(99)]
    )
    responsible = models.CharField(_("responsible person"), max_length=50, blank=True)
    note = models.TextField(_("note"), blank=True, validators=[text_length_validator])
    return_comment = models.TextField(_("returned because"), blank=True)
    not_applicable_reason = models.TextField(_("not applicable because"), blank=True)
    override_reason = models.TextField(_("approved before its prerequisites because"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("permit item")
        verbose_name_plural = _("permit items")
        ordering = ["project__code", "permit_type__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "permit_type"], name="permit_one_per_type")
        ]
        indexes = [
            models.Index(fields=["status", "planned_date"]),
            models.Index(fields=["status", "valid_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.permit_type.name}"

    def get_absolute_url(self) -> str:
        return reverse("preliminary:item", args=[self.pk])

    @property
    def extendable(self) -> bool:
        """A construction permit whose works have not started: its start window may be
        extended (the number of extensions is the step's check, with its message)."""
        return self.permit_type.is_construction_permit and self.project.actual_start is None

    @property
    def attachments_locked(self) -> bool:
        """An approved item's scans are the approval's evidence (portal.files keeps them)."""
        return self.status == PermitStatus.APPROVED

    @property
    def is_open(self) -> bool:
        return self.status in (
            PermitStatus.NOT_STARTED,
            PermitStatus.PREPARING,
            PermitStatus.SUBMITTED,
        )

    # --- the workflow (portal.workflow) ------------------------------------------------------
    # Each method changes the row in memory only; the kit claims, saves and records the event.

    def _entered(self, kwargs) -> None:
        self.status_since = kwargs.get("today") or timezone.localdate()

    @transition(
        source=PermitStatus.NOT_STARTED, target=PermitStatus.PREPARING,
        label=_("Start preparing"), comment=Comment.NONE, style="outline-primary",
        done=_("%(object)s: preparation started."),
    )  # fmt: skip
    def start(self, *, actor, comment="", **kwargs) -> None:
        self._entered(kwargs)

    @transition(
        source=[PermitStatus.NOT_STARTED, PermitStatus.PREPARING],
        target=PermitStatus.SUBMITTED, label=_("Submit to the issuer"), comment=Comment.NONE,
        done=_("%(object)s was recorded as submitted to the issuer."),
        checks=["preliminary.services.permit_check_submit"],
        notify="preliminary.services.permit_officers",
    )  # fmt: skip
    def submit(self, *, actor, comment="", **kwargs) -> None:
        today = kwargs.get("today") or timezone.localdate()
        if self.submitted_date is None:
            self.submitted_date = today
        self.return_comment = ""
        self._entered(kwargs)

    @transition(
        source=PermitStatus.SUBMITTED, target=PermitStatus.APPROVED, label=_("Approve"),
        style="success", comment_label=_("Why approve before its prerequisites"),
        comment_help=_("Needed only when an item it depends on is not approved yet: the reason "
                       "is recorded."),
        done=_("%(object)s was recorded as approved."),
        checks=["preliminary.services.permit_check_approve"],
        notify="preliminary.services.permit_owners",
    )  # fmt: skip
    def approve(self, *, actor, comment="", **kwargs) -> None:
        from preliminary import services  # the model names its rules; services import models

        today = kwargs.get("today") or timezone.localdate()
        self.override_reason = services.permit_order_override(self, comment)
        self.document_number = (kwargs.get("document_number") or self.document_number).strip()
        self.approved_date = kwargs.get("approved_date") or self.approved_date or today
        self.valid_until = kwargs.get("valid_until") or services.valid_until_for(
            self, self.approved_date
        )
        self.approved_by = actor
        self._entered(kwargs)

    @transition(
        source=PermitStatus.SUBMITTED, target=PermitStatus.PREPARING, label=_("Return"),
        name="return", comment=Comment.REQUIRED, style="outline-danger",
        comment_help=_("Required to return: say what the issuer or the centre needs."),
        comment_error=_("Say what needs to be done before it is submitted again."),
        done=_("%(object)s was returned to the subsidiary."),
        notify="preliminary.services.permit_owners",
    )  # fmt: skip
    def return_to_owner(self, *, actor, comment="", **kwargs) -> None:
        self.return_comment = comment
        self._entered(kwargs)

    @transition(
        source=[PermitStatus.NOT_STARTED, PermitStatus.PREPARING, PermitStatus.SUBMITTED],
        target=PermitStatus.NOT_APPLICABLE, label=_("Not applicable"),
        name="not_applicable", comment=Comment.REQUIRED, style="outline-secondary",
        comment_help=_("Required: say why this project does not need it."),
        comment_error=_("Say why this project does not need it."),
        done=_("%(object)s was marked not applicable."),
    )  # fmt: skip
    def mark_not_applicable(self, *, actor, comment="", **kwargs) -> None:
        self.not_applicable_reason = comment
        self._entered(kwargs)

    @transition(
        source=PermitStatus.NOT_APPLICABLE, target=PermitStatus.NOT_STARTED,
        label=_("Reinstate"), style="outline-secondary",
        done=_("%(object)s is needed again."),
    )  # fmt: skip
    def reinstate(self, *, actor, comment="", **kwargs) -> None:
        self.not_applicable_reason = ""
        self._entered(kwargs)

    @transition(
        source=PermitStatus.APPROVED, target=PermitStatus.APPROVED,
        label=_("Extend the start window"), style="outline-primary",
        done=_("%(object)s: the start window was extended."),
        checks=["preliminary.services.permit_check_extend"],
        conditions=[lambda item: item.extendable],
    )  # fmt: skip
    def extend(self, *, actor, comment="", **kwargs) -> None:
        from preliminary import services

        self.extensions += 1
        self.valid_until = services.start_deadline(self)


class PermitEvent(WorkflowEvent):
    """One step of a permit item's workflow: who, when, from and to which status, and why."""

    item = models.ForeignKey(PermitItem, on_delete=models.CASCADE, related_name="events")

    class Meta(WorkflowEvent.Meta):
        verbose_name = _("permit event")
        verbose_name_plural = _("permit events")

    def __str__(self) -> str:
        return f"{self.item_id} {self.action}"


class PermitAttachment(Attachment):
    """A scan of a permit item's approval document (or of what was submitted): PDF, OFD (the
    format of many government e-documents) or an image. Those who change the item upload."""

    record_field = "item"
    kinds = frozenset({"pdf", "ofd", "image"})

    item = models.ForeignKey(
        PermitItem, verbose_name=_("permit item"), on_delete=models.CASCADE,
        related_name="attachments",
    )  # fmt: skip

    class Meta(Attachment.Meta):
        verbose_name = _("permit scan")
        verbose_name_plural = _("permit scans")


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus `months` calendar months, on the month's last day when it is shorter."""
    import calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))
