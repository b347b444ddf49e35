"""REST API of design management, with the registry's conventions (projects/api.py,
reporting/api.py): scoped selectors, the page's FilterSet, writes through the same services.
Amounts are yuan. Each step of a change's approval route is its own action, generated from the
model's declaration (portal.api.workflow_actions); a step off the change's route (a manager
approving a major change) answers 403 with the reason naming the tier.

Order of answers: 404 for a record the caller cannot see, 403 for one seen but not theirs to
change or decide, 400 with the service's field messages, 409 for a stale `version`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from design import selectors, services
from design.choices import ChangeKind, StageOutcome
from design.filters import ChangeFilterSet, StageFilterSet
from design.models import (
    CHANGE_POLICY,
    COST_POLICY,
    DesignChange,
    DesignChangeAttachment,
    DesignChangeEvent,
    DesignStage,
    DesignStageAttachment,
)
from portal.access import Action, fetch, require
from portal.api import REFUSED_OR_STALE, StrictSerializer, WorkflowViewSetMixin, workflow_actions
from portal.files import AttachmentViewSetMixin
from portal.limits import text_length_validator
from projects.models import Project

MONEY = {"max_digits": 18, "decimal_places": 2}
# Input amounts: no digits here, the service checks them with the web form's messages.
ANY_DECIMAL = {"max_digits": None, "decimal_places": None}

# --- output --------------------------------------------------------------------------------------


class DesignChangeEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DesignChangeEvent
        fields = ["action", "actor", "at", "from_state", "to_state", "comment"]
        read_only_fields = fields


class DesignChangeSerializer(serializers.ModelSerializer):
    """A row of the design-change register."""

    url = serializers.HyperlinkedIdentityField(view_name="api-design-change-detail")
    project = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    owner = serializers.CharField(
        source="project.owner.code", read_only=True, help_text="Code of the owning subsidiary."
    )
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DesignChange
        fields = [
            "id", "url", "number", "project", "project_name", "owner", "kind", "tier", "status",
            "contract_name", "contract_sum", "amount_requested", "amount_approved",
            "cumulative_share_pct", "version", "submitted_at", "submitted_by", "decided_at",
            "decided_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class DesignChangeDetailSerializer(DesignChangeSerializer):
    """One change with its reason, approval note, minutes and approval trail."""

    events = DesignChangeEventSerializer(many=True, read_only=True)

    class Meta(DesignChangeSerializer.Meta):
        fields = [*DesignChangeSerializer.Meta.fields, "reason", "approval_note", "meeting_minutes",
                  "events"]  # fmt: skip
        read_only_fields = fields


class DesignStageSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-design-stage-detail")
    project = serializers.CharField(source="project.code", read_only=True)

    class Meta:
        model = DesignStage
        fields = ["id", "url", "project", "kind", "planned_start", "planned_finish",
                  "actual_start", "actual_finish", "designer", "reviewer", "outcome", "note",
                  "version", "updated_at"]  # fmt: skip
        read_only_fields = fields


class CostChainSerializer(serializers.Serializer):
    """A project's cost chain: the feasibility estimate (估算), the approved budget estimate
    (概算, the registry's `approved_budget_estimate`), the construction budget (预算), the
    approved changes, the forecast derived from them and the two flags. Yuan."""

    project_id = serializers.IntegerField(read_only=True)
    project = serializers.CharField(read_only=True, help_text="Project code.")
    feasibility_estimate = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)
    feasibility_doc_no = serializers.CharField(read_only=True)
    feasibility_date = serializers.DateField(read_only=True, allow_null=True)
    budget_estimate = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)
    budget = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)
    budget_doc_no = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)
    approved_changes = serializers.DecimalField(**MONEY, read_only=True)
    forecast = serializers.DecimalField(
        **MONEY, read_only=True, allow_null=True,
        help_text="Budget, else budget estimate, else feasibility estimate, plus the approved "
        "changes.",
    )  # fmt: skip
    estimate_over_pct = serializers.DecimalField(max_digits=12, decimal_places=2,
                                                 read_only=True, allow_null=True)  # fmt: skip
    estimate_flagged = serializers.BooleanField(
        read_only=True, help_text="Budget estimate above the feasibility estimate past the "
        "tolerance."
    )  # fmt: skip
    budget_over_pct = serializers.DecimalField(max_digits=12, decimal_places=2,
                                               read_only=True, allow_null=True)  # fmt: skip
    budget_blocked = serializers.BooleanField(
        read_only=True, help_text="Budget above the approved estimate: tendering is blocked."
    )


def chain_data(project: Project, approved) -> dict:
    chain = selectors.cost_chain_row(project)
    figures = selectors.chain_of(project, chain, approved)
    return {
        "project_id": project.pk,
        "project": project.code,
        "feasibility_estimate": figures.feasibility_estimate,
        "feasibility_doc_no": chain.feasibility_doc_no if chain else "",
        "feasibility_date": chain.feasibility_date if chain else None,
        "budget_estimate": figures.budget_estimate,
        "budget": figures.budget,
        "budget_doc_no": chain.budget_doc_no if chain else "",
        "note": chain.note if chain else "",
        "approved_changes": figures.approved_changes,
        "forecast": figures.forecast,
        "estimate_over_pct": figures.estimate_over_pct,
        "estimate_flagged": figures.estimate_flagged,
        "budget_over_pct": figures.budget_over_pct,
        "budget_blocked": figures.budget_blocked,
    }


# --- input ---------------------------------------------------------------------------------------
# These parse types only; the rules and their messages are the services' and the models'.


class DesignChangeInputSerializer(StrictSerializer):
    """A draft change's fields. On update, fields left out keep their value."""

    project = serializers.CharField(help_text="Project code (on create only).", required=False)
    version = serializers.IntegerField(
        min_value=1, required=False,
        help_text="On update: the version you read; a change saved since answers 409.",
    )  # fmt: skip
    number = serializers.CharField(
        required=False, allow_blank=True, max_length=40,
        help_text="Empty: numbered BG-<project code>-001, …",
    )  # fmt: skip
    kind = serializers.ChoiceField(choices=ChangeKind.choices, required=False)
    contract_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contract_sum = serializers.DecimalField(**ANY_DECIMAL, required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True)
    amount_requested = serializers.DecimalField(**ANY_DECIMAL, required=False)


class DesignChangeDecisionSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you read.")
    amount_approved = serializers.DecimalField(**ANY_DECIMAL, help_text="Yuan.")
    approval_note = serializers.CharField(
        required=False, allow_blank=True, default="", validators=[text_length_validator],
        help_text="Required when the approved amount is above the requested one.",
    )  # fmt: skip


class DesignStageInputSerializer(StrictSerializer):
    planned_start = serializers.DateField(required=False, allow_null=True)
    planned_finish = serializers.DateField(required=False, allow_null=True)
    actual_start = serializers.DateField(required=False, allow_null=True)
    actual_finish = serializers.DateField(required=False, allow_null=True)
    designer = serializers.CharField(required=False, allow_blank=True, max_length=100)
    reviewer = serializers.CharField(required=False, allow_blank=True, max_length=100)
    outcome = serializers.ChoiceField(choices=StageOutcome.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(
        min_value=1, help_text="The stage's version you read; a change saved since answers 409."
    )


class CostChainInputSerializer(StrictSerializer):
    """The whole chain: fields left out are emptied (PUT)."""

    feasibility_estimate = serializers.DecimalField(**ANY_DECIMAL, required=False,
                                                    allow_null=True, default=None)  # fmt: skip
    feasibility_doc_no = serializers.CharField(required=False, allow_blank=True, default="",
                                               max_length=100)  # fmt: skip
    feasibility_date = serializers.DateField(required=False, allow_null=True, default=None)
    budget_estimate = serializers.DecimalField(
        **ANY_DECIMAL, required=False, allow_null=True, default=None,
        help_text="The approved budget estimate: written to the project's registry entry.",
    )  # fmt: skip
    budget = serializers.DecimalField(**ANY_DECIMAL, required=False, allow_null=True,
                                      default=None)  # fmt: skip
    budget_doc_no = serializers.CharField(required=False, allow_blank=True, default="",
                                          max_length=100)  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- views ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Design changes the caller may see"),
    retrieve=extend_schema(summary="One design change with its approval trail"),
)
@workflow_actions(DesignChange, response=DesignChangeDetailSerializer)
class DesignChangeViewSet(
    AttachmentViewSetMixin, WorkflowViewSetMixin, mixins.ListModelMixin,
    mixins.RetrieveModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Design changes, site instructions and claims. The owning subsidiary (or a centre design
    officer) raises and edits a draft, then submits it; the route follows the tier: `approve_minor`
    (the subsidiary's manager), `approve_major` (a centre design officer), or `recommend` then
    `approve_critical` (the group meeting's decision, with its minutes number as the comment).
    `decision` sets the approved amount first. Deleting is not offered."""

    attachment_model = DesignChangeAttachment  # GET/POST /{id}/attachments/: change documents
    filter_backends = [DjangoFilterBackend]  # ordering is the FilterSet's `o`, as on the page
    filterset_class = ChangeFilterSet
    lookup_value_regex = r"\d+"
    queryset = DesignChange.objects.none()  # for the schema; get_queryset() is what runs

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DesignChange.objects.none()
        return selectors.change_list(user=self.request.user)

    def get_workflow_queryset(self):
        return DesignChange.objects.select_related("project__owner")

    def get_serializer_class(self):
        return DesignChangeSerializer if self.action == "list" else DesignChangeDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        return self.transition_response(DesignChange(pk=self.kwargs["pk"]))

    def transition_response(self, obj, status_code: int = 200) -> Response:
        change = selectors.change_get(user=self.request.user, pk=obj.pk)
        context = self.get_serializer_context()
        return Response(
            DesignChangeDetailSerializer(change, context=context).data, status=status_code
        )

    def _input(self) -> DesignChangeInputSerializer:
        form = DesignChangeInputSerializer(data=self.request.data)
        form.is_valid(raise_exception=True)
        return form

    @extend_schema(
        summary="Raise a design change (a draft)",
        request=DesignChangeInputSerializer,
        responses={201: DesignChangeDetailSerializer, **REFUSED_OR_STALE},
    )
    def create(self, request, *args, **kwargs):
        require(CHANGE_POLICY.may_change_any(request.user))
        data = dict(self._input().validated_data)
        data.pop("version", None)
        code = (data.pop("project", "") or "").strip()
        project = Project.objects.for_user(request.user).select_related("owner") \
            .filter(code=code).first() if code else None  # fmt: skip
        if project is None:
            raise serializers.ValidationError(
                {"project": [_("No project with this code in your scope.")]}
            )
        require(
            CHANGE_POLICY.allows_org(request.user, Action.CHANGE, project.owner),
            _("Your role may not raise changes on this project."),
        )
        change = services.change_create(actor=request.user, project=project, **data)
        return self.transition_response(change, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a draft or returned change",
        request=DesignChangeInputSerializer,
        responses={200: DesignChangeDetailSerializer, **REFUSED_OR_STALE},
    )
    def partial_update(self, request, *args, **kwargs):
        change = fetch(self.get_workflow_queryset(), request.user, self.kwargs["pk"],
                       Action.CHANGE, refusal=_("Your role may not edit this change."))  # fmt: skip
        data = dict(self._input().validated_data)
        if "project" in data:
            raise serializers.ValidationError({"project": [_("A change stays on its project.")]})
        version = data.pop("version", None)
        if version is None:
            raise serializers.ValidationError({"version": [_("Give the version you read.")]})
        services.change_update(actor=request.user, change=change, version=version, **data)
        return self.transition_response(change)

    @extend_schema(
        summary="Set the approved amount (and note) of a waiting change",
        request=DesignChangeDecisionSerializer,
        responses={200: DesignChangeDetailSerializer, **REFUSED_OR_STALE},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, *args, **kwargs):
        change = fetch(self.get_workflow_queryset(), request.user, self.kwargs["pk"])
        refusal = _("Only whoever decides this change at its tier sets the approved amount.")
        require(services.may_decide(request.user, change), refusal)
        form = DesignChangeDecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        services.change_set_decision(actor=request.user, change=change, **data)
        return self.transition_response(change)


@extend_schema_view(
    list=extend_schema(summary="Design stages of the projects the caller may see"),
    retrieve=extend_schema(summary="One design stage"),
)
class DesignStageViewSet(AttachmentViewSetMixin, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """Each project's design stages (scheme, preliminary design with the budget estimate,
    construction drawings with the budget, drawing review, briefing): planned and actual dates,
    designer, reviewer, outcome. The owning subsidiary and the centre's design officers record
    them (PATCH, with the `version` read: 409 when someone saved the stage since)."""

    attachment_model = DesignStageAttachment  # GET/POST /{id}/attachments/: drawings
    serializer_class = DesignStageSerializer
    filterset_class = StageFilterSet
    ordering_fields = ["planned_start", "planned_finish", "actual_finish"]
    lookup_value_regex = r"\d+"
    queryset = DesignStage.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DesignStage.objects.none()
        return selectors.stage_list(user=self.request.user).order_by("project__code", "sequence")

    @extend_schema(
        summary="Record a stage's dates, designer, reviewer, outcome or note",
        request=DesignStageInputSerializer,
        responses={200: DesignStageSerializer, **REFUSED_OR_STALE},
    )
    def partial_update(self, request, *args, **kwargs):
        stage = selectors.stage_get(user=request.user, pk=self.kwargs["pk"], action=Action.CHANGE)
        form = DesignStageInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.stage_update(actor=request.user, stage=stage, **form.validated_data)
        context = self.get_serializer_context()
        return Response(DesignStageSerializer(stage, context=context).data)


@extend_schema_view(
    list=extend_schema(summary="Cost chains of the projects the caller may see"),
    retrieve=extend_schema(summary="One project's cost chain (by project id)"),
)
class CostChainViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):  # fmt: skip
    """One cost chain per project, addressed by the project's id, whether recorded yet or not:
    估算, 概算 (the registry's approved budget estimate, one number), 预算, the approved changes,
    the derived forecast and the flags. PUT records the chain (and the project's 概算)."""

    serializer_class = CostChainSerializer
    lookup_value_regex = r"\d+"
    queryset = Project.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return selectors.chain_list(user=self.request.user).order_by("code")

    def _data(self, projects) -> list[dict]:
        return [chain_data(p, p.approved_changes) for p in projects]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(CostChainSerializer(self._data(page), many=True).data)

    def retrieve(self, request, *args, **kwargs):
        project = fetch(self.get_queryset(), request.user, self.kwargs["pk"])
        return Response(CostChainSerializer(chain_data(project, project.approved_changes)).data)

    @extend_schema(
        summary="Record the cost chain of a project",
        request=CostChainInputSerializer,
        responses={200: CostChainSerializer, **REFUSED_OR_STALE},
    )
    def update(self, request, *args, **kwargs):
        project = fetch(self.get_queryset(), request.user, self.kwargs["pk"])
        require(COST_POLICY.allows_org(request.user, Action.CHANGE, project.owner),
                _("Your role may not change this project's cost chain."))  # fmt: skip
        form = CostChainInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.cost_chain_save(actor=request.user, project=project, **form.validated_data)
        return self.retrieve(request, *args, **kwargs)
