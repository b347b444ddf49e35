"""The REST API of the in-app notifications: the caller's own list, one notification, mark one
read, mark all read, and the unread count. Another user's notification answers 404."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from portal import notifications
from portal.forms import StrictBooleanFilter
from portal.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "title", "text", "url", "key", "created_at", "read_at", "unread"]
        read_only_fields = fields

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


class NotificationFilterSet(filters.FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["unread", "key"]


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):  # fmt: skip
    """The caller's notifications, newest first (`?unread=true` for the unread ones)."""

    queryset = Notification.objects.none()  # for the schema; get_queryset() scopes
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no user
            return self.queryset
        return notifications.notifications_for(user=self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = self.get_object()
        notifications.notification_mark_read(actor=request.user, notification=notification)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("NotificationsRead", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every notification of the caller read; answers how many were unread."""
        return Response({"marked": notifications.notifications_mark_all_read(actor=request.user)})

    @extend_schema(
        responses=inline_serializer("NotificationsUnread", {"unread": serializers.IntegerField()})
    )
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None,
            pagination_class=None)  # fmt: skip
    def unread_count(self, request):
        """The bell's number."""
        return Response({"unread": notifications.unread_count(request.user)})


router = DefaultRouter()
router.register("notifications", NotificationViewSet, basename="api-notification")
urlpatterns = router.urls
