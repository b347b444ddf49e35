"""Shared pieces of the REST API: pagination, error shape, scoped viewsets and permissions.

Conventions every app's API follows:
- viewsets start from `Model.objects.for_user(request.user, VIEW)`, so another organisation's
  row answers 404, exactly as on the HTML pages;
- writes go through the app's services; a `django.core.exceptions.ValidationError` raised there
  becomes a 400 with the same field messages the web form shows;
- every error is a 4xx JSON body with a `detail` (and field errors where there are some).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination, permissions
from rest_framework.views import exception_handler as drf_exception_handler

from portal.access import Action


class PortalPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


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
