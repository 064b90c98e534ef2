"""Routes of reviews and alerts under /api/ (authenticated by DRF: 401/403, never a redirect)."""

from django.contrib.auth.decorators import login_not_required
from rest_framework.routers import SimpleRouter

from alerts.api.views import AlertRuleViewSet, AlertViewSet, SubscriptionViewSet
from reviews.api.views import ActionItemViewSet, ReviewViewSet

router = SimpleRouter()
router.register("reviews", ReviewViewSet, basename="review")
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")
router.register("alerts", AlertViewSet, basename="alert")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")

urlpatterns = list(router.urls)
for pattern in urlpatterns:
    pattern.callback = login_not_required(pattern.callback)
