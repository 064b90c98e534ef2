"""Session store: database sessions renewed by activity, written at most once a SESSION_RENEW_SECONDS.

SESSION_SAVE_EVERY_REQUEST pushes a session's expiry forward on every request, so an idle session
ends SESSION_COOKIE_AGE after the user's last request. Django does that by writing the session row
each time — an UPDATE and a COMMIT flushed to disk on every page view, the minimal page included,
which under load cost more than the rest of a cached page. This store skips the write when nothing
in the session changed and the expiry was last pushed forward less than SESSION_RENEW_SECONDS ago:
an idle session still ends SESSION_COOKIE_AGE after the last request, at most that many seconds early.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends import db

RENEWED_AT = "_renewed_at"  # epoch seconds of the last write, kept in the session itself


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        if not must_create and not self.modified and self._renewed_recently():
            return
        # must_create: a new key, nothing stored to load yet (loading would forget the key)
        self._get_session(no_load=must_create)[RENEWED_AT] = int(time.time())
        super().save(must_create=must_create)

    def _renewed_recently(self) -> bool:
        renewed = self._session.get(RENEWED_AT)
        return isinstance(renewed, int) and 0 <= time.time() - renewed < settings.SESSION_RENEW_SECONDS
