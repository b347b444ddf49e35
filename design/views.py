"""Pages of design management. Thin: fetch scoped, check the rule, call the service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from design import selectors, services
from design.choices import WAITING
from design.filters import ChangeFilterSet
from design.forms import ChangeForm, CostChainForm, DecisionForm, StageForm
from design.models import (
    CHANGE_POLICY,
    COST_POLICY,
    DECIDING_STEP,
    STAGE_POLICY,
    DesignChange,
    DesignChangeAttachment,
    DesignStage,
    DesignStageAttachment,
)
from portal import exports, files, workflow
from portal.access import Action, allows, fetch, is_admin
from portal.forms import TransitionForm
from portal.history import history_entries
from portal.views import (
    FilteredListView,
    TransitionView,
    add_service_errors,
    require,
    workflow_panel,
)
from projects.models import Project


class ChangeListView(FilteredListView):
    """The design-change register across projects, with the filtered set's totals in 万元."""

    filterset_class = ChangeFilterSet
    template_name = "design/change_list.html"
    partial_template_name = "design/partials/change_table.html"
    export_columns = [
        (_lazy("Change number"), "number"),
        (_lazy("project code"), "project.code"),
        (_lazy("project name"), "project.name"),
        (_lazy("owning subsidiary"), "project.owner.name"),
        (_lazy("Type"), "get_kind_display"),
        (_lazy("Tier"), "get_tier_display"),
        (_lazy("Status"), "get_status_display"),
        (_lazy("Contract"), "contract_name"),
        (_lazy("Contract sum (10k yuan)"), exports.wan("contract_sum")),
        (_lazy("Amount requested (10k yuan)"), exports.wan("amount_requested")),
        (_lazy("Amount approved (10k yuan)"), exports.wan("amount_approved")),
        (_lazy("Reason"), "reason"),
        (_lazy("Approval note"), "approval_note"),
        (_lazy("Group meeting minutes"), "meeting_minutes"),
        (_lazy("submitted at"), "submitted_at"),
        (_lazy("decided by"), "decided_by"),
        (_lazy("decided at"), "decided_at"),
    ]
    export_file_name = _lazy("Design changes")

    def get_base_queryset(self):
        return selectors.change_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = selectors.change_totals(self.filterset.qs)
        context["may_raise"] = CHANGE_POLICY.may_change_any(self.request.user)
        return context


# --- one change ----------------------------------------------------------------------------------


def route_transitions(user, change: DesignChange, transitions: list, tier: str) -> list:
    """The steps shown for a waiting `change`: only its tier's deciding step, a return for
    whoever decides at that tier, a withdrawal for whoever submitted it; nobody is offered a
    step its checks would refuse."""
    tier_steps = {*DECIDING_STEP.values(), "approve_critical"}
    decider = services.decider_step(change, tier)
    keep = []
    for t in transitions:
        if t.name in tier_steps and t.name != decider:
            continue
        if t.name == "return" and not allows(user, decider, change):
            continue
        if t.name == "withdraw" and change.submitted_by_id not in (None, user.pk) \
                and not is_admin(user):  # fmt: skip
            continue
        keep.append(t)
    return keep


def render_change(request, change: DesignChange, form: TransitionForm | None = None,
                  decision: DecisionForm | None = None, status: int = 200):  # fmt: skip
    """The change's page; steps and the decision form render it again with their errors."""
    verdict = change.tier_verdict() if change.status in WAITING else None
    panel = workflow_panel(request, change, form, url=change.get_absolute_url())
    if verdict is not None:
        panel["transitions"] = route_transitions(
            request.user, change, panel["transitions"], verdict.tier
        )
        panel["commented"] = [t for t in panel["transitions"]
                              if t.comment is not workflow.Comment.NONE]  # fmt: skip
        panel["comment_required"] = [t for t in panel["commented"]
                                     if t.comment is workflow.Comment.REQUIRED]  # fmt: skip
        if len(panel["commented"]) == 1:
            panel["comment_label"] = panel["commented"][0].comment_label
    may_decide = services.may_decide(request.user, change)
    if may_decide and decision is None:
        decision = DecisionForm(change=change)
    records = list(change.history.select_related("history_user")
                   .order_by("-history_date", "-history_id")[:51])  # fmt: skip
    return render(request, "design/change_detail.html", {
        "change": change,
        "verdict": verdict,
        "route": services.TIER_ROUTES[verdict.tier if verdict else change.tier],
        "can_edit": change.is_editable and allows(request.user, Action.CHANGE, change),
        "workflow": panel,
        "decision": decision if may_decide else None,
        "history": history_entries(records, model=DesignChange, limit=50),
        "attachments": files.attachments_panel(
            request, change, DesignChangeAttachment,
            upload_url=reverse("design:change-attachment-upload", args=[change.pk]),
        ),
    }, status=status)  # fmt: skip


class ChangeDetailView(TransitionView):
    """A change, and its steps posted back to the same address. A step off the change's route
    (a manager approving a major change) is refused with 403 and the reason, on the page."""

    queryset = DesignChange.objects.select_related("project__owner")

    def get(self, request, pk):
        return render_change(request, selectors.change_get(user=request.user, pk=pk))

    def post(self, request, pk):
        try:
            return super().post(request, pk)
        except PermissionDenied as exc:
            form = TransitionForm(request.POST, model=DesignChange)
            form.is_valid()
            form.add_error(None, str(exc) or _("Your role may not do this."))
            change = selectors.change_get(user=request.user, pk=pk)
            return render_change(request, change, form, status=403)

    def render_page(self, request, obj, form):
        return render_change(request, selectors.change_get(user=request.user, pk=obj.pk), form)


class ChangeDecisionView(LoginRequiredMixin, View):
    """The approver's amount (and note) of a waiting change."""

    def post(self, request, pk):
        change = selectors.change_get(user=request.user, pk=pk)
        require(services.may_decide(request.user, change))
        form = DecisionForm(request.POST, change=change)
        if form.is_valid():
            try:
                services.change_set_decision(
                    actor=request.user, change=change, version=form.cleaned_data["version"],
                    amount_approved=form.cleaned_data["amount_approved"],
                    approval_note=form.cleaned_data["approval_note"],
                )  # fmt: skip
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The approved amount was saved."))
                return redirect(change.get_absolute_url())
        change = selectors.change_get(user=request.user, pk=pk)
        return render_change(request, change, decision=form)


class ChangeCreateView(LoginRequiredMixin, View):
    """Raise a change on a project the user may raise changes for (`?project=<id>` fills it)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(CHANGE_POLICY.may_change_any(request.user))
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form):
        return render(self.request, "design/change_form.html", {"form": form, "change": None})

    def get(self, request):
        initial = {}
        if request.GET.get("project", "").isdigit():
            project = Project.objects.for_user(request.user).filter(pk=request.GET["project"])
            initial["project"] = project.values_list("code", flat=True).first() or ""
        return self.render_form(ChangeForm(initial=initial))

    def post(self, request):
        form = ChangeForm(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        project = (
            Project.objects.for_user(request.user)
            .select_related("owner")
            .filter(code=form.cleaned_data["project"].strip())
            .first()
        )
        if project is None:
            form.add_error("project", _("No project with this code in your scope."))
            return self.render_form(form)
        if not CHANGE_POLICY.allows_org(request.user, Action.CHANGE, project.owner):
            form.add_error("project", _("Your role may not raise changes on this project."))
            return self.render_form(form)
        try:
            change = services.change_create(
                actor=request.user, project=project, **form.change_fields()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_form(form)
        messages.success(request, _("Change %(number)s was saved as a draft.") % {
            "number": change.number})  # fmt: skip
        return redirect(change.get_absolute_url())


class ChangeEditView(LoginRequiredMixin, View):
    """Edit a draft or returned change."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.change = selectors.change_get(user=request.user, pk=kwargs["pk"])
            require(allows(request.user, Action.CHANGE, self.change))
            if not self.change.is_editable:
                messages.info(request, workflow.closed_message(self.change))
                return redirect(self.change.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form):
        return render(self.request, "design/change_form.html",
                      {"form": form, "change": self.change})  # fmt: skip

    def get(self, request, pk):
        return self.render_form(ChangeForm(change=self.change))

    def post(self, request, pk):
        form = ChangeForm(request.POST, change=self.change)
        if not form.is_valid():
            return self.render_form(form)
        try:
            services.change_update(
                actor=request.user, change=self.change,
                version=form.cleaned_data["version"] or 0, **form.change_fields(),
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_form(form)
        messages.success(request, _("Change %(number)s was saved.") % {
            "number": self.change.number})  # fmt: skip
        return redirect(self.change.get_absolute_url())


# --- a project's design tab ----------------------------------------------------------------------


class ProjectDesignView(LoginRequiredMixin, View):
    """A project's design: stages planned against actual, the cost chain with its flags and
    forecast, and its changes."""

    def get(self, request, pk):
        design = selectors.project_design(user=request.user, pk=pk)
        project = design.project
        user = request.user
        return render(request, "design/project_design.html", {
            "design": design,
            "project": project,
            "can_stage": STAGE_POLICY.allows_org(user, Action.CHANGE, project.owner),
            "can_cost": COST_POLICY.allows_org(user, Action.CHANGE, project.owner),
            "can_raise": CHANGE_POLICY.allows_org(user, Action.CHANGE, project.owner),
        })  # fmt: skip


class StagesCreateView(LoginRequiredMixin, View):
    """The "create the stages" button of a project without (all of) them."""

    def post(self, request, pk):
        project = fetch(Project.objects.select_related("owner"), request.user, pk)
        require(STAGE_POLICY.allows_org(request.user, Action.CHANGE, project.owner))
        made = services.stages_ensure(project=project, actor=request.user)
        if made:
            messages.success(request, _("%(count)s design stages were created.") % {
                "count": made})  # fmt: skip
        return redirect(reverse("design:project", args=[project.pk]))


def render_stage(request, stage: DesignStage, form: StageForm | None = None):
    """A stage's form with its drawings (the upload re-renders it with its refusal)."""
    return render(request, "design/stage_form.html", {
        "form": form or StageForm(stage=stage), "stage": stage, "project": stage.project,
        "attachments": files.attachments_panel(
            request, stage, DesignStageAttachment,
            upload_url=reverse("design:stage-attachment-upload", args=[stage.pk]),
        ),
    })  # fmt: skip


class ChangeAttachmentUploadView(files.AttachmentUploadView):
    """A change document, uploaded from the change's page; a refused file shows the page again
    with the reason at the field."""

    queryset = DesignChange.objects.select_related("project__owner")
    model = DesignChangeAttachment

    def render_page(self, request, record, form):
        return render_change(request, selectors.change_get(user=request.user, pk=record.pk))


class StageAttachmentUploadView(files.AttachmentUploadView):
    """A drawing of a stage, uploaded from the stage's page."""

    queryset = DesignStage.objects.select_related("project__owner")
    model = DesignStageAttachment

    def get_success_url(self, record) -> str:
        return reverse("design:stage-edit", args=[record.pk]) + "#attachments"

    def render_page(self, request, record, form):
        return render_stage(request, record)


class StageEditView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.stage = selectors.stage_get(user=request.user, pk=kwargs["pk"],
                                             action=Action.CHANGE)  # fmt: skip
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form):
        return render_stage(self.request, self.stage, form)

    def get(self, request, pk):
        return self.render_form(StageForm(stage=self.stage))

    def post(self, request, pk):
        form = StageForm(request.POST, stage=self.stage)
        if not form.is_valid():
            return self.render_form(form)
        try:
            services.stage_update(actor=request.user, stage=self.stage, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_form(form)
        messages.success(request, _("Stage %(stage)s was saved.") % {"stage": self.stage})
        return redirect(reverse("design:project", args=[self.stage.project_id]))


class CostChainView(LoginRequiredMixin, View):
    """The project's cost chain: 估算 with its approval, 概算 (the registry's), 预算."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.project = fetch(Project.objects.select_related("owner", "cost_chain"),
                                 request.user, kwargs["pk"])  # fmt: skip
            require(COST_POLICY.allows_org(request.user, Action.CHANGE, self.project.owner))
            self.chain = selectors.cost_chain_row(self.project)
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form):
        return render(self.request, "design/cost_form.html",
                      {"form": form, "project": self.project})  # fmt: skip

    def get(self, request, pk):
        return self.render_form(CostChainForm(project=self.project, chain=self.chain))

    def post(self, request, pk):
        form = CostChainForm(request.POST, project=self.project, chain=self.chain)
        if not form.is_valid():
            return self.render_form(form)
        try:
            services.cost_chain_save(actor=request.user, project=self.project,
                                     **form.chain_fields())  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_form(form)
        messages.success(request, _("The cost chain was saved."))
        return redirect(reverse("design:project", args=[self.project.pk]))
