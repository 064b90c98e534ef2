"""A lost worker's task comes back before anyone waits an hour, and never while it may still
be running (issue 15, defect 9, settings part)."""

from __future__ import annotations

from productops import celery_app


def test_visibility_timeout_is_set_above_the_longest_task_time_limit() -> None:
    celery_app.loader.import_default_modules()
    conf = celery_app.conf
    limits = [conf.task_time_limit or 0]
    limits += [
        task.time_limit for name, task in celery_app.tasks.items() if not name.startswith("celery.") and task.time_limit
    ]
    timeout = conf.broker_transport_options.get("visibility_timeout")
    assert timeout is not None, "unset: kombu's default of one hour applies"
    assert timeout > max(limits)
    assert timeout < 3600  # a lost worker's task is redelivered sooner than kombu's default hour
    assert conf.task_acks_late
    assert conf.task_reject_on_worker_lost
