from django.urls import path

from design import views

app_name = "design"
urlpatterns = [
    path("", views.ChangeListView.as_view(), name="changes"),
    path("changes/new/", views.ChangeCreateView.as_view(), name="change-create"),
    path("changes/<int:pk>/", views.ChangeDetailView.as_view(), name="change"),
    path("changes/<int:pk>/edit/", views.ChangeEditView.as_view(), name="change-edit"),
    path("changes/<int:pk>/decision/", views.ChangeDecisionView.as_view(), name="change-decision"),
    path("projects/<int:pk>/", views.ProjectDesignView.as_view(), name="project"),
    path("projects/<int:pk>/stages/", views.StagesCreateView.as_view(), name="stages-create"),
    path("projects/<int:pk>/cost/", views.CostChainView.as_view(), name="cost-chain"),
    path(
        "changes/<int:pk>/attachments/",
        views.ChangeAttachmentUploadView.as_view(),
        name="change-attachment-upload",
    ),
    path("stages/<int:pk>/edit/", views.StageEditView.as_view(), name="stage-edit"),
    path(
        "stages/<int:pk>/attachments/",
        views.StageAttachmentUploadView.as_view(),
        name="stage-attachment-upload",
    ),
]
