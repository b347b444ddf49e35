"""Pages of progress reporting. Thin: fetch scoped, check the rule, call the service, render."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from portal import exports
from portal.access import get_for_user
from portal.views import FilteredListView, add_service_errors, require
from reporting import rules, selectors, services
from reporting.choices import CoordinationStatus
from reporting.filters import ReportFilterSet
from reporting.forms import (
    AnswerForm,
    CoordinationFormSet,
    ProblemFormSet,
    ReportForm,
    ReviewForm,
)
from reporting.models import CoordinationItem


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


class InboxView(LoginRequiredMixin, View):
    """What waits for me: forms to fill and returned (subsidiaries), forms to review and
    coordination items (centre)."""

    def get(self, request):
        inbox = selectors.inbox(user=request.user)
        today = timezone.localdate()
        to_fill = [(r, selectors.due_state(r, today)) for r in inbox.to_fill]
        return render(request, "reporting/inbox.html", {
            "to_fill": to_fill, "returned": list(inbox.returned),
            "to_review": list(inbox.to_review), "coordination": list(inbox.coordination),
            "fills": rules.fills_reports(request.user), "reviews": rules.can_review(request.user),
            "today": today,
        })  # fmt: skip


def render_detail(request, report, review_form=None):
    """The report page; the review view renders it again with its bound form on an error."""
    return render(request, "reporting/report_detail.html", {
        "report": report,
        "can_edit": report.is_open_for_filling and rules.can_fill(request.user, report),
        "can_review": rules.can_review(request.user),
        "review_form": review_form or ReviewForm(initial={"version": report.version}),
    })  # fmt: skip


class ReportDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        return render_detail(request, selectors.report_get(user=request.user, pk=pk))


class ReportEditView(LoginRequiredMixin, View):
    """Fill the form; "save" keeps a draft, "submit" sends it to the centre."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.report = selectors.report_get(user=request.user, pk=kwargs["pk"])
            require(rules.can_fill(request.user, self.report))
            if not self.report.is_open_for_filling:
                messages.info(
                    request,
                    _("This report is %(status)s and can no longer be changed.")
                    % {"status": self.report.get_status_display()},
                )
                return redirect(self.report.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, problems, coordination, status=200):
        report = self.report
        return render(self.request, "reporting/report_form.html", {
            "report": report, "form": form, "problems": problems, "coordination": coordination,
            "answered_items": [i for i in report.coordination_items.all()
                               if i.status != CoordinationStatus.OPEN],
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


class ReportReviewView(LoginRequiredMixin, View):
    """Return, accept or reopen a report (centre officers)."""

    def post(self, request, pk):
        report = selectors.report_get(user=request.user, pk=pk)
        require(rules.can_review(request.user))
        form = ReviewForm(request.POST)
        if form.is_valid():
            action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
            version = form.cleaned_data["version"]
            try:
                if action == "return":
                    services.report_return(
                        actor=request.user, report=report, comment=comment, version=version
                    )
                elif action == "accept":
                    services.report_accept(
                        actor=request.user, report=report, comment=comment, version=version
                    )
                else:
                    services.report_reopen(
                        actor=request.user, report=report, reason=comment, version=version
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                done = {"return": _("Report %(report)s was returned to the subsidiary."),
                        "accept": _("Report %(report)s was accepted."),
                        "reopen": _("Report %(report)s was reopened and returned.")}  # fmt: skip
                messages.success(request, done[action] % {"report": report})
                return redirect(report.get_absolute_url())
        # Read again: the page shows the report as it now is, with the errors and the comment.
        return render_detail(request, selectors.report_get(user=request.user, pk=pk), form)


class CoordinationDetailView(LoginRequiredMixin, View):
    def get_item(self, request, pk) -> CoordinationItem:
        queryset = CoordinationItem.objects.select_related(
            "project__owner", "report__period", "assignee", "answered_by"
        )
        return get_for_user(queryset, request.user, pk)

    def get(self, request, pk, form=None):
        item = self.get_item(request, pk)
        can_answer = rules.can_answer_coordination(request.user)
        return render(request, "reporting/coordination_detail.html", {
            "item": item, "can_answer": can_answer and item.status != CoordinationStatus.CLOSED,
            "can_close": item.status == CoordinationStatus.ANSWERED and (
                can_answer or item.access_policy.allows(request.user, "change", item)),
            "form": form or AnswerForm(initial={"answer": item.answer}),
        })  # fmt: skip

    def post(self, request, pk):
        item = self.get_item(request, pk)
        if request.POST.get("action") == "close":
            require(
                rules.can_answer_coordination(request.user)
                or item.access_policy.allows(request.user, "change", item)
            )
            try:
                services.coordination_close(actor=request.user, item=item)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return redirect(item.get_absolute_url())
        require(rules.can_answer_coordination(request.user))
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                services.coordination_answer(
                    actor=request.user, item=item, answer=form.cleaned_data["answer"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The answer was sent to the subsidiary."))
                return redirect(item.get_absolute_url())
        return self.get(request, pk, form=form)
