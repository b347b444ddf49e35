from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from portal import exports
from portal.access import Action
from portal.files import AttachmentUploadView
from portal.views import FilteredListView, ServiceFormView, require
from projects import selectors, services
from projects.filters import ProjectFilterSet
from projects.forms import AnnualPlanForm, BattleMapForm, MilestoneForm, ProjectForm
from projects.models import Milestone, Project, ProjectAttachment


class ProjectListView(FilteredListView):
    filterset_class = ProjectFilterSet
    template_name = "projects/project_list.html"
    partial_template_name = "projects/partials/project_table.html"
    # What a row of the list shows, and a little more; all joined by selectors.project_list.
    export_columns = [
        (_("project code"), "code"),
        (_("project name"), "name"),
        (_("owning subsidiary"), "owner.name"),
        (_("category"), "get_category_display"),
        (_("district"), "district"),
        (_("stage"), "get_stage_display"),
        (_("key project"), "is_key"),
        (_("Total investment (10k yuan)"), exports.wan("total_investment")),
        (_("assigned leader"), "assigned_leader"),
        (_("project manager"), "project_manager"),
        (_("planned start"), "planned_start"),
        (_("planned finish"), "planned_finish"),
    ]

    def get_base_queryset(self):
        return selectors.project_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = Project.access_policy.may_change_any(self.request.user)
        return context


class ProjectDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        project = selectors.project_get(user=request.user, pk=pk)
        return render(
            request,
            "projects/project_detail.html",
            {
                "project": project,
                "can_change": Project.access_policy.allows(request.user, Action.CHANGE, project),
                "history": selectors.project_history(project=project),
            },
        )


class ProjectCreateView(ServiceFormView):
    form_class = ProjectForm
    template_name = "projects/project_form.html"
    success_message = _("Project %(object)s was registered.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(Project.access_policy.may_change_any(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def perform(self, form):
        # The owner field only offers subsidiaries this user may change (see ProjectForm).
        return services.project_create(actor=self.request.user, **form.cleaned_data)


class ProjectChangeMixin:
    """For pages that change one project: 404 if the user cannot see it, 403 if they can see
    it but may not change it. Sets `self.project`."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.project = selectors.project_get(
                user=request.user, pk=kwargs["pk"], action=Action.CHANGE
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "project": self.project}

    def get_success_url(self) -> str:
        return self.project.get_absolute_url()


class ProjectUpdateView(ProjectChangeMixin, ServiceFormView):
    form_class = ProjectForm
    template_name = "projects/project_form.html"
    success_message = _("Project %(object)s was saved.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.project}

    def perform(self, form):
        if not form.has_changed():
            # Saved as shown: no write, so the history records no change that is not one.
            return self.project
        # Re-read the saved row: the form has already written the typed values onto its instance.
        project = selectors.project_get(
            user=self.request.user, pk=self.project.pk, action=Action.CHANGE
        )
        return services.project_update(
            actor=self.request.user, project=project, **form.cleaned_data
        )


class AnnualPlanSetView(ProjectChangeMixin, ServiceFormView):
    form_class = AnnualPlanForm
    template_name = "projects/child_form.html"
    success_message = _("The annual plan %(object)s was saved.")
    extra_context = {"title": _("Annual plan")}

    def perform(self, form):
        return services.annual_plan_set(
            actor=self.request.user, project=self.project, **form.cleaned_data
        )


class MilestoneCreateView(ProjectChangeMixin, ServiceFormView):
    form_class = MilestoneForm
    template_name = "projects/child_form.html"
    success_message = _("The node %(object)s was saved.")
    extra_context = {"title": _("Battle-map node")}

    def get_initial(self):
        return {"responsible_organisation": self.project.owner}

    def perform(self, form):
        return services.milestone_save(
            actor=self.request.user, project=self.project, **form.cleaned_data
        )


class MilestoneUpdateView(MilestoneCreateView):
    def get_form_kwargs(self):
        self.milestone = get_object_or_404(
            Milestone, project=self.project, pk=self.kwargs["milestone"]
        )
        return {**super().get_form_kwargs(), "instance": self.milestone}

    def get_initial(self):
        return {}

    def perform(self, form):
        return services.milestone_save(
            actor=self.request.user,
            project=self.project,
            milestone=self.milestone,
            **form.cleaned_data,
        )


class BattleMapPlanView(ProjectChangeMixin, ServiceFormView):
    form_class = BattleMapForm
    template_name = "projects/child_form.html"
    extra_context = {"title": _("Work the battle map backwards from the target")}

    def get_initial(self):
        return {
            "target": self.project.planned_finish,
            "responsible_organisation": self.project.owner,
        }

    def perform(self, form):
        data = form.cleaned_data
        created = services.milestones_plan_backwards(
            actor=self.request.user,
            project=self.project,
            target=data["target"],
            nodes=data["nodes"],
            responsible_organisation=data["responsible_organisation"],
            responsible_person=data["responsible_person"],
        )
        messages.success(self.request, _("%(count)s nodes were added.") % {"count": len(created)})
        return self.project


class ProjectAttachmentUploadView(AttachmentUploadView):
    """POST a document to a project (portal.files): a refused file shows the project's page
    again, with the message at the file field."""

    queryset = Project.objects.all()
    model = ProjectAttachment

    def render_page(self, request, record, form):
        return ProjectDetailView().get(request, record.pk)
