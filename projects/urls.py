from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.ProjectListView.as_view(), name="list"),
    path("new/", views.ProjectCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ProjectDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ProjectUpdateView.as_view(), name="update"),
    path("<int:pk>/plans/", views.AnnualPlanSetView.as_view(), name="plan-set"),
    path("<int:pk>/milestones/new/", views.MilestoneCreateView.as_view(), name="milestone-create"),
    path(
        "<int:pk>/milestones/<int:milestone>/",
        views.MilestoneUpdateView.as_view(),
        name="milestone-update",
    ),
    path("<int:pk>/milestones/plan/", views.BattleMapPlanView.as_view(), name="battle-map-plan"),
    path(
        "<int:pk>/attachments/",
        views.ProjectAttachmentUploadView.as_view(),
        name="attachment-upload",
    ),
]
