"""REST API of the registry. The conventions here are the ones later apps copy:
scoped queryset, the list FilterSet, writes through services, 404 for unseen rows, 403 for rows
seen but not changeable, 400 with field messages for bad data."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from portal.api import ScopedObjectPermission
from portal.files import AttachmentViewSetMixin
from portal.limits import bound_dates
from portal.models import Organisation, User
from projects import selectors, services
from projects.filters import ProjectFilterSet
from projects.models import (
    PROJECT_EDITABLE_FIELDS,
    AnnualPlan,
    Milestone,
    Project,
    ProjectAttachment,
)


class AnnualPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnnualPlan
        fields = ["year", "planned_investment", "year_end_target"]


class MilestoneSerializer(serializers.ModelSerializer):
    responsible_organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "name",
            "deadline",
            "days_before_target",
            "responsible_organisation",
            "responsible_person",
            "arrangement",
            "actual_date",
        ]


class ProjectSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Organisation.objects.filter(kind="subsidiary"),
        help_text="Code of the owning subsidiary, e.g. `infra`.",
    )
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    assigned_leader = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(role="leader"),
        required=False,
        allow_null=True,
    )
    project_manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
    )
    url = serializers.HyperlinkedIdentityField(view_name="api-project-detail")

    class Meta:
        model = Project
        fields = ["id", "url", *PROJECT_EDITABLE_FIELDS, "owner_name", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_dates(self.fields)  # a date between portal.limits.DATE_MIN and DATE_MAX
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["owner"].queryset = selectors.owner_choices(user=request.user)
            self.fields["project_manager"].queryset = selectors.manager_choices(user=request.user)
            if not Project.access_policy.changes_all(request.user):
                self.fields["reports_ten_daily"].read_only = True  # the centre's switch


class ProjectDetailSerializer(ProjectSerializer):
    annual_plans = AnnualPlanSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "annual_plans", "milestones"]


@extend_schema_view(
    list=extend_schema(summary="Projects the caller may see"),
    create=extend_schema(
        summary="Register a project (centre officers; managers for their own subsidiary)"
    ),
)
class ProjectViewSet(
    AttachmentViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The shared project registry. Deleting is left to administrators in the admin.
    `/{id}/attachments/`: the project's documents (portal.files)."""

    attachment_model = ProjectAttachment
    permission_classes = [ScopedObjectPermission]
    filterset_class = ProjectFilterSet
    ordering_fields = ["code", "name", "total_investment", "updated_at"]
    queryset = Project.objects.none()  # for the schema; get_queryset() is what runs

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return Project.objects.none()
        if self.action == "retrieve":
            return selectors.project_list(user=self.request.user).prefetch_related(
                "annual_plans", "milestones__responsible_organisation"
            )
        return selectors.project_list(user=self.request.user)

    def get_serializer_class(self):
        return ProjectDetailSerializer if self.action == "retrieve" else ProjectSerializer

    def perform_create(self, serializer):
        serializer.instance = services.project_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        # get_object() has checked the change step (ScopedObjectPermission): 404, then 403.
        serializer.instance = services.project_update(
            actor=self.request.user, project=serializer.instance, **serializer.validated_data
        )
