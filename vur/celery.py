"""The Celery application; tasks are discovered in each app's `tasks.py`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vur.settings.base")

app = Celery("vur")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _one_thread_per_job(sender, **kwargs) -> None:
    """Pin BLAS/OpenMP pools to one thread in worker processes (2 cores, several jobs)."""
    from celery.signals import worker_process_init

    def limit(**_kw) -> None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)

    worker_process_init.connect(limit, weak=False)
