"""gunicorn settings for the web service, read from the environment at start.

Per-request access lines come from productops.logging.RequestLogMiddleware (JSON
with duration and user), so gunicorn's own access log stays off; its error log
goes to stderr in the same format as the app (LOG_FORMAT).
"""

import gc
import os

bind = [f"{os.environ.get('WEB_BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))  # >1: gthread workers, keep-alive
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Only the proxy in front (TLS terminator / load balancer) may set X-Forwarded-*: the same
# TRUSTED_PROXIES list Django uses (core.proxies), never "*" — with "*" any client
# reaching the port directly could claim HTTPS and skip the redirect.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

_production = os.environ.get("DJANGO_ENV", "").lower() == "production"
if os.environ.get("LOG_FORMAT", "json" if _production else "plain") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "productops.logging.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}},
    }


def post_worker_init(worker) -> None:
    """Load every view module (pandas, plotly, the templates' tags) now, then move all these
    long-lived objects out of the garbage collector's sight: a full collection scanned them all
    (~140k objects), pausing every thread of the worker for tens of ms under load."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view
    gc.collect()
    gc.freeze()
