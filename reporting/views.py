"""Pages of progress reporting. Thin: fetch scoped, check the rule, call the service, render."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from portal import exports, workflow
from portal.access import allows, fetch
from portal.views import (
    FilteredListView,
    TransitionView,
    add_service_errors,
    require,
    workflow_panel,
)
from reporting import rules, selectors, services
from reporting.choices import CoordinationStatus
from reporting.filters import ReportFilterSet
from reporting.forms import CoordinationFormSet, ProblemFormSet, ReportForm
from reporting.models import CoordinationEvent, CoordinationItem, ProgressReport


class ReportListView(FilteredListView):
    filterset_class = ReportFilterSet
    template_name = "reporting/report_list.html"
    partial_template_name = "reporting/partials/report_table.html"
    # What a row shows, and the text fields leadership reads; all joined by the selector.
    export_columns = [
        (_lazy("Period"), "period"),
        (_lazy("project code"), "project.code"),
        (_lazy("project name"), "project.name"),
        (_lazy("owning subsidiary"), "project.owner.name"),
        (_lazy("Status"), "get_status_display"),
        (_lazy("Investment completed this period (10k yuan)"), exports.wan("investment")),
        (_lazy("Physical progress (%)"), "progress_pct"),
        (_lazy("Physical progress"), "progress_text"),
        (_lazy("Next steps"), "next_steps"),
        (_lazy("Explanation"), "explanation"),
        (_lazy("submitted at"), "submitted_at"),
        (_lazy("reviewed by"), "reviewed_by"),
    ]

    def get_base_queryset(self):
        return selectors.report_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "fills": rules.fills_reports(self.request.user)}  # fmt: skip


def render_detail(request, report, form=None):
    """The report page; the step view renders it again with its bound form on a refusal."""
    return render(request, "reporting/report_detail.html", {
        "report": report,
        "can_edit": report.is_open_for_filling and allows(request.user, "change", report),
        "workflow": workflow_panel(request, report, form,
                                   url=reverse("reporting:review", args=[report.pk])),
    })  # fmt: skip


class ReportDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        return render_detail(request, selectors.report_get(user=request.user, pk=pk))


class ReportEditView(LoginRequiredMixin, View):
    """Fill the form; "save" keeps a draft, "submit" sends it to the centre."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.report = selectors.report_get(user=request.user, pk=kwargs["pk"])
            require(allows(request.user, "change", self.report))
            if not self.report.is_open_for_filling:
                messages.info(request, workflow.closed_message(self.report))
                return redirect(self.report.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, problems, coordination, status=200):
        report = self.report
        return render(self.request, "reporting/report_form.html", {
            "report": report, "form": form, "problems": problems, "coordination": coordination,
            "answered_items": [i for i in report.coordination_items.all()
                               if i.status != CoordinationStatus.OPEN],
            # What a reporter needs beside the fields: the figures (annotated on the report)
            # and the last accepted period's progress, which the form must not go below
            # without an explanation.
            "last_accepted": selectors.last_accepted(report),
        }, status=status)  # fmt: skip

    def get(self, request, pk):
        report = self.report
        problems = ProblemFormSet(
            prefix="problems",
            initial=[
                {f: getattr(p, f) for f in services.PROBLEM_FIELDS} for p in report.problems.all()
            ],
        )
        coordination = CoordinationFormSet(prefix="coordination", initial=[
            {"subject": i.subject, "detail": i.detail} for i in report.coordination_items.all()
            if i.status == CoordinationStatus.OPEN])  # fmt: skip
        return self.render_form(ReportForm(report=report), problems, coordination)

    def post(self, request, pk):
        report = self.report
        form = ReportForm(request.POST, report=report)
        problems = ProblemFormSet(request.POST, prefix="problems")
        coordination = CoordinationFormSet(request.POST, prefix="coordination")
        if not (form.is_valid() and problems.is_valid() and coordination.is_valid()):
            return self.render_form(form, problems, coordination)
        data = services.ReportInput(
            fields=form.report_fields(),
            problems=[f.cleaned_data for f in problems if f.cleaned_data],
            coordination=[f.cleaned_data for f in coordination if f.cleaned_data],
            milestones=form.cleaned_data["milestones_reached"],
        )
        submit = request.POST.get("action") == "submit"
        try:
            if submit:
                services.report_submit(
                    actor=request.user,
                    report=report,
                    version=form.cleaned_data["version"],
                    data=data,
                )
            else:
                services.report_save(
                    actor=request.user,
                    report=report,
                    version=form.cleaned_data["version"],
                    data=data,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_form(form, problems, coordination)
        if submit:
            messages.success(
                request, _("Report %(report)s was submitted to the centre.") % {"report": report}
            )
            return redirect(report.get_absolute_url())
        messages.success(request, _("Draft saved."))
        return redirect("reporting:edit", pk=report.pk)


class ReportReviewView(TransitionView):
    """A step of the report's workflow (return, accept, reopen, submit...), from its page."""

    queryset = ProgressReport.objects.select_related("project__owner", "period")

    def render_page(self, request, obj, form):
        return render_detail(request, selectors.report_get(user=request.user, pk=obj.pk), form)


class CoordinationDetailView(TransitionView):
    """A coordination item, and its steps (answer, close) posted back to the same address."""

    queryset = CoordinationItem.objects.select_related("project__owner")

    def get(self, request, pk):
        return render_coordination(request, coordination_get(request.user, pk))

    def render_page(self, request, obj, form):
        return render_coordination(request, coordination_get(request.user, obj.pk), form)


def coordination_get(user, pk) -> CoordinationItem:
    queryset = CoordinationItem.objects.select_related(
        "project__owner", "report__period", "assignee", "answered_by"
    ).prefetch_related(Prefetch("events", queryset=CoordinationEvent.objects.select_related(
        "actor")))  # fmt: skip
    return fetch(queryset, user, pk)


def render_coordination(request, item, form=None):
    return render(request, "reporting/coordination_detail.html", {
        "item": item,
        "workflow": workflow_panel(request, item, form, url=item.get_absolute_url()),
    })  # fmt: skip
