"""The Celery app: settings under the CELERY_ namespace, tasks autodiscovered."""

import os

from celery import Celery

from productops.logging import connect_task_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")

app = Celery("productops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The KPI engine's and the records' tasks live in metrics/kpis/ and metrics/records/, not <app>/tasks.py.
app.autodiscover_tasks(["metrics.kpis", "metrics.records"])
connect_task_logging()  # one JSON line per task run, with its duration
