"""Routes of `/api/bets/` (included under /api/). Like every API view, they authenticate themselves
(session or token) and answer 401/403 instead of redirecting to the sign-in page."""

from django.contrib.auth.decorators import login_not_required
from rest_framework.routers import SimpleRouter

from bets.api.views import BetViewSet

router = SimpleRouter()
router.register("bets", BetViewSet, basename="bet")

urlpatterns = list(router.urls)
for pattern in urlpatterns:
    pattern.callback = login_not_required(pattern.callback)
