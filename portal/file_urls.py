"""`files:` the download and delete URLs of every registered attachment model (portal.files)."""

from django.urls import path

from portal import file_views

app_name = "files"
urlpatterns = [
    path("<str:label>/<int:pk>/", file_views.AttachmentDownloadView.as_view(), name="download"),
    path("<str:label>/<int:pk>/delete/", file_views.AttachmentDeleteView.as_view(), name="delete"),
]
