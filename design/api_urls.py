from rest_framework.routers import DefaultRouter

from design.api import CostChainViewSet, DesignChangeViewSet, DesignStageViewSet

router = DefaultRouter()
router.register("design-changes", DesignChangeViewSet, basename="api-design-change")
router.register("design-stages", DesignStageViewSet, basename="api-design-stage")
router.register("cost-chains", CostChainViewSet, basename="api-cost-chain")
urlpatterns = router.urls
