"""The Celery app: settings under the CELERY_ namespace, tasks autodiscovered."""

import os

from celery import Celery

from productops.logging import connect_task_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")

app = Celery("productops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The KPI engine's tasks live in metrics/kpis/tasks.py, not <app>/tasks.py: name the package.
app.autodiscover_tasks(["metrics.kpis"])
connect_task_logging()  # one JSON line per task run, with its duration
