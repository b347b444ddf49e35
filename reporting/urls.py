from django.urls import path
from django.views.generic import RedirectView

from reporting import excel_views, views

app_name = "reporting"
urlpatterns = [
    path("", views.ReportListView.as_view(), name="list"),
    # The inbox moved to the base (portal.inbox); old links and e-mails keep working.
    path("inbox/", RedirectView.as_view(pattern_name="inbox"), name="inbox"),
    path("<int:pk>/", views.ReportDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ReportEditView.as_view(), name="edit"),
    path("<int:pk>/review/", views.ReportReviewView.as_view(), name="review"),
    path("coordination/<int:pk>/", views.CoordinationDetailView.as_view(),
         name="coordination-detail"),
    path("excel/template/", excel_views.TemplateDownloadView.as_view(), name="excel-template"),
    path("excel/upload/", excel_views.UploadView.as_view(), name="excel-upload"),
    path("excel/<int:pk>/", excel_views.PreviewView.as_view(), name="excel-preview"),
]  # fmt: skip
