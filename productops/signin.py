"""Sign-in: Django's login view with the lockout form (audit), where coming in at `/` means
"no page asked for" — the user then goes to their landing page (a PM to their squads)."""

from __future__ import annotations

from django.contrib.auth.views import LoginView

from audit.forms import LockoutAuthenticationForm


class SignInView(LoginView):
    authentication_form = LockoutAuthenticationForm

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return "" if url == "/" else url  # "" → LOGIN_REDIRECT_URL, the landing page
