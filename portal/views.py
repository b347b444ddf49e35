"""Views of the base (sign-in, home, profile) and the generic views every app's pages build on.

An app's views are declarations: a list view names its selector, FilterSet and templates; an edit
view names its form and the service that performs the write (NetBox's generic views, with the
HackSoft split of reads into selectors and writes into services).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView
from django_htmx.http import HttpResponseClientRedirect
from rest_framework.authtoken.models import Token

from portal import access, exports, workbench, workflow
from portal.forms import TransitionForm


class FilteredListView(LoginRequiredMixin, ListView):
    """A scoped, filtered, sorted and paginated list.

    Subclasses set `filterset_class`, `template_name`, `partial_template_name` (the table, for
    htmx) and implement `get_base_queryset()` with a selector that is already scoped to the user.
    The same FilterSet serves the API, so the HTML list and the API filter alike.

    Declaring `export_columns = [(label, getter), ...]` (see portal.exports) makes `?format=xlsx`
    return the whole filtered, sorted list as .xlsx, not one page. Anyone who may open the list
    may export it: the rows are the ones the selector already scoped to the user.
    `export_file_name` names the file (default: the model's plural name).
    """

    filterset_class: type | None = None
    partial_template_name: str = ""
    export_columns: Sequence[exports.ExportColumn] | None = None
    export_file_name: str = ""

    def get(self, request, *args, **kwargs):
        if self.export_columns and request.GET.get("format") == "xlsx":
            return self.export_xlsx()
        return super().get(request, *args, **kwargs)

    def export_xlsx(self) -> HttpResponse:
        if getattr(self.request, "htmx", None):
            # Clicked on a page driven by htmx: let the browser fetch the file itself.
            return HttpResponseClientRedirect(self.request.get_full_path())
        limit = settings.PORTAL.get("EXPORT_MAX_ROWS", 50_000)
        rows = list(self.get_queryset()[: limit + 1])  # one query, whatever the number of rows
        if len(rows) > limit:
            messages.error(
                self.request,
                _("More than %(limit)s rows: narrow the filters to export them.")
                % {"limit": limit},
            )
            query = self.request.GET.copy()
            query.pop("format", None)
            return redirect(f"{self.request.path}?{query.urlencode()}")
        meta = self.filterset.queryset.model._meta
        name = self.export_file_name or capfirst(str(meta.verbose_name_plural))
        day = timezone.localdate().strftime("%Y%m%d")
        return exports.xlsx_response(
            rows,
            self.export_columns,
            file_name=f"{name}_{day}.xlsx",
            fallback_name=f"{meta.model_name}_list_{day}.xlsx",
            sheet_title=name,
        )

    def get_base_queryset(self) -> models.QuerySet:
        raise NotImplementedError

    def get_paginate_by(self, queryset):
        return settings.PORTAL["LIST_PAGE_SIZE"]

    def get_queryset(self):
        self.filterset = self.filterset_class(
            self.request.GET or None, queryset=self.get_base_queryset(), request=self.request
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        return context

    def get_template_names(self):
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.boosted and self.partial_template_name:
            return [self.partial_template_name]
        return super().get_template_names()


class ServiceFormView(LoginRequiredMixin, FormView):
    """A form whose valid data is handed to one service.

    `perform(form)` calls the service and returns the saved object. A ValidationError from the
    service lands next to the fields it names, and everything typed stays on the page.
    """

    success_message: str = ""

    def perform(self, form) -> models.Model:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.perform(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message % {"object": self.object})
        return redirect(self.get_success_url())

    def get_success_url(self) -> str:
        return self.object.get_absolute_url()


def add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


require = access.require  # 403 for a page the user can see exists but may not use


def workflow_panel(request, obj: models.Model, form: TransitionForm | None = None,
                   url: str = "") -> dict:  # fmt: skip
    """The context of the shared workflow partial (`portal/partials/workflow.html`): the steps
    this user may take on `obj` now, one comment box, and the form with its errors and what
    the user typed when a step was refused."""
    available = workflow.available_transitions(request.user, obj)
    commented = [t for t in available if t.comment is not workflow.Comment.NONE]
    if form is None:
        form = TransitionForm(model=type(obj), initial={"version": obj.version})
    return {
        "obj": obj,
        "url": url,
        "transitions": available,
        "commented": commented,
        "comment_label": commented[0].comment_label if len(commented) == 1 else _("Comment"),
        "comment_required": [t for t in commented if t.comment is workflow.Comment.REQUIRED],
        "form": form,
    }


class TransitionView(LoginRequiredMixin, View):
    """POST one step of a record's workflow (the buttons of the shared partial).

    Fetches the record in scope (404 for missing and unseen alike), checks the step (403),
    takes it through `portal.workflow.transition_perform`, and goes back to the record's page.
    A refusal (a missing comment, a wrong state, someone saved in between) renders the page
    again with the message at the comment and everything the user typed. Subclasses set
    `queryset` and `render_page(request, obj, form)`, which reads the record again (with what
    its page shows) so that a refused step shows it as it now is.
    """

    queryset: models.QuerySet | None = None

    def get_queryset(self) -> models.QuerySet:
        return self.queryset.all()

    def render_page(self, request, obj: models.Model, form: TransitionForm) -> HttpResponse:
        raise NotImplementedError

    def post(self, request, pk):
        obj = access.fetch(self.get_queryset(), request.user, pk)
        form = TransitionForm(request.POST, model=type(obj))
        chosen = form.transitions.get(request.POST.get("action", ""))
        if chosen is not None:  # 403 before anything else is said about the step
            require(access.allows(request.user, chosen.permission, obj))
        if form.is_valid():
            info = form.transition
            try:
                workflow.transition_perform(
                    actor=request.user,
                    obj=obj,
                    name=info.name,
                    comment=form.cleaned_data["comment"],
                    version=form.cleaned_data["version"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, workflow.done_message(info, obj))
                return redirect(obj.get_absolute_url())
        # `render_page` reads the record again: the page shows it as it now is, with the
        # errors and the comment.
        return self.render_page(request, obj, form)


# Cookies that apps leave for a signed-in browser, deleted at log-out: (name, URL name of the path
# they were set on). Apps add theirs in AppConfig.ready() (dashboard: the cockpit's hint).
SIGNED_IN_COOKIES: list[tuple[str, str]] = []


class LogoutView(auth_views.LogoutView):
    """Django's log-out, which also deletes SIGNED_IN_COOKIES: what they say of the user who
    left (their id, their scope) does not stay behind in a shared browser."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # Whether the browser holds one cannot be told here: a cookie of another path (the
        # cockpit's is /dashboard/'s) is not sent to this one. Deleting costs a header.
        for name, url_name in SIGNED_IN_COOKIES:
            response.delete_cookie(name, path=reverse(url_name), samesite="Lax")
        return response


class HomeView(LoginRequiredMixin, View):
    """The workbench (工作台): what waits for this user, what falls due this week, what changed
    on their projects since they last looked (portal.workbench). Each app's entry point is one
    click away."""

    def get(self, request):
        return render(request, "portal/home.html", workbench.workbench(request.user))


class ProfileView(LoginRequiredMixin, View):
    """The user's own account: organisation, role, functions and the API token."""

    def get(self, request):
        token = Token.objects.filter(user=request.user).first()
        return render(request, "portal/profile.html", {"token": token})

    def post(self, request):
        # Create or rotate the token; the old one stops working at once.
        Token.objects.filter(user=request.user).delete()
        Token.objects.create(user=request.user)
        messages.success(request, _("A new API token was issued; the old one no longer works."))
        return redirect(reverse("profile"))


def healthz(request):
    """Liveness probe for load balancers and the benchmark's bare view: no session, no
    database, no template."""
    return HttpResponse("ok", content_type="text/plain")
