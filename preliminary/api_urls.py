from rest_framework.routers import DefaultRouter

from preliminary.api import PermitItemViewSet, PermitTypeViewSet

router = DefaultRouter()
router.register("permit-types", PermitTypeViewSet, basename="api-permit-type")
router.register("permit-items", PermitItemViewSet, basename="api-permit-item")
urlpatterns = router.urls
