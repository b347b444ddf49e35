import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.access import AccessPolicy, ScopedQuerySet
from portal.choices import OrganisationKind, Role
from portal.files import Attachment
from portal.limits import text_length_validator
from portal.models import Organisation
from portal.money import NOT_NEGATIVE, MoneyField
from projects.choices import Category, DeliveryMode, Stage

# The registry belongs to the centre; a subsidiary's manager keeps its own projects' entries.
REGISTRY_POLICY = AccessPolicy(
    org_field="owner",
    group_change=frozenset({Role.OFFICER}),
    own_change=frozenset({Role.MANAGER}),
)


class ProjectQuerySet(ScopedQuerySet):
    def key(self):
        return self.filter(is_key=True)


class Project(models.Model):
    """A project in the group's shared registry, owned by one subsidiary.

    Invariants: code unique; amounts not negative; finish dates not before start dates; an actual
    finish needs an actual start. Every change is kept in the history.
    """

    access_policy = REGISTRY_POLICY

    code = models.CharField(
        _("project code"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9_-]*$", _("Use letters, digits, '-' and '_' only.")
            )
        ],
        error_messages={"unique": _("A project with this code already exists.")},
    )
    name = models.CharField(_("project name"), max_length=200)
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("owning subsidiary"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    investor = models.CharField(_("investor"), max_length=100, blank=True)
    end_user = models.CharField(_("end user"), max_length=100, blank=True)
    delivery_mode = models.CharField(
        _("delivery mode"),
        max_length=20,
        choices=DeliveryMode.choices,
        default=DeliveryMode.AGENT_BUILD,
    )
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    district = models.CharField(_("district"), max_length=30, blank=True, db_index=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    total_investment = MoneyField(_("total investment (yuan)"), validators=NOT_NEGATIVE)
    approved_budget_estimate = MoneyField(
        _("approved budget estimate (yuan)"), null=True, blank=True, validators=NOT_NEGATIVE
    )
    floor_area = models.DecimalField(
        _("floor area (m²)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Gross floor area of the buildings; empty for roads, bridges and networks."),
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.PRELIMINARY, db_index=True
    )
    is_key = models.BooleanField(_("key project"), default=False, db_index=True)
    reports_ten_daily = models.BooleanField(
        _("reports every ten days"),
        default=False,
        help_text=_("Key projects the centre follows closely report per ten-day period (旬)."),
    )
    opening_investment = MoneyField(
        _("investment completed before reporting (yuan)"),
        default=0,
        validators=NOT_NEGATIVE,
        help_text=_("Cumulative investment before the first progress report in the portal."),
    )
    assigned_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_projects",
        limit_choices_to={"role": Role.LEADER},
    )
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("project manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_projects",
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_finish = models.DateField(_("planned finish"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_finish = models.DateField(_("actual finish"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True, validators=[text_length_validator])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]
        indexes = [models.Index(fields=["owner", "stage"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.planned_start and self.planned_finish and self.planned_finish < self.planned_start:
            errors["planned_finish"] = _("The planned finish cannot be before the planned start.")
        if self.actual_finish and not self.actual_start:
            errors["actual_start"] = _("A project that has finished must have started.")
        elif self.actual_start and self.actual_finish and self.actual_finish < self.actual_start:
            errors["actual_finish"] = _("The actual finish cannot be before the actual start.")
        today = timezone.localdate()
        if self.actual_start and self.actual_start > today:
            errors["actual_start"] = _("An actual date cannot be in the future.")
        if self.actual_finish and self.actual_finish > today:
            errors["actual_finish"] = _("An actual date cannot be in the future.")
        if self.owner_id and self.owner.kind != OrganisationKind.SUBSIDIARY:
            errors["owner"] = _("A project is owned by a subsidiary.")
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Give both latitude and longitude, or neither.")
        if errors:
            raise ValidationError(errors)


# The fields of a registry entry that people edit, in the order the form shows them. The form,
# the service and the API serializer all take this list.
PROJECT_EDITABLE_FIELDS = [
    "code", "name", "owner", "category", "district", "delivery_mode", "stage", "is_key",
    "investor", "end_user", "total_investment", "approved_budget_estimate", "floor_area",
    "assigned_leader", "project_manager", "planned_start", "planned_finish", "actual_start",
    "actual_finish", "opening_investment", "reports_ten_daily", "latitude", "longitude",
    "description",
]  # fmt: skip


class AnnualPlan(models.Model):
    """A project's plan for one year: the investment planned and the year-end target."""

    access_policy = AccessPolicy(
        org_field="project__owner",
        group_change=REGISTRY_POLICY.group_change,
        own_change=REGISTRY_POLICY.own_change,
    )

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="annual_plans"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    planned_investment = MoneyField(_("planned investment (yuan)"), validators=NOT_NEGATIVE)
    year_end_target = models.CharField(_("year-end target"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("annual plan")
        verbose_name_plural = _("annual plans")
        ordering = ["project", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year"],
                name="annual_plan_one_per_year",
                violation_error_message=_("This year already has a plan."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.year}"


class Milestone(models.Model):
    """A node of the battle map (挂图作战): what must be done by when, and who answers for it.

    `days_before_target` records how the deadline was worked backwards from the project's target
    (倒排工期); it is empty for a deadline set by hand.
    """

    access_policy = AnnualPlan.access_policy

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    name = models.CharField(_("node"), max_length=100)
    deadline = models.DateField(_("deadline"))
    days_before_target = models.PositiveIntegerField(_("days before target"), null=True, blank=True)
    responsible_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("responsible organisation"),
        on_delete=models.PROTECT,
        related_name="milestones",
    )
    responsible_person = models.CharField(_("responsible person"), max_length=50, blank=True)
    arrangement = models.TextField(_("arrangement"), blank=True, validators=[text_length_validator])
    actual_date = models.DateField(_("completed on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "deadline", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.deadline:%Y-%m-%d})"

    def clean(self) -> None:
        if self.actual_date and self.actual_date > timezone.localdate():
            raise ValidationError({"actual_date": _("An actual date cannot be in the future.")})

    def days_late(self, today: datetime.date | None = None) -> int:
        """Days past the deadline: until done, or when it was done late. 0 when on time."""
        end = self.actual_date or today or timezone.localdate()
        return max(0, (end - self.deadline).days)


class ProjectAttachment(Attachment):
    """A document of a registry entry (feasibility report, approvals, the project's brief).

    Seen by whoever sees the project; uploaded by whoever may change its registry entry
    (portal.files; decision 0029). The file is deleted with the row."""

    record_field = "project"
    kinds = frozenset({"pdf", "image", "office", "ofd"})

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="attachments"
    )

    class Meta(Attachment.Meta):
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")
