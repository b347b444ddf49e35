from rest_framework.routers import DefaultRouter

from reporting.api import CoordinationItemViewSet, PeriodViewSet, ReportViewSet

router = DefaultRouter()
router.register("periods", PeriodViewSet, basename="api-period")
router.register("reports", ReportViewSet, basename="api-report")
router.register("coordination-items", CoordinationItemViewSet, basename="api-coordination-item")
urlpatterns = router.urls
