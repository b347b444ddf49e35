"""Rollup tables: derived, idempotent and recomputable from the records of the other apps.

The cockpit reads only these (and the project names it links to), so its cost does not grow
with the history of reports. `dashboard.rollup` writes them; nothing else does.

- ProjectYear: one project's figures and status for one year (key: project, year).
- OrgMonth: money per organisation and month, split by category and key-project flag so the
  cockpit's filters stay on the rollup (key: organisation, year, month, category, is_key).
- OrgYear: status counts and open items per organisation and year, split the same way.
- RollupRun: every run, for "data as of" and so that a failed or abandoned run is visible.
- PendingRollup: projects whose records changed and wait for the incremental job.
- RollupLock: one row per organisation; a job locks the rows of what it writes.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.access import AccessPolicy, ScopedQuerySet
from portal.models import Organisation
from projects.models import Project

MONEY = {"max_digits": 18, "decimal_places": 2, "default": 0}
MONTHS = range(1, 13)

ROLLUP_POLICY = AccessPolicy(org_field="organisation")


class Rag(models.TextChoices):
    """A project's colour (红黄绿灯). Orange sits between amber and red for late milestones
    (DOMAIN.md section 5); NONE means no rule could judge it (no plan, not started)."""

    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")
    NONE = "none", _("Not assessed")


RAG_ORDER = [Rag.NONE, Rag.GREEN, Rag.AMBER, Rag.ORANGE, Rag.RED]


class Pace(models.TextChoices):
    """Investment against the time-elapsed plan (序时进度)."""

    AHEAD = "ahead", _("Ahead")
    ON_TRACK = "on_track", _("On track")
    LAGGING = "lagging", _("Lagging")
    NO_PLAN = "no_plan", _("No plan")


class ProjectYear(models.Model):
    access_policy = ROLLUP_POLICY

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    # Copied from the project so the cockpit filters without joins.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=24)
    is_key = models.BooleanField(default=False)

    planned = models.DecimalField(**MONEY)  # the annual plan
    completed_ytd = models.DecimalField(**MONEY)  # accepted reports of the year
    completed_cumulative = models.DecimalField(**MONEY)  # opening + accepted up to year end
    # Accepted investment per month of the year (ten-day reports count in their month).
    m01 = models.DecimalField(**MONEY)
    m02 = models.DecimalField(**MONEY)
    m03 = models.DecimalField(**MONEY)
    m04 = models.DecimalField(**MONEY)
    m05 = models.DecimalField(**MONEY)
    m06 = models.DecimalField(**MONEY)
    m07 = models.DecimalField(**MONEY)
    m08 = models.DecimalField(**MONEY)
    m09 = models.DecimalField(**MONEY)
    m10 = models.DecimalField(**MONEY)
    m11 = models.DecimalField(**MONEY)
    m12 = models.DecimalField(**MONEY)

    elapsed_pct = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    completion_pct = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    pace = models.CharField(max_length=10, choices=Pace.choices, default=Pace.NO_PLAN)
    rag = models.CharField(max_length=8, choices=Rag.choices, default=Rag.NONE)
    severity = models.PositiveSmallIntegerField(default=0)  # orders the red list
    causes = models.JSONField(default=list, blank=True)  # [{"rule", "level", "params", "url"}]
    measures = models.JSONField(default=dict, blank=True)  # provider measures (current year)
    # Start and finish rates (开工率, 竣工率): planned this year, and done.
    start_planned = models.BooleanField(default=False)
    started = models.BooleanField(default=False)
    finish_planned = models.BooleanField(default=False)
    finished = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)
    # A digest of the verdict (colour, causes, measures, start and finish), so that a run
    # compares one string instead of decoding every row's JSON.
    verdict = models.CharField(max_length=32, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="projectyear_unique"),
        ]
        indexes = [
            models.Index(fields=["year", "organisation"]),
            models.Index(fields=["year", "rag", "severity"]),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}"


class OrgMonth(models.Model):
    access_policy = ROLLUP_POLICY

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=24)
    is_key = models.BooleanField(default=False)
    planned = models.DecimalField(**MONEY)  # annual plans of the year
    completed = models.DecimalField(**MONEY)  # this month
    completed_ytd = models.DecimalField(**MONEY)  # January to this month

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "month", "category", "is_key"],
                name="orgmonth_unique",
            ),
        ]
        indexes = [models.Index(fields=["year", "organisation"])]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.year}-{self.month:02d} {self.category}"


class OrgYear(models.Model):
    access_policy = ROLLUP_POLICY

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=24)
    is_key = models.BooleanField(default=False)
    projects = models.PositiveIntegerField(default=0)
    planned = models.DecimalField(**MONEY)
    completed_ytd = models.DecimalField(**MONEY)
    completed_cumulative = models.DecimalField(**MONEY)
    rag_green = models.PositiveIntegerField(default=0)
    rag_amber = models.PositiveIntegerField(default=0)
    rag_orange = models.PositiveIntegerField(default=0)
    rag_red = models.PositiveIntegerField(default=0)
    rag_none = models.PositiveIntegerField(default=0)
    pace_ahead = models.PositiveIntegerField(default=0)
    pace_on_track = models.PositiveIntegerField(default=0)
    pace_lagging = models.PositiveIntegerField(default=0)
    pace_no_plan = models.PositiveIntegerField(default=0)
    start_planned = models.PositiveIntegerField(default=0)
    started = models.PositiveIntegerField(default=0)
    finish_planned = models.PositiveIntegerField(default=0)
    finished = models.PositiveIntegerField(default=0)
    measures = models.JSONField(default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "category", "is_key"], name="orgyear_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.year} {self.category}"


class RollupRun(models.Model):
    class Kind(models.TextChoices):
        FULL = "full", _("Full recompute")
        PROJECTS = "projects", _("Changed projects")
        ORGANISATIONS = "organisations", _("Organisations after a deletion")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Done")
        FAILED = "failed", _("Failed")
        # Its worker stopped (killed, lost its database connection) before the run finished;
        # its transaction rolled back whole. Marked by the sweep (dashboard.services.sweep).
        ABANDONED = "abandoned", _("Abandoned")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.RUNNING)  # fmt: skip
    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    projects = models.PositiveIntegerField(_("projects"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class PendingRollup(models.Model):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True,
                                   related_name="+")  # fmt: skip
    queued_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.project_id} queued {self.queued_at:%Y-%m-%d %H:%M:%S}"


class RollupLock(models.Model):
    """A row to lock with SELECT ... FOR UPDATE: one per organisation that owns projects."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, primary_key=True,
                                        related_name="+")  # fmt: skip

    def __str__(self) -> str:
        return str(self.organisation_id)
