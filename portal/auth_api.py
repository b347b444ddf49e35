"""The API's token endpoint and throttles.

`POST /api/v1/auth/token/` goes through django-axes exactly as the log-in page does: the
request is handed to `authenticate`, so a failure counts towards the lockout of that username
and address, and a locked account is told so (429) instead of "bad credentials". The endpoint
also has its own, stricter rate per address (scope `token`), so guessing many usernames from
one address is slowed down even before any account locks.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from portal.throttles import TokenThrottle


class AccountLocked(exceptions.APIException):
    status_code = 429
    default_code = "locked_out"

    def __init__(self):
        super().__init__(
            _(
                "This account is locked for a while from your address. Try again later, or ask "
                "an administrator to unlock it."
            )
        )


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token."""

    throttle_classes = [TokenThrottle]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: OpenApiResponse(
                response=inline_serializer("AuthToken", {"token": serializers.CharField()}),
                description="The user's API token: send it as `Authorization: Token <token>`.",
            ),
            400: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(description="Too many attempts, or the account is locked."),
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        # AuthTokenSerializer authenticates with the request, so django-axes counts a failure
        # and, once the account is locked, flags the request instead of checking the password.
        valid = serializer.is_valid()
        if getattr(request, "axes_locked_out", False):
            raise AccountLocked()
        if not valid:
            raise exceptions.ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


obtain_token = ObtainTokenView.as_view()
