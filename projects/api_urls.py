from rest_framework.routers import DefaultRouter

from projects.api import ProjectViewSet

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="api-project")
urlpatterns = router.urls
