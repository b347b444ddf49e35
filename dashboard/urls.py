from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.CockpitView.as_view(), name="cockpit"),
    path("wall/", views.WallView.as_view(), name="wall"),
    path("map/", views.MapPointsView.as_view(), name="map"),
    path("projects/<int:pk>/", views.ProjectCockpitView.as_view(), name="project"),
]
