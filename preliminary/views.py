"""Pages of preliminary work. Thin: fetch scoped, check the rule, call the service, render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views import View

from portal import access, files, workflow
from portal.forms import TransitionForm
from portal.history import history_entries
from portal.views import FilteredListView, TransitionView, add_service_errors, workflow_panel
from preliminary import selectors, services
from preliminary.choices import BoardState, PermitStatus
from preliminary.filters import PermitItemFilterSet
from preliminary.forms import ApprovalForm, PermitItemForm
from preliminary.models import PermitAttachment, PermitItem, PermitRules
from preliminary.warnings import item_warnings, project_elapsed, still_needed, working_days


def _warnings_text(item: PermitItem) -> str:
    rules, today = PermitRules.current(), timezone.localdate()
    return "; ".join(f"{w.label} {w.days}" for w in item_warnings(item, today, rules))


class BoardView(FilteredListView):
    """The centre's cross-project board: which projects wait on which approval. Rows are the
    items still to obtain (by default), grouped by project, with their warnings."""

    filterset_class = PermitItemFilterSet
    template_name = "preliminary/board.html"
    partial_template_name = "preliminary/partials/board_table.html"
    export_file_name = _lazy("Permit register")
    export_columns = [
        (_lazy("project code"), "project.code"),
        (_lazy("project name"), "project.name"),
        (_lazy("owning subsidiary"), "project.owner.name"),
        (_lazy("Permit type"), "permit_type.name"),
        (_lazy("Issuer"), "permit_type.issuer"),
        (_lazy("Status"), "get_status_display"),
        (_lazy("Planned approval date"), "planned_date"),
        (_lazy("Submitted on"), "submitted_date"),
        (_lazy("Approved on"), "approved_date"),
        (_lazy("Document number"), "document_number"),
        (_lazy("Valid until"), "valid_until"),
        (_lazy("Responsible person"), "responsible"),
        (_lazy("Warnings"), _warnings_text),
        (_lazy("Note"), "note"),
    ]

    def get_base_queryset(self):
        return selectors.item_list(user=self.request.user).order_by(
            "project__code", "permit_type__order", "pk"
        )

    def get_queryset(self):
        if "state" not in self.request.GET:  # the board opens on what is still to obtain
            query = self.request.GET.copy()
            query["state"] = BoardState.OPEN
            self.request.GET = query
        return super().get_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rules, today = PermitRules.current(), timezone.localdate()
        for item in context["page_obj"]:
            item.warnings = item_warnings(item, today, rules)
        return context


def _item_context(request, item: PermitItem) -> dict:
    rules, today = PermitRules.current(), timezone.localdate()
    missing = services.blockers(item) if item.status == PermitStatus.SUBMITTED else []
    return {
        "rules": rules,
        "warnings": item_warnings(item, today, rules),
        "days_in_status": working_days(item.status_since, today),
        "missing": missing,
        "history": history_entries(
            list(
                item.history.select_related("history_user").order_by(
                    "-history_date", "-history_id"
                )[:31]
            ),
            model=PermitItem,
            limit=30,
        ),
    }


def render_item(request, item: PermitItem, *, form=None, step_form=None, approval=None,
                status=200):  # fmt: skip
    editable = services.editable_fields(request.user, item)
    if form is None and editable:
        form = PermitItemForm(item=item, editable=editable)
    panel = workflow_panel(request, item, step_form,
                           url=reverse("preliminary:item-step", args=[item.pk]))  # fmt: skip
    may_approve = any(t.name == "approve" for t in panel["transitions"])
    # The approve step has its own form (number and date); the panel shows the others.
    panel["transitions"] = [t for t in panel["transitions"] if t.name != "approve"]
    panel["commented"] = [t for t in panel["commented"] if t.name != "approve"]
    if may_approve and approval is None:
        approval = ApprovalForm(item=item)
    attachments = files.attachments_panel(
        request, item, PermitAttachment,
        upload_url=reverse("preliminary:item-attachment-upload", args=[item.pk]),
    )  # fmt: skip
    return render(request, "preliminary/item_detail.html", {
        "item": item, "form": form if editable else None, "workflow": panel,
        "approval": approval if may_approve else None, "attachments": attachments,
        **_item_context(request, item),
    }, status=status)  # fmt: skip


class ItemDetailView(LoginRequiredMixin, View):
    """An item: its fields (editable per person and status), the workflow, the history."""

    def get(self, request, pk):
        return render_item(request, selectors.item_get(user=request.user, pk=pk))

    def post(self, request, pk):
        item = selectors.item_get(user=request.user, pk=pk)
        access.require(access.allows(request.user, "change", item))
        editable = services.editable_fields(request.user, item)
        form = PermitItemForm(request.POST, item=item, editable=editable)
        if form.is_valid():
            try:
                services.permit_update(actor=request.user, item=item,
                                       version=form.cleaned_data["version"],
                                       fields=form.item_fields())  # fmt: skip
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(object)s was saved.") % {"object": item})
                return redirect(item.get_absolute_url())
        fresh = selectors.item_get(user=request.user, pk=pk)
        return render_item(request, fresh, form=form)


class ItemStepView(TransitionView):
    """A step of the item's workflow from its page; the approve step carries its number and
    date (ApprovalForm), the others a comment (the shared partial)."""

    queryset = PermitItem.objects.select_related("project__owner", "permit_type")

    def render_page(self, request, obj, form):
        return render_item(request, selectors.item_get(user=request.user, pk=obj.pk),
                           step_form=form)  # fmt: skip

    def post(self, request, pk):
        if request.POST.get("action") != "approve":
            return super().post(request, pk)
        item = access.fetch(self.get_queryset(), request.user, pk, "approve")
        approval = ApprovalForm(request.POST, item=item)
        if approval.is_valid():
            data = approval.cleaned_data
            try:
                services.permit_approve(
                    actor=request.user, item=item, document_number=data["document_number"],
                    approved_date=data["approved_date"], valid_until=data["valid_until"],
                    comment=data["comment"], version=data["version"],
                )  # fmt: skip
            except ValidationError as exc:
                add_service_errors(approval, exc)
            else:
                info = workflow.get_transition(PermitItem, "approve")
                messages.success(request, workflow.done_message(info, item))
                return redirect(item.get_absolute_url())
        fresh = selectors.item_get(user=request.user, pk=pk)
        return render_item(
            request,
            fresh,
            approval=approval,
            step_form=TransitionForm(model=PermitItem, initial={"version": fresh.version}),
        )


class ItemAttachmentUploadView(files.AttachmentUploadView):
    """Upload a scan to an item; a refused file shows the item's page with the message at the
    field."""

    queryset = PermitItem.objects.select_related("project__owner", "permit_type")
    model = PermitAttachment

    def render_page(self, request, record, form):
        return render_item(request, selectors.item_get(user=request.user, pk=record.pk))


def _gantt(items: list[PermitItem], today: datetime.date) -> dict:
    """The Gantt chart's data: per item its planned window (the typical working days before
    the planned date) and its actual one (submitted to approved, or to today while open)."""
    from preliminary.warnings import minus_working_days

    rows = []
    for item in items:
        if item.status == PermitStatus.NOT_APPLICABLE:
            continue
        planned = None
        if item.planned_date:
            begin = minus_working_days(item.planned_date, item.permit_type.typical_days)
            planned = [begin.isoformat(), item.planned_date.isoformat()]
        actual = None
        if item.submitted_date:
            end = item.approved_date or today
            actual = [item.submitted_date.isoformat(), max(end, item.submitted_date).isoformat()]
        rows.append({"name": item.permit_type.name, "status": item.get_status_display(),
                     "planned": planned, "actual": actual,
                     "late": bool(item.is_open and item.planned_date
                                  and item.planned_date < today)})  # fmt: skip
    return {
        "rows": rows, "today": today.isoformat(),
        "labels": {"planned": pgettext("gantt", "Planned"), "actual": pgettext("gantt", "Actual"),
                   "today": str(_("Today")), "no_data": str(_("No dates yet."))},
    }  # fmt: skip


class ChecklistView(LoginRequiredMixin, View):
    """A project's checklist: the items table, the Gantt view and the working days."""

    def get(self, request, pk):
        project = selectors.project_get(user=request.user, pk=pk)
        items = selectors.checklist(project=project)
        rules, today = PermitRules.current(), timezone.localdate()
        needed = still_needed(items)
        present = {i.permit_type_id for i in items if i.status != PermitStatus.NOT_APPLICABLE}
        for item in items:
            item.project = project  # the rules read its start; no query per row
            item.warnings = item_warnings(item, today, rules, needed[item.pk])
            # The prerequisites this project has (a small project has no proposal to wait for).
            item.needs = [t for t in item.permit_type.depends_on.all() if t.pk in present]
        return render(request, "preliminary/checklist.html", {
            "project": project, "items": items, "rules": rules,
            "elapsed": project_elapsed(items, today, rules),
            "gantt": _gantt(items, today),
            "gantt_height": max(240, 90 + 34 * len(items)),
            "may_make": PermitItem.access_policy.allows_org(request.user, "change",
                                                            project.owner),
            "missing_types": [t.name for t in services.applicable_types(project, rules=rules)
                              if t.pk not in {i.permit_type_id for i in items}],
        })  # fmt: skip


class ChecklistMakeView(LoginRequiredMixin, View):
    """Create the missing items of a project's checklist (idempotent)."""

    def post(self, request, pk):
        project = selectors.project_get(user=request.user, pk=pk)
        access.require(PermitItem.access_policy.allows_org(request.user, "change", project.owner))
        made = services.checklist_ensure(project=project)
        if made:
            messages.success(request, _("%(count)s items were added to the checklist.")
                             % {"count": made})  # fmt: skip
        else:
            messages.info(request, _("The checklist already has every item the project needs."))
        return redirect("preliminary:checklist", pk=project.pk)
