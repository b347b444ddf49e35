"""REST API of preliminary work: the catalogue (read-only), the permit items (list with the
board's filters, detail, update of the editable fields) and each workflow step as its own
action, generated from the model's declaration (portal.api.workflow_actions). `approve` is
written here: it carries the document number and the approval date.

Order of answers as everywhere: 404 for an item the caller cannot see, 403 for one seen but not
theirs to change or to step, 400 with the service's field messages, 409 for a stale `version`.
"""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.access import fetch
from portal.api import REFUSED_OR_STALE, StrictSerializer, WorkflowViewSetMixin, workflow_actions
from portal.files import AttachmentViewSetMixin
from portal.limits import text_length_validator
from preliminary import selectors, services
from preliminary.choices import NationalStage
from preliminary.filters import PermitItemFilterSet
from preliminary.models import PermitAttachment, PermitEvent, PermitItem, PermitType


class PermitTypeSerializer(serializers.ModelSerializer):
    depends_on = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    national_stage = serializers.ChoiceField(
        source="stage", choices=NationalStage.choices, read_only=True,
        help_text="1 approval and land planning, 2 works permit, 3 construction permit, "
        "4 completion acceptance.",
    )  # fmt: skip

    class Meta:
        model = PermitType
        fields = ["id", "code", "name", "issuer", "national_stage", "order", "typical_days",
                  "validity_months", "depends_on", "applicability", "is_active"]  # fmt: skip
        read_only_fields = fields


class PermitItemSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-permit-item-detail")
    project = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    owner = serializers.CharField(source="project.owner.code", read_only=True,
                                  help_text="Code of the owning subsidiary.")  # fmt: skip
    permit_type = serializers.CharField(source="permit_type.code", read_only=True)
    permit_type_name = serializers.CharField(source="permit_type.name", read_only=True)

    class Meta:
        model = PermitItem
        fields = ["id", "url", "project", "project_name", "owner", "permit_type",
                  "permit_type_name", "status", "status_since", "planned_date", "submitted_date",
                  "approved_date", "document_number", "valid_until", "extensions",
                  "responsible", "version"]  # fmt: skip
        read_only_fields = fields


class PermitEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PermitEvent
        fields = ["action", "actor", "at", "from_state", "to_state", "comment"]
        read_only_fields = fields


class PermitItemDetailSerializer(PermitItemSerializer):
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                               allow_null=True)  # fmt: skip
    events = PermitEventSerializer(many=True, read_only=True)

    class Meta(PermitItemSerializer.Meta):
        fields = [*PermitItemSerializer.Meta.fields, "note", "return_comment",
                  "not_applicable_reason", "override_reason", "approved_by", "events"]  # fmt: skip
        read_only_fields = fields


class PermitItemUpdateSerializer(StrictSerializer):
    """The editable fields; which of them the caller may change now is the service's rule
    (the owner's people: dates, responsible person, note of an open item; officers also an
    approved item's number and dates)."""

    version = serializers.IntegerField(min_value=1, help_text="The version you read (409 if "
                                       "someone saved since).")  # fmt: skip
    planned_date = serializers.DateField(required=False, allow_null=True)
    submitted_date = serializers.DateField(required=False, allow_null=True)
    approved_date = serializers.DateField(required=False, allow_null=True)
    document_number = serializers.CharField(required=False, allow_blank=True, max_length=100)
    valid_until = serializers.DateField(required=False, allow_null=True)
    responsible = serializers.CharField(required=False, allow_blank=True, max_length=50)
    note = serializers.CharField(required=False, allow_blank=True,
                                 validators=[text_length_validator])  # fmt: skip


class PermitApproveSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1, required=False,
                                       help_text="The version you read; optional.")  # fmt: skip
    document_number = serializers.CharField(
        max_length=100, allow_blank=True, help_text="The approval's reference (批复文号)."
    )
    approved_date = serializers.DateField(help_text="Not in the future, not before the "
                                          "submission.")  # fmt: skip
    valid_until = serializers.DateField(required=False, allow_null=True,
                                        help_text="Default: from the type's validity.")  # fmt: skip
    comment = serializers.CharField(
        required=False, default="", allow_blank=True, validators=[text_length_validator],
        help_text="Required when an item it depends on is not approved yet: the reason.",
    )  # fmt: skip


@extend_schema_view(
    list=extend_schema(summary="The permit and approval types (the catalogue)"),
    retrieve=extend_schema(summary="One permit type"),
)
class PermitTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The national sequence of permits and approvals; administrators edit it in the admin."""

    serializer_class = PermitTypeSerializer
    queryset = PermitType.objects.prefetch_related("depends_on").order_by("order", "code")
    pagination_class = None
    lookup_value_regex = r"\d+"


@extend_schema_view(
    list=extend_schema(summary="Permit items the caller may see (the board's filters)"),
    retrieve=extend_schema(summary="One permit item, with its workflow"),
)
@workflow_actions(PermitItem, response=PermitItemDetailSerializer, skip=("approve",))
class PermitItemViewSet(AttachmentViewSetMixin, WorkflowViewSetMixin, mixins.ListModelMixin,
                        mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """Each project's checklist items. The owning subsidiary's reporters and managers keep
    their items' dates and submit them; officers holding preliminary work record the issuer's
    decision (`approve` with its number and date, `return`, `not_applicable`, `reinstate`,
    `extend`). Items are created from the catalogue, not through the API. Scans:
    `GET/POST /{id}/attachments/`."""

    attachment_model = PermitAttachment

    filter_backends = [DjangoFilterBackend]
    filterset_class = PermitItemFilterSet
    lookup_value_regex = r"\d+"
    queryset = PermitItem.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PermitItem.objects.none()
        return selectors.item_list(user=self.request.user).order_by(
            "project__code", "permit_type__order", "pk"
        )

    def get_workflow_queryset(self):
        return PermitItem.objects.select_related("project__owner", "permit_type")

    def get_serializer_class(self):
        return PermitItemSerializer if self.action == "list" else PermitItemDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        return self.transition_response(PermitItem(pk=self.kwargs["pk"]))

    def transition_response(self, obj) -> Response:
        item = selectors.item_get(user=self.request.user, pk=obj.pk)
        return Response(PermitItemDetailSerializer(item, context=self.get_serializer_context())
                        .data)  # fmt: skip

    @extend_schema(
        summary="Change the editable fields of an item",
        request=PermitItemUpdateSerializer,
        responses={200: PermitItemDetailSerializer, **REFUSED_OR_STALE},
    )
    def partial_update(self, request, *args, **kwargs):
        item = fetch(self.get_workflow_queryset(), request.user, self.kwargs["pk"], "change",
                     refusal=_("Your role may not change this permit item."))  # fmt: skip
        form = PermitItemUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        version = data.pop("version")
        services.permit_update(actor=request.user, item=item, version=version, fields=data)
        return self.transition_response(item)

    @extend_schema(
        summary="Step “approve”: submitted → approved, with the document number and date",
        request=PermitApproveSerializer,
        responses={200: PermitItemDetailSerializer, **REFUSED_OR_STALE},
    )
    @action(detail=True, methods=["post"], url_path="approve", url_name="approve")
    def approve(self, request, *args, **kwargs):
        info = next(t for t in self._transitions() if t.name == "approve")
        item = self.fetch_for_step(info)
        form = PermitApproveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.permit_approve(
            actor=request.user, item=item, document_number=data["document_number"],
            approved_date=data["approved_date"], valid_until=data.get("valid_until"),
            comment=data.get("comment", ""), version=data.get("version"),
        )  # fmt: skip
        return self.transition_response(item)

    @staticmethod
    def _transitions():
        from portal import workflow

        return workflow.transitions_of(PermitItem)
