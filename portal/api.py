"""Shared pieces of the REST API: pagination, error shape, scoped viewsets and permissions.

Conventions every app's API follows:
- viewsets start from `Model.objects.for_user(request.user, VIEW)`, so another organisation's
  row answers 404, exactly as on the HTML pages;
- writes go through the app's services; a `django.core.exceptions.ValidationError` raised there
  becomes a 400 with the same field messages the web form shows;
- every error is a 4xx JSON body with a `detail` (and field errors where there are some).
"""

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, pagination, permissions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from portal import access, workflow
from portal.access import Action
from portal.limits import bound_dates, text_length_validator


class PortalPagination(pagination.PageNumberPagination):
    """`page` and `page_size` are whole numbers of 1 or more (`page=last` too); anything else
    is refused with 400 naming the parameter, rather than silently replaced by the default.
    A `page_size` above `max_page_size` is capped, as DRF documents."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def _positive_int(self, request, name: str) -> int | None:
        raw = request.query_params.get(name, "").strip()
        if not raw:  # absent or blank: the default, as for every filter
            return None
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise exceptions.ValidationError({name: [_("Enter a whole number of 1 or more.")]})
        return value

    def get_page_size(self, request):
        size = self._positive_int(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            self._positive_int(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The record changed since you read it."
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) == "conflict":
        # Optimistic locking lost: 409, with the message the web form shows.
        exc = Conflict(exc.messages[0])
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if k == "__all__" else k): [str(m) for e in v for m in e]
                for k, v in exc.error_dict.items()
            }
        else:
            detail = {"non_field_errors": [str(m) for m in exc.messages]}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        # Only JSON carries nested fields (a report's problems and coordination items): say so,
        # rather than the bare media type.
        exc = exceptions.UnsupportedMediaType(
            exc.detail,
            _("Send the body as JSON (Content-Type: application/json): a form or multipart body "
              "cannot carry nested fields such as problems."),
        )  # fmt: skip
    elif isinstance(exc, Http404):
        # Not Django's English "No Project matches the given query.": one translated message,
        # the same for a missing row and another organisation's.
        exc = exceptions.NotFound(_("Not found, or not in your scope."))
    return drf_exception_handler(exc, context)


class ScopedObjectPermission(permissions.IsAuthenticated):
    """Reads follow the viewset's scoped queryset; writes need the model's CHANGE policy.

    Object-level: a row the user can see but not change answers 403 on PUT/PATCH/DELETE.
    Creating is checked by the viewset against the owner the new row would have.
    """

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if (view.lookup_url_kwarg or view.lookup_field) in view.kwargs:
            # A row: let the scoped lookup answer 404 for an unseen row before any 403.
            return True
        policy = view.get_queryset().model.access_policy
        return policy.may_change_any(request.user)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return obj.access_policy.allows(request.user, Action.CHANGE, obj)


# --- input -------------------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know instead of dropping them: a client that sends `status` or
    misspells a field learns it at once, as the service tells the web form."""

    def get_fields(self):
        fields = super().get_fields()
        bound_dates(fields)  # a date between portal.limits.DATE_MIN and DATE_MAX
        return fields

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                message = _("Unknown fields: %(names)s") % {"names": ", ".join(unknown)}
                raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
        return super().to_internal_value(data)


# --- workflow actions, generated from the declarations (portal.workflow) ------------------------

REFUSED = {
    403: OpenApiResponse(description="Seen, but this step is not yours to take."),
    404: OpenApiResponse(description="No such record, or not in your scope."),
}
REFUSED_OR_INVALID = {
    **REFUSED,
    400: OpenApiResponse(
        description="Field messages (e.g. a required comment), or the current state forbids "
        "the step."
    ),
}
REFUSED_OR_STALE = {
    **REFUSED_OR_INVALID,
    409: OpenApiResponse(description="Someone saved the record after you read `version`."),
}


def transition_serializer(model, info: workflow.Transition) -> type[StrictSerializer]:
    """The request body of one step: the version read, and the comment if the step takes one."""
    fields: dict[str, serializers.Field] = {
        "version": serializers.IntegerField(
            min_value=1,
            required=False,
            help_text="The version you read, to be refused (409) if it changed since; optional.",
        )
    }
    if info.comment is not workflow.Comment.NONE:
        required = info.comment is workflow.Comment.REQUIRED
        fields["comment"] = serializers.CharField(
            required=False,
            default="",
            allow_blank=True,  # so that a blank one gets the step's own message (400)
            validators=[text_length_validator],
            help_text=("Required. " if required else "Optional. ") + str(info.comment_help or ""),
        )
    camel = "".join(part.capitalize() for part in info.name.split("_"))
    # `ProgressReportAcceptSerializer`: the schema calls its body `ProgressReportAcceptRequest`.
    return type(f"{model.__name__}{camel}Serializer", (StrictSerializer,), fields)


class WorkflowViewSetMixin:
    """A viewset whose model has a workflow: `workflow_actions(Model)` adds one POST action per
    declared transition (`/{id}/{step}/`), each fetching the record in scope (404), checking
    the step (403), parsing the body (400), performing it through the one service (400 for a
    wrong state, 409 for a stale version) and answering with the record as it now is."""

    def get_workflow_queryset(self):
        return self.get_queryset()

    def perform_transition(self, obj, info: workflow.Transition, data: dict) -> None:
        workflow.transition_perform(actor=self.request.user, obj=obj, name=info.name, **data)

    def transition_response(self, obj) -> Response:
        fresh = access.fetch(self.get_workflow_queryset(), self.request.user, obj.pk)
        return Response(self.get_serializer(fresh).data)

    def fetch_for_step(self, info: workflow.Transition):
        return access.fetch(
            self.get_workflow_queryset(),
            self.request.user,
            self.kwargs[self.lookup_url_kwarg or self.lookup_field],
            info.permission,
            refusal=_("Your role may not take the step “%(step)s” here.") % {"step": info.label},
        )


def workflow_actions(model, *, response=None, skip: tuple[str, ...] = ()):
    """Class decorator: one API action per transition `model` declares, except those in
    `skip` (which the viewset writes itself, e.g. a submit that also saves fields)."""

    def decorate(viewset_cls):
        for info in workflow.transitions_of(model):
            if info.name not in skip:
                setattr(viewset_cls, f"step_{info.name}", _step_action(model, info, response))
        return viewset_cls

    return decorate


def _step_action(model, info: workflow.Transition, response):
    body = transition_serializer(model, info)
    sources = ", ".join(info.sources)

    def step_action(self, request, *args, **kwargs):
        obj = self.fetch_for_step(info)
        form = body(data=request.data)
        form.is_valid(raise_exception=True)
        self.perform_transition(obj, info, dict(form.validated_data))
        return self.transition_response(obj)

    step_action.__name__ = f"step_{info.name}"
    step_action.__doc__ = f"Take the step `{info.name}` ({sources} → {info.target})."
    decorated = action(detail=True, methods=["post"], url_path=info.name, url_name=info.name)(
        step_action
    )
    return extend_schema(
        summary=f"Step “{info.name}”: {sources} → {info.target}",
        request=body,
        responses={200: response, **REFUSED_OR_STALE},
    )(decorated)
