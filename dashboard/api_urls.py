from django.urls import path

from dashboard import api

urlpatterns = [
    path("cockpit/", api.CockpitSummaryView.as_view(), name="api-cockpit"),
    path("cockpit/version/", api.CockpitVersionView.as_view(), name="api-cockpit-version"),
    path(
        "cockpit/projects/<int:pk>/", api.CockpitProjectView.as_view(), name="api-cockpit-project"
    ),
]
