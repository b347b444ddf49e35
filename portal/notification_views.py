"""The in-app notification list (/notifications/): a user's own notifications, newest first;
opening one through its link marks it read; "mark all as read" is a POST. Another user's
notification answers 404, as a missing one does."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from portal import notifications


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "portal/notifications.html"
    context_object_name = "notifications"

    def get_queryset(self):
        return notifications.notifications_for(user=self.request.user)

    def get_paginate_by(self, queryset):
        return settings.PORTAL["LIST_PAGE_SIZE"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query_without_page"] = ""
        # The bell's cached count: the navigation bar then reads it from the cache too.
        context["unread"] = notifications.unread_count(self.request.user)
        return context


@login_required
@require_GET
def notification_open(request, pk: int):
    """Mark the notification read and go where it points (its list when it points nowhere, or
    off the portal)."""
    notification = notifications.notification_get(user=request.user, pk=pk)
    notifications.notification_mark_read(actor=request.user, notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notifications_read_all(request):
    count = notifications.notifications_mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return redirect("notifications:list")
