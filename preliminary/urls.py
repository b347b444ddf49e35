from django.urls import path

from preliminary import views

app_name = "preliminary"
urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("projects/<int:pk>/", views.ChecklistView.as_view(), name="checklist"),
    path("projects/<int:pk>/make/", views.ChecklistMakeView.as_view(), name="checklist-make"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item"),
    path("items/<int:pk>/step/", views.ItemStepView.as_view(), name="item-step"),
    path(
        "items/<int:pk>/attachments/",
        views.ItemAttachmentUploadView.as_view(),
        name="item-attachment-upload",
    ),
]
