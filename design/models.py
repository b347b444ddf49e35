"""Design management (DOMAIN.md §2): the design stages of each project, its cost chain
(估算 → 概算 → 预算 → forecast) and its design changes, approved along the route their tier
decides (docs/decisions/0031-design-changes-by-tier.md).

The approved budget estimate (概算) is the registry's `Project.approved_budget_estimate`: the
cost chain reads it and writes it through (design.services.cost_chain_save), it never keeps a
second copy. Every threshold is a field of the one `DesignRules` row.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from simple_history.models import HistoricalRecords

from design.choices import (
    STAGE_ORDER,
    ChangeKind,
    ChangeStatus,
    StageKind,
    StageOutcome,
    Tier,
)
from portal.access import AccessPolicy, ScopedQuerySet, step
from portal.choices import Function, Role
from portal.files import Attachment
from portal.limits import text_length_validator
from portal.money import NOT_NEGATIVE, MoneyField
from portal.thresholds import Thresholds
from portal.workflow import Comment, FSMField, WorkflowEvent
from portal.workflow import step as transition
from projects.models import Project

PERCENT = [
    MinValueValidator(Decimal("0"), _("A percentage is between 0 and 100.")),
    MaxValueValidator(Decimal("100"), _("A percentage is between 0 and 100.")),
]


class DesignRules(Thresholds):
    """The design thresholds (DOMAIN.md §2 defaults), one row an administrator edits."""

    estimate_tolerance_pct = models.DecimalField(
        _("budget estimate tolerance over the feasibility estimate (%)"), max_digits=5,
        decimal_places=2, default=Decimal("10"), validators=PERCENT,
        help_text=_("A budget estimate (概算) more than this above the feasibility estimate "
                    "(估算) is flagged."),
    )  # fmt: skip
    minor_limit = MoneyField(
        _("minor change limit (yuan)"), default=Decimal("100000"), validators=NOT_NEGATIVE,
        help_text=_("Changes below this amount are minor and approved by the subsidiary."),
    )  # fmt: skip
    critical_limit = MoneyField(
        _("critical change limit (yuan)"), default=Decimal("500000"), validators=NOT_NEGATIVE,
        help_text=_("Changes of this amount or more are critical and go to the group meeting; "
                    "those from the minor limit up to this are major and approved by the centre."),
    )  # fmt: skip
    cumulative_share_pct = models.DecimalField(
        _("cumulative share of the contract sum (%)"), max_digits=5, decimal_places=2,
        default=Decimal("5"), validators=PERCENT,
        help_text=_("A change that takes the approved changes of its contract over this share "
                    "of the contract sum is critical."),
    )  # fmt: skip
    remind_after_days = models.PositiveSmallIntegerField(
        _("remind approvers after (days)"), default=5,
        help_text=_("A change waiting longer than this for a decision is reminded daily."),
    )  # fmt: skip

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("design rules")
        verbose_name_plural = _("design rules")

    def clean(self) -> None:
        if (
            self.minor_limit is not None
            and self.critical_limit is not None
            and self.minor_limit > self.critical_limit
        ):
            raise ValidationError(
                {"critical_limit": _("The critical limit cannot be below the minor limit.")}
            )


# --- who may do what -------------------------------------------------------------------------

FILLERS = (Role.REPORTER, Role.MANAGER)
DESIGN_OFFICER = {"group": [Role.OFFICER], "function": Function.DESIGN}

# The owning subsidiary keeps its stages up to date; the centre's design officers too.
STAGE_POLICY = AccessPolicy(
    org_field="project__owner",
    group_change=frozenset({Role.OFFICER}),
    own_change=frozenset(FILLERS),
    function=Function.DESIGN,
)
# The cost chain is estimate control: the centre's design officers and the subsidiary's
# manager (who may also change the project's registry entry, where the 概算 lives).
COST_POLICY = AccessPolicy(
    org_field="project__owner",
    group_change=frozenset({Role.OFFICER}),
    own_change=frozenset({Role.MANAGER}),
    function=Function.DESIGN,
)
# A change is raised by the owning subsidiary (or the centre); who decides follows its tier:
# each tier's step names its role here, and a check of the step refuses the wrong tier
# (design.services.change_check_tier).
CHANGE_POLICY = AccessPolicy(
    org_field="project__owner",
    group_change=frozenset({Role.OFFICER}),
    own_change=frozenset(FILLERS),
    function=Function.DESIGN,
    steps={
        "submit": step(own=FILLERS, **DESIGN_OFFICER),
        "withdraw": step(own=FILLERS, **DESIGN_OFFICER),
        "approve_minor": step(own=[Role.MANAGER]),
        "approve_major": step(**DESIGN_OFFICER),
        "recommend": step(**DESIGN_OFFICER),
        "approve_critical": step(**DESIGN_OFFICER),
        # Returning and setting the approved amount: whoever approves at the change's tier.
        "return": step(own=[Role.MANAGER], **DESIGN_OFFICER),
        "decide": step(own=[Role.MANAGER], **DESIGN_OFFICER),
    },
)
# The step that approves (or, for a critical change, first reviews) each tier.
DECIDING_STEP = {
    Tier.MINOR: "approve_minor",
    Tier.MAJOR: "approve_major",
    Tier.CRITICAL: "recommend",
}


def _not_in_future(value, errors: dict, name: str) -> None:
    if value and value > timezone.localdate():
        errors[name] = _("An actual date cannot be in the future.")


class DesignStage(models.Model):
    """One design stage of a project (scheme, preliminary design with its 概算, construction
    drawings with the 预算, drawing review, design briefing): planned against actual dates, who
    designed and who reviewed it, and the outcome.

    Invariants: one row per project and kind; finishes not before starts; an actual finish needs
    an actual start; actual dates not in the future; an outcome other than pending needs the
    actual finish."""

    access_policy = STAGE_POLICY

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE,
        related_name="design_stages",
    )  # fmt: skip
    kind = models.CharField(
        pgettext_lazy("design", "stage"), max_length=16, choices=StageKind.choices
    )
    sequence = models.PositiveSmallIntegerField(_("order"), default=0, editable=False)
    planned_start = models.DateField(
        pgettext_lazy("design stage", "planned start"), null=True, blank=True
    )
    planned_finish = models.DateField(
        pgettext_lazy("design stage", "planned finish"), null=True, blank=True
    )
    actual_start = models.DateField(
        pgettext_lazy("design stage", "actual start"), null=True, blank=True
    )
    actual_finish = models.DateField(
        pgettext_lazy("design stage", "actual finish"), null=True, blank=True
    )
    designer = models.CharField(_("designer"), max_length=100, blank=True,
                                help_text=_("The design institute or firm."))  # fmt: skip
    reviewer = models.CharField(_("reviewer"), max_length=100, blank=True,
                                help_text=_("The reviewing body or person."))  # fmt: skip
    outcome = models.CharField(
        _("outcome"), max_length=24, choices=StageOutcome.choices, default=StageOutcome.PENDING
    )
    note = models.TextField(_("note"), blank=True, validators=[text_length_validator])
    # Bumped by every save (design.services.stage_update): two people editing the same stage
    # cannot overwrite each other unseen.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("design stage")
        verbose_name_plural = _("design stages")
        ordering = ["project", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"], name="design_stage_one_per_kind",
                violation_error_message=_("This project already has this stage."),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.project.code} {self.get_kind_display()}"

    def save(self, *args, **kwargs) -> None:
        self.sequence = STAGE_ORDER.get(self.kind, 0)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("design:project", args=[self.project_id])

    @property
    def is_done(self) -> bool:
        return self.actual_finish is not None and self.outcome != StageOutcome.FAILED

    @property
    def is_running(self) -> bool:
        return self.actual_start is not None and self.actual_finish is None

    def clean(self) -> None:
        errors: dict = {}
        if self.planned_start and self.planned_finish and self.planned_finish < self.planned_start:
            errors["planned_finish"] = pgettext(
                "design stage", "The planned finish cannot be before the planned start."
            )
        if self.actual_finish and not self.actual_start:
            errors["actual_start"] = _("A stage that has finished must have started.")
        elif self.actual_start and self.actual_finish and self.actual_finish < self.actual_start:
            errors["actual_finish"] = pgettext(
                "design stage", "The actual finish cannot be before the actual start."
            )
        _not_in_future(self.actual_start, errors, "actual_start")
        if "actual_finish" not in errors:
            _not_in_future(self.actual_finish, errors, "actual_finish")
        if self.outcome != StageOutcome.PENDING and not self.actual_finish and not errors:
            errors["outcome"] = _("Give the actual finish of a stage with an outcome.")
        if errors:
            raise ValidationError(errors)


class CostChain(models.Model):
    """A project's cost chain (三算控制): the feasibility estimate (估算) with the approval it
    comes from, and the construction budget (预算). The approved budget estimate (概算) between
    them is the registry's `Project.approved_budget_estimate`; the forecast is derived from the
    chain and the approved changes (design.rules.chain_figures), never stored."""

    access_policy = COST_POLICY

    project = models.OneToOneField(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="cost_chain"
    )
    feasibility_estimate = MoneyField(
        _("feasibility estimate (yuan)"), null=True, blank=True, validators=NOT_NEGATIVE
    )
    feasibility_doc_no = models.CharField(
        _("feasibility approval document no."), max_length=100, blank=True
    )
    feasibility_date = models.DateField(_("feasibility approval date"), null=True, blank=True)
    budget = MoneyField(_("construction budget (yuan)"), null=True, blank=True,
                        validators=NOT_NEGATIVE)  # fmt: skip
    budget_doc_no = models.CharField(_("budget review report no."), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True, validators=[text_length_validator])
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("cost chain")
        verbose_name_plural = _("cost chains")
        ordering = ["project"]

    def __str__(self) -> str:
        return f"{self.project.code} {self._meta.verbose_name}"

    def get_absolute_url(self) -> str:
        return reverse("design:project", args=[self.project_id])

    def clean(self) -> None:
        errors: dict = {}
        _not_in_future(self.feasibility_date, errors, "feasibility_date")
        if self.feasibility_doc_no and self.feasibility_estimate is None:
            errors["feasibility_estimate"] = _(
                "Give the feasibility estimate that this approval states."
            )
        if errors:
            raise ValidationError(errors)


class ChangeQuerySet(ScopedQuerySet):
    def waiting(self):
        return self.filter(status__in=[ChangeStatus.SUBMITTED, ChangeStatus.RECOMMENDED])


class DesignChange(models.Model):
    """A design change, site instruction or claim (设计变更 / 现场签证 / 索赔) and its approval.

    The tier is computed from the amount and, where the contract sum is known, the cumulative
    share of the contract's approved changes (design.rules.tier_for); it is stored with the
    record, recomputed while the amounts may still change, and decides the approval route:
    minor by the owning subsidiary's manager, major by a centre design officer, critical reviewed
    by the centre and decided by the group's general-manager meeting. Invariant: an approved
    amount above the requested one carries a note."""

    access_policy = CHANGE_POLICY
    workflow_event_model = "design.DesignChangeEvent"

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT,
        related_name="design_changes",
    )  # fmt: skip
    number = models.CharField(
        _("change number"), max_length=40, blank=True,
        help_text=_("Leave empty to number it BG-<project code>-001, -002, …"),
    )  # fmt: skip
    kind = models.CharField(
        _("type"), max_length=20, choices=ChangeKind.choices, default=ChangeKind.DESIGN_CHANGE
    )
    contract_name = models.CharField(
        _("contract"), max_length=200, blank=True,
        help_text=_("The contract the change varies, where one is known."),
    )  # fmt: skip
    contract_sum = MoneyField(
        _("contract sum (yuan)"), null=True, blank=True, validators=NOT_NEGATIVE,
        help_text=_("Where known, the cumulative share of the contract's changes decides the "
                    "tier too."),
    )  # fmt: skip
    reason = models.TextField(_("reason"), validators=[text_length_validator])
    amount_requested = MoneyField(_("amount requested (yuan)"), validators=NOT_NEGATIVE)
    amount_approved = MoneyField(
        _("amount approved (yuan)"), null=True, blank=True, validators=NOT_NEGATIVE,
        help_text=_("Set by the approver; the requested amount if left empty."),
    )  # fmt: skip
    approval_note = models.TextField(
        _("approval note"), blank=True, validators=[text_length_validator],
        help_text=_("Required when the approved amount is above the requested one."),
    )  # fmt: skip
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.MINOR)
    cumulative_share_pct = models.DecimalField(
        _("cumulative share of the contract sum (%)"), max_digits=9, decimal_places=2,
        null=True, blank=True,
    )  # fmt: skip
    status = FSMField(
        _("status"), max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT,
        db_index=True,
    )  # fmt: skip
    version = models.PositiveIntegerField(_("version"), default=1)
    meeting_minutes = models.CharField(_("group meeting minutes"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("raised by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("raised at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ChangeQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("design change")
        verbose_name_plural = _("design changes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="design_change_number_per_project",
                violation_error_message=_("This project already has a change with this number."),
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("design:change", args=[self.pk])

    @property
    def attachments_locked(self) -> bool:
        """A decided change's documents (the minutes of the meeting that approved it) are its
        evidence (portal.files keeps them)."""
        return self.status == ChangeStatus.APPROVED

    @property
    def tier_amount(self) -> Decimal:
        """The amount the tier is judged by: the larger of requested and approved."""
        return max(self.amount_requested or Decimal(0), self.amount_approved or Decimal(0))

    @property
    def effective_amount(self) -> Decimal:
        """What the change adds to the forecast once approved."""
        if self.amount_approved is not None:
            return self.amount_approved
        return self.amount_requested or Decimal(0)

    @property
    def is_editable(self) -> bool:
        return self.status in (ChangeStatus.DRAFT, ChangeStatus.RETURNED)

    def approved_before(self) -> Decimal:
        """The approved amounts of the other approved changes of the same contract (same
        project, same contract name); nothing without a contract name (no query then)."""
        name = (self.contract_name or "").strip()
        if not name or not self.contract_sum:
            return Decimal(0)
        others = DesignChange.objects.filter(
            project_id=self.project_id, status=ChangeStatus.APPROVED, contract_name__iexact=name
        ).exclude(pk=self.pk)
        return others.aggregate(total=models.Sum("amount_approved"))["total"] or Decimal(0)

    def tier_verdict(self, rules=None):
        """The tier this change has now, by the current rules and approved changes."""
        from design.rules import tier_for

        return tier_for(
            amount=self.tier_amount,
            contract_sum=self.contract_sum,
            approved_before=self.approved_before(),
            rules=rules or DesignRules.current(),
        )

    def refresh_tier(self, rules=None):
        """Store the tier (and the cumulative share it was judged on) as it is now."""
        verdict = self.tier_verdict(rules)
        self.tier = verdict.tier
        share = verdict.share_display
        if share is not None:  # a tiny contract sum: keep the share within its column
            field = self._meta.get_field("cumulative_share_pct")
            most = Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal("0.01")
            share = min(share, most)
        self.cumulative_share_pct = share
        return verdict

    def clean(self) -> None:
        if (
            self.amount_approved is not None
            and self.amount_requested is not None
            and self.amount_approved > self.amount_requested
            and not (self.approval_note or "").strip()
        ):
            raise ValidationError({"approval_note": _(
                "The approved amount is above the requested one: say why in the approval note."
            )})  # fmt: skip

    # --- the workflow (portal.workflow) ------------------------------------------------------

    def _submitted(self, actor) -> None:
        self.submitted_at = timezone.now()
        self.submitted_by = actor
        self.decided_at = None
        self.decided_by = None

    def _decided(self, actor) -> None:
        self.refresh_tier()
        self.decided_at = timezone.now()
        self.decided_by = actor
        if self.amount_approved is None:
            self.amount_approved = self.amount_requested

    @transition(
        source=ChangeStatus.DRAFT, target=ChangeStatus.SUBMITTED, label=_("Submit"),
        comment=Comment.OPTIONAL, done=_("Change %(object)s was submitted for approval."),
        checks=["design.services.change_check_submit"],
        notify="design.services.change_deciders",
    )  # fmt: skip
    def submit(self, *, actor, comment="", **kwargs) -> None:
        self.refresh_tier()
        self._submitted(actor)

    @transition(
        source=ChangeStatus.RETURNED, target=ChangeStatus.SUBMITTED, label=_("Resubmit"),
        permission="submit", comment=Comment.OPTIONAL,
        done=_("Change %(object)s was submitted for approval."),
        checks=["design.services.change_check_submit"],
        notify="design.services.change_deciders",
    )  # fmt: skip
    def resubmit(self, *, actor, comment="", **kwargs) -> None:
        self.refresh_tier()
        self._submitted(actor)

    @transition(
        source=ChangeStatus.SUBMITTED, target=ChangeStatus.DRAFT, label=_("Withdraw"),
        comment=Comment.OPTIONAL, style="outline-secondary",
        done=_("Change %(object)s was withdrawn to draft."),
        checks=["design.services.change_check_withdraw"],
    )  # fmt: skip
    def withdraw(self, *, actor, comment="", **kwargs) -> None:
        self.submitted_at = None

    @transition(
        source=ChangeStatus.SUBMITTED, target=ChangeStatus.APPROVED,
        label=_("Approve (subsidiary)"), style="success",
        done=_("Change %(object)s was approved by the subsidiary."),
        checks=["design.services.change_check_minor"],
        notify="design.services.change_fillers",
    )  # fmt: skip
    def approve_minor(self, *, actor, comment="", **kwargs) -> None:
        self._decided(actor)

    @transition(
        source=ChangeStatus.SUBMITTED, target=ChangeStatus.APPROVED,
        label=_("Approve (centre)"), style="success",
        done=_("Change %(object)s was approved by the centre."),
        checks=["design.services.change_check_major"],
        notify="design.services.change_fillers",
    )  # fmt: skip
    def approve_major(self, *, actor, comment="", **kwargs) -> None:
        self._decided(actor)

    @transition(
        source=ChangeStatus.SUBMITTED, target=ChangeStatus.RECOMMENDED,
        label=_("Recommend to the group meeting"), style="primary",
        comment=Comment.REQUIRED, comment_label=_("The centre's review"),
        comment_help=_("Required: the centre's review opinion for the group meeting."),
        comment_error=_("Write the centre's review opinion."),
        done=_("Change %(object)s was recommended to the group meeting."),
        checks=["design.services.change_check_critical"],
        notify="design.services.change_deciders",
    )  # fmt: skip
    def recommend(self, *, actor, comment="", **kwargs) -> None:
        self.refresh_tier()

    @transition(
        source=ChangeStatus.RECOMMENDED, target=ChangeStatus.APPROVED,
        label=_("Record the group meeting's approval"), style="success",
        comment=Comment.REQUIRED, comment_label=_("Meeting minutes no. and decision"),
        comment_help=_("Required: the general-manager meeting's minutes number and its "
                       "decision, e.g. “总经理办公会纪要〔2026〕12号 同意”."),
        comment_error=_("Give the group meeting's minutes number and decision."),
        done=_("The group meeting's approval of change %(object)s was recorded."),
        checks=["design.services.change_check_critical"],
        notify="design.services.change_fillers",
    )  # fmt: skip
    def approve_critical(self, *, actor, comment="", **kwargs) -> None:
        self.meeting_minutes = comment[: self._meta.get_field("meeting_minutes").max_length]
        self._decided(actor)

    @transition(
        source=[ChangeStatus.SUBMITTED, ChangeStatus.RECOMMENDED], target=ChangeStatus.RETURNED,
        label=_("Return"), name="return", comment=Comment.REQUIRED, style="outline-danger",
        comment_help=_("Required to return: say what needs changing."),
        comment_error=_("Say what needs changing."),
        done=_("Change %(object)s was returned to the subsidiary."),
        checks=["design.services.change_check_decider"],
        notify="design.services.change_fillers",
    )  # fmt: skip
    def return_to_subsidiary(self, *, actor, comment="", **kwargs) -> None:
        self.decided_at = timezone.now()
        self.decided_by = actor


class DesignChangeEvent(WorkflowEvent):
    """One step of a design change's approval: who, when, from and to which state, and why."""

    change = models.ForeignKey(DesignChange, on_delete=models.CASCADE, related_name="events")

    class Meta(WorkflowEvent.Meta):
        verbose_name = _("design change event")
        verbose_name_plural = _("design change events")

    def __str__(self) -> str:
        return f"{self.change} {self.action}"


class DesignChangeAttachment(Attachment):
    """A document of a design change (the change order, its cost estimate, the approval, the
    meeting minutes). Seen by whoever sees the change; uploaded by whoever may change it
    (portal.files). The file is deleted with the row."""

    record_field = "change"
    kinds = frozenset({"pdf", "image", "office", "ofd"})

    change = models.ForeignKey(
        DesignChange, verbose_name=_("design change"), on_delete=models.CASCADE,
        related_name="attachments",
    )  # fmt: skip
    history = HistoricalRecords()

    class Meta(Attachment.Meta):
        verbose_name = _("change document")
        verbose_name_plural = _("change documents")


class DesignStageAttachment(Attachment):
    """A drawing or report of a design stage (scheme drawings, the preliminary design, the
    construction drawings, the review certificate, the briefing record), DWG included."""

    record_field = "stage"
    kinds = frozenset({"pdf", "image", "office", "cad", "ofd"})

    stage = models.ForeignKey(
        DesignStage, verbose_name=_("design stage"), on_delete=models.CASCADE,
        related_name="attachments",
    )  # fmt: skip
    history = HistoricalRecords()

    class Meta(Attachment.Meta):
        verbose_name = _("drawing")
        verbose_name_plural = _("drawings")
