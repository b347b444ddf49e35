"""REST API of progress reporting: the forms, rules and workflow of the pages, so that a
subsidiary's own system can push its figures (token authentication).

Conventions are projects/api.py's: the scoped selectors, the list FilterSet, writes through the
same services as the web form. Each workflow step is its own action, generated from the
model's declaration (portal.api.workflow_actions). Order of answers: 404 for a record the caller
cannot see, 403 for one seen but whose step is not theirs (the access module's steps), 400 with
the service's field messages for bad data or a wrong state, 409 for a stale `version`.
"""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.access import fetch
from portal.api import REFUSED_OR_STALE, StrictSerializer, WorkflowViewSetMixin, workflow_actions
from projects.models import Milestone
from reporting import selectors, services
from reporting.choices import ItemStatus
from reporting.filters import PeriodFilterSet, ReportFilterSet
from reporting.forms import MAX_COORDINATION, MAX_PROBLEMS
from reporting.models import (
    CoordinationItem,
    ProgressReport,
    ReportEvent,
    ReportingPeriod,
    ReportProblem,
)
from reporting.services import PROBLEM_FIELDS, REPORT_FIELDS, ReportInput

MONEY = {"max_digits": 18, "decimal_places": 2}

# --- output --------------------------------------------------------------------------------------


class PeriodSerializer(serializers.ModelSerializer):
    code = serializers.CharField(
        read_only=True, help_text="`2026-11` for a month, `2026-11-T2` for its second ten days."
    )

    class Meta:
        model = ReportingPeriod
        fields = ["id", "code", "kind", "year", "month", "part", "start", "end", "due_date"]


class ReportSerializer(serializers.ModelSerializer):
    """A row of the report list."""

    url = serializers.HyperlinkedIdentityField(view_name="api-report-detail")
    project = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    owner = serializers.CharField(
        source="project.owner.code", read_only=True, help_text="Code of the owning subsidiary."
    )
    period = serializers.CharField(
        source="period.code", read_only=True, help_text="Period code, e.g. `2026-11-T2`."
    )

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "url",
            "project",
            "project_name",
            "owner",
            "period",
            "status",
            "investment",
            "progress_pct",
            "version",
            "submitted_at",
            "reviewed_at",
        ]
        read_only_fields = fields


class ProblemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportProblem
        fields = ["id", *PROBLEM_FIELDS]
        read_only_fields = fields


class ReportCoordinationSerializer(serializers.ModelSerializer):
    """A coordination item as the report shows it (its project and period are the report's)."""

    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    answered_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = CoordinationItem
        fields = [
            "id",
            "subject",
            "detail",
            "status",
            "assignee",
            "answer",
            "answered_by",
            "answered_at",
            "created_at",
        ]
        read_only_fields = fields


class CoordinationItemSerializer(ReportCoordinationSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-coordination-item-detail")
    project = serializers.CharField(source="project.code", read_only=True)
    owner = serializers.CharField(source="project.owner.code", read_only=True)
    period = serializers.CharField(source="report.period.code", read_only=True)

    class Meta(ReportCoordinationSerializer.Meta):
        fields = [
            "id",
            "url",
            "report",
            "project",
            "owner",
            "period",
            "subject",
            "detail",
            "status",
            "assignee",
            "answer",
            "answered_by",
            "answered_at",
            "created_at",
            "version",
        ]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReportEvent
        fields = ["action", "actor", "at", "from_state", "to_state", "comment"]
        read_only_fields = fields


class ReportDetailSerializer(ReportSerializer):
    """One report with its derived figures, problems, coordination items and workflow.

    Expects a report from `selectors.report_get` (figures annotated, relations prefetched)."""

    submitted_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reviewed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    ytd_investment = serializers.DecimalField(
        **MONEY, read_only=True, help_text="Accepted reports of the year, and this one (yuan)."
    )
    cumulative_investment = serializers.DecimalField(
        **MONEY, read_only=True, help_text="Since the start: opening investment plus reports."
    )
    annual_plan = serializers.DecimalField(
        **MONEY, read_only=True, allow_null=True, help_text="Planned investment of the year."
    )
    problems = ProblemSerializer(many=True, read_only=True)
    coordination_items = ReportCoordinationSerializer(many=True, read_only=True)
    milestones_reached = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [
            *ReportSerializer.Meta.fields,
            "progress_text",
            "next_steps",
            "explanation",
            "submitted_by",
            "reviewed_by",
            "review_comment",
            "ytd_investment",
            "cumulative_investment",
            "annual_plan",
            "problems",
            "coordination_items",
            "milestones_reached",
            "events",
        ]
        read_only_fields = fields


# --- input ---------------------------------------------------------------------------------------
# These parse types only (numbers, dates, lists). The reporting rules and their messages are the
# services'; a serializer that repeated them would drift from the web form.


class ProblemInputSerializer(StrictSerializer):
    description = serializers.CharField(allow_blank=True, help_text="A blank row is skipped.")
    responsible_unit = serializers.CharField(required=False, allow_blank=True)
    responsible_person = serializers.CharField(required=False, allow_blank=True)
    deadline = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices, required=False)
    resolution = serializers.CharField(required=False, allow_blank=True)


class CoordinationInputSerializer(StrictSerializer):
    subject = serializers.CharField(allow_blank=True, help_text="A blank row is skipped.")
    detail = serializers.CharField(required=False, allow_blank=True)


class ReportFillSerializer(StrictSerializer):
    """A draft or returned form's figures. Fields left out keep their value; `problems` and
    `coordination`, when given, replace the report's (coordination items the centre has
    answered stay); `milestones_reached`, when given, replaces the list."""

    version = serializers.IntegerField(
        min_value=1, help_text="The version you read; a report saved by someone since answers 409."
    )
    # No digits or range here: the service checks them, with the web form's messages.
    investment = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, help_text="This period, yuan."
    )
    progress_text = serializers.CharField(required=False, allow_blank=True)
    progress_pct = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True
    )
    next_steps = serializers.CharField(required=False, allow_blank=True)
    explanation = serializers.CharField(required=False, allow_blank=True)
    problems = ProblemInputSerializer(many=True, required=False, max_length=MAX_PROBLEMS)
    coordination = CoordinationInputSerializer(
        many=True, required=False, max_length=MAX_COORDINATION
    )
    milestones_reached = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Milestone.objects.none(),
        help_text="Ids of milestones of the report's project.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        report = self.context.get("report")
        if report is not None:
            self.fields["milestones_reached"].child_relation.queryset = Milestone.objects.filter(
                project_id=report.project_id
            )

    def has_changes(self) -> bool:
        return bool(set(self.validated_data) - {"version"})

    def report_input(self) -> ReportInput:
        data = self.validated_data
        return ReportInput(
            fields={name: value for name, value in data.items() if name in REPORT_FIELDS},
            problems=data.get("problems"),
            coordination=data.get("coordination"),
            milestones=data.get("milestones_reached"),
        )


# --- views ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Reporting periods"),
    retrieve=extend_schema(summary="One reporting period"),
)
class PeriodViewSet(viewsets.ReadOnlyModelViewSet):
    """Reporting periods (months and ten-day parts), newest first. Open to every user."""

    serializer_class = PeriodSerializer
    queryset = ReportingPeriod.objects.all()
    filterset_class = PeriodFilterSet
    ordering_fields = ["start", "due_date"]
    lookup_value_regex = r"\d+"


@extend_schema_view(
    list=extend_schema(summary="Progress reports the caller may see"),
    retrieve=extend_schema(
        summary="One report, with its derived figures, problems, coordination and workflow"
    ),
)
@workflow_actions(ProgressReport, response=ReportDetailSerializer, skip=("submit",))
class ReportViewSet(
    WorkflowViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Progress reports. Subsidiary reporters and managers fill and submit their own
    organisation's forms; centre officers and administrators return, accept and reopen.
    Creating (the daily job makes the forms), replacing (PUT) and deleting are not offered.
    Each step of the workflow (`resubmit`, `return`, `accept`, `reopen`) is an action made from
    the model's declaration; `submit` also saves the fields it is given first."""

    filter_backends = [DjangoFilterBackend]  # ordering is the FilterSet's `o`, as on the page
    filterset_class = ReportFilterSet
    lookup_value_regex = r"\d+"
    queryset = ProgressReport.objects.none()  # for the schema; get_queryset() is what runs

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return ProgressReport.objects.none()
        return selectors.report_list(user=self.request.user)

    def get_workflow_queryset(self):
        return ProgressReport.objects.select_related("project__owner", "period")

    def get_serializer_class(self):
        return ReportDetailSerializer if self.action == "retrieve" else ReportSerializer

    def retrieve(self, request, *args, **kwargs):
        return self.transition_response(ProgressReport(pk=self.kwargs["pk"]))

    def transition_response(self, obj) -> Response:
        report = selectors.report_get(user=self.request.user, pk=obj.pk)
        context = self.get_serializer_context()
        return Response(ReportDetailSerializer(report, context=context).data)

    def _fill_form(self, report: ProgressReport) -> ReportFillSerializer:
        context = {**self.get_serializer_context(), "report": report}
        serializer = ReportFillSerializer(data=self.request.data, context=context)
        serializer.is_valid(raise_exception=True)
        return serializer

    def _fillable(self) -> ProgressReport:
        return fetch(self.get_workflow_queryset(), self.request.user, self.kwargs["pk"],
                     "change", refusal=_("Your role may not fill in this report."))  # fmt: skip

    @extend_schema(
        summary="Fill a draft or returned form",
        request=ReportFillSerializer,
        responses={200: ReportDetailSerializer, **REFUSED_OR_STALE},
    )
    def partial_update(self, request, *args, **kwargs):
        report = self._fillable()
        form = self._fill_form(report)
        services.report_save(
            actor=request.user,
            report=report,
            version=form.validated_data["version"],
            data=form.report_input(),
        )
        return self.transition_response(report)

    @extend_schema(
        summary="Submit (or resubmit) for the centre's review, saving the fields given first",
        request=ReportFillSerializer,
        responses={200: ReportDetailSerializer, **REFUSED_OR_STALE},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        report = fetch(self.get_workflow_queryset(), request.user, self.kwargs["pk"], "submit",
                       refusal=_("Your role may not fill in this report."))  # fmt: skip
        form = self._fill_form(report)
        services.report_submit(
            actor=request.user,
            report=report,
            version=form.validated_data["version"],
            data=form.report_input() if form.has_changes() else None,
        )
        return self.transition_response(report)


@extend_schema_view(
    list=extend_schema(summary="Coordination items the caller may see"),
    retrieve=extend_schema(summary="One coordination item"),
)
@workflow_actions(CoordinationItem, response=CoordinationItemSerializer)
class CoordinationItemViewSet(
    WorkflowViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Matters raised in reports for the group's coordination: the centre answers them
    (`answer`, with the answer as `comment`), and the centre or the subsidiary that raised an
    answered one closes it (`close`)."""

    serializer_class = CoordinationItemSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "answered_at"]
    lookup_value_regex = r"\d+"
    queryset = CoordinationItem.objects.none()  # for the schema; get_queryset() is what runs

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CoordinationItem.objects.none()
        return CoordinationItem.objects.for_user(self.request.user).select_related(
            "project__owner", "report__period", "report__project__owner", "assignee", "answered_by"
        )
