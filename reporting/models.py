import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.access import AccessPolicy, ScopedQuerySet, step
from portal.choices import Role
from portal.excel.models import ExcelImport
from portal.limits import text_length_validator
from portal.money import NOT_NEGATIVE, MoneyField
from portal.workflow import Comment, FSMField, WorkflowEvent
from portal.workflow import step as transition
from projects.models import Milestone, Project
from reporting.choices import (
    CoordinationStatus,
    ItemStatus,
    PeriodKind,
    ReportAction,
    ReportStatus,
)

# Subsidiary reporters and managers fill and submit their own organisation's forms; centre
# officers of any function review them (return, accept, reopen). Administrators do everything.
FILLERS = (Role.REPORTER, Role.MANAGER)
REPORT_POLICY = AccessPolicy(
    org_field="project__owner",
    own_change=frozenset(FILLERS),
    steps={
        "submit": step(own=FILLERS),
        "return": step(group=[Role.OFFICER]),
        "accept": step(group=[Role.OFFICER]),
        "reopen": step(group=[Role.OFFICER]),
    },
)
COORDINATION_POLICY = AccessPolicy(
    org_field="project__owner",
    own_change=frozenset(FILLERS),
    steps={
        "answer": step(group=[Role.OFFICER]),
        "assign": step(group=[Role.OFFICER]),
        # The centre, or the subsidiary that raised it, once it is satisfied with the answer.
        "close": step(group=[Role.OFFICER], own=FILLERS),
    },
)


class ReportingPeriod(models.Model):
    """One reporting period: a month, or a ten-day part (旬) of a month (part 1, 2 or 3).

    Periods are made by the daily job (services.periods_ensure) as they start; every active
    project of the matching kind then gets its form for the period.
    """

    kind = models.CharField(_("kind"), max_length=8, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    part = models.PositiveSmallIntegerField(
        _("part"), default=0, help_text=_("0 for a month; 1, 2, 3 for the ten-day parts.")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    due_date = models.DateField(_("due date"))

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["-start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "month", "part"],
                                    name="period_unique"),
        ]  # fmt: skip

    def __str__(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return _("%(year)s-%(month)02d") % {"year": self.year, "month": self.month}
        parts = {1: _("first ten days"), 2: _("second ten days"), 3: _("last ten days")}
        return _("%(year)s-%(month)02d %(part)s") % {
            "year": self.year, "month": self.month, "part": parts[self.part]}  # fmt: skip

    @property
    def code(self) -> str:
        """A stable text key, used in Excel files and the API: 2026-11 or 2026-11-T2."""
        suffix = f"-T{self.part}" if self.kind == PeriodKind.TEN_DAY else ""
        return f"{self.year}-{self.month:02d}{suffix}"

    @staticmethod
    def lookup_for_code(code: str, prefix: str = "") -> dict:
        """Filter arguments for the period with this `code` (2026-11, 2026-11-T2); a code
        that is not one matches nothing."""
        try:
            year, month, *rest = code.split("-")
            part = int(rest[0].removeprefix("T")) if rest else 0
            lookup = {"year": int(year), "month": int(month), "part": part,
                      "kind": PeriodKind.TEN_DAY if part else PeriodKind.MONTH}  # fmt: skip
        except (ValueError, IndexError):
            lookup = {"pk__in": []}
        return {f"{prefix}{key}": value for key, value in lookup.items()}

    def has_started(self, today: datetime.date) -> bool:
        return self.start <= today


class ReportQuerySet(ScopedQuerySet):
    def open_for_filling(self):
        return self.filter(status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED])


class ProgressReport(models.Model):
    """A project's progress form for one period (the key-project periodic report of DOMAIN §5).

    Typed once: the investment completed in this period. Year-to-date and since-start figures
    are derived from the accepted reports (see selectors), never typed. `version` implements
    optimistic locking: every save claims the version it read, and a stale save is refused.
    Only an accepted report counts on the dashboard.
    """

    access_policy = REPORT_POLICY

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="reports"
    )
    status = FSMField(
        _("status"),
        max_length=10,
        choices=ReportStatus.choices,
        default=ReportStatus.DRAFT,
        db_index=True,
    )
    investment = MoneyField(
        _("investment completed this period (yuan)"), default=0, validators=NOT_NEGATIVE
    )
    progress_text = models.TextField(
        _("physical progress"), blank=True, validators=[text_length_validator]
    )
    progress_pct = models.DecimalField(
        _("physical progress (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0, _("A percentage is between 0 and 100.")),
                    MaxValueValidator(100, _("A percentage is between 0 and 100."))],
    )  # fmt: skip
    next_steps = models.TextField(_("next steps"), blank=True, validators=[text_length_validator])
    explanation = models.TextField(
        _("explanation"), blank=True, validators=[text_length_validator],
        help_text=_("Needed when the year to date passes the annual plan, or progress goes "
                    "back from the last accepted period."),
    )  # fmt: skip
    milestones_reached = models.ManyToManyField(
        Milestone, verbose_name=_("milestones reached"), blank=True, related_name="reports"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ReportQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-period__start", "project__code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period"], name="report_one_per_period"),
            # The forms say it first; the database holds it for every other path. The rollup's
            # sums rely on it (dashboard.rollup: exact float sums of non-negative amounts).
            models.CheckConstraint(
                condition=models.Q(investment__gte=0),
                name="report_investment_not_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["status", "period"])]

    def __str__(self) -> str:
        return f"{self.project.code} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("reporting:detail", args=[self.pk])

    @property
    def is_open_for_filling(self) -> bool:
        return self.status in OPEN_FOR_FILLING

    # --- the workflow (portal.workflow): each step's who, when and what, declared once -------

    workflow_event_model = "reporting.ReportEvent"

    @transition(
        source=ReportStatus.DRAFT, target=ReportStatus.SUBMITTED, label=_("Submit"),
        comment=Comment.NONE, done=_("Report %(object)s was submitted to the centre."),
        checks=["reporting.services.report_check_submit"],
        notify="reporting.services.report_reviewers",
    )  # fmt: skip
    def submit(self, *, actor, comment="", **kwargs) -> None:
        self._submitted(actor)

    @transition(
        source=ReportStatus.RETURNED, target=ReportStatus.SUBMITTED, label=_("Resubmit"),
        permission="submit", comment=Comment.NONE,
        done=_("Report %(object)s was submitted to the centre."),
        checks=["reporting.services.report_check_submit"],
        notify="reporting.services.report_reviewers",
    )  # fmt: skip
    def resubmit(self, *, actor, comment="", **kwargs) -> None:
        self._submitted(actor)

    def _submitted(self, actor) -> None:
        self.submitted_at = timezone.now()
        self.submitted_by = actor
        # A new round: nobody has reviewed it yet (the earlier round's reviewer and comment
        # stay in the events).
        self.reviewed_at = None
        self.reviewed_by = None

    def _reviewed(self, actor, comment: str) -> None:
        self.reviewed_at = timezone.now()
        self.reviewed_by = actor
        self.review_comment = comment

    @transition(
        source=ReportStatus.SUBMITTED, target=ReportStatus.ACCEPTED, label=_("Accept"),
        style="success", done=_("Report %(object)s was accepted."),
        effects=["reporting.services.report_count_milestones",
                 "reporting.services.report_announce"],
        notify="reporting.services.report_fillers",
    )  # fmt: skip
    def accept(self, *, actor, comment="", **kwargs) -> None:
        self._reviewed(actor, comment)

    @transition(
        source=ReportStatus.SUBMITTED, target=ReportStatus.RETURNED, label=_("Return"),
        name="return", comment=Comment.REQUIRED, style="outline-danger",
        comment_help=_("Required to return: say what needs fixing."),
        comment_error=_("Say what needs fixing."),
        done=_("Report %(object)s was returned to the subsidiary."),
        notify="reporting.services.report_fillers",
    )  # fmt: skip
    def return_to_subsidiary(self, *, actor, comment="", **kwargs) -> None:
        self._reviewed(actor, comment)

    @transition(
        source=ReportStatus.ACCEPTED, target=ReportStatus.RETURNED, label=_("Reopen"),
        comment=Comment.REQUIRED, style="outline-danger",
        comment_help=_("Say why the report is reopened; it stops counting until accepted again."),
        comment_error=_("Say why the report is reopened."),
        done=_("Report %(object)s was reopened and returned."),
        effects=["reporting.services.report_announce"],
        notify="reporting.services.report_fillers",
    )  # fmt: skip
    def reopen(self, *, actor, comment="", **kwargs) -> None:
        self._reviewed(actor, comment)


OPEN_FOR_FILLING = (ReportStatus.DRAFT, ReportStatus.RETURNED)


class ReportEvent(WorkflowEvent):
    """One step of a report's workflow: who did what, when, from and to which state, and why."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=16, choices=ReportAction.choices)

    class Meta(WorkflowEvent.Meta):
        verbose_name = _("report event")
        verbose_name_plural = _("report events")

    def __str__(self) -> str:
        return f"{self.report} {self.action}"


class ReportProblem(models.Model):
    """A problem (存在问题) named in a report, with who solves it and by when."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="problems")
    description = models.TextField(_("problem"), validators=[text_length_validator])
    responsible_unit = models.CharField(_("responsible unit"), max_length=100, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=50, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    resolution = models.TextField(_("resolution"), blank=True, validators=[text_length_validator])

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:40]


class CoordinationItem(models.Model):
    """A matter needing the group's coordination (需协调事项): raised in a report, answered by
    the centre, tracked until closed."""

    access_policy = COORDINATION_POLICY
    workflow_event_model = "reporting.CoordinationEvent"

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="coordination_items"
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="coordination_items"
    )
    subject = models.CharField(_("matter"), max_length=200)
    detail = models.TextField(_("detail"), blank=True, validators=[text_length_validator])
    status = FSMField(
        _("status"),
        max_length=10,
        choices=CoordinationStatus.choices,
        default=CoordinationStatus.OPEN,
        db_index=True,
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("centre officer"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="coordination_items",
        limit_choices_to={"role": Role.OFFICER})  # fmt: skip
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coordination item")
        verbose_name_plural = _("coordination items")
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("reporting:coordination-detail", args=[self.pk])

    @transition(
        source=[CoordinationStatus.OPEN, CoordinationStatus.ANSWERED],
        target=CoordinationStatus.ANSWERED, label=_("Answer"), name="answer",
        comment=Comment.REQUIRED,
        comment_label=_("Answer"), comment_error=_("Write the answer."), style="primary",
        done=_("The answer was sent to the subsidiary."),
        notify="reporting.services.report_fillers",
    )  # fmt: skip
    def give_answer(self, *, actor, comment="", assignee=None, **kwargs) -> None:
        self.answer = comment
        self.answered_by = actor
        self.answered_at = timezone.now()
        self.assignee = assignee or self.assignee or actor

    @transition(
        source=CoordinationStatus.ANSWERED, target=CoordinationStatus.CLOSED, label=_("Close"),
        comment=Comment.NONE, style="outline-secondary", done=_("The item was closed."),
    )  # fmt: skip
    def close(self, *, actor, comment="", **kwargs) -> None:
        pass


class CoordinationEvent(WorkflowEvent):
    """One step of a coordination item: answered, closed; by whom, when, and what was said."""

    item = models.ForeignKey(CoordinationItem, on_delete=models.CASCADE, related_name="events")

    class Meta(WorkflowEvent.Meta):
        verbose_name = _("coordination event")
        verbose_name_plural = _("coordination events")


class ReportImport(ExcelImport):
    """One uploaded Excel batch of a period's progress reports (portal.excel): what it said row
    by row, what was wrong, and whether it was committed. The same file counts as uploaded again
    for the same organisation and period."""

    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="+")

    scope_fields = ("organisation", "period")

    class Meta(ExcelImport.Meta):
        verbose_name = _("Excel batch")
        verbose_name_plural = _("Excel batches")
