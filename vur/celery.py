"""The Celery application; tasks are discovered in each app's `tasks.py`."""

import importlib
import logging
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


# Imported once in the worker's main process, before it forks its pool, so each child starts
# with them and no job spends its time budget importing: the first serving check of a job in a
# fresh child imported skl2onnx and onnxruntime, 1.1 s on an idle machine and 4.3 s under load,
# which put a 20 s job at 25 s.
PRELOAD = (
    "sklearn.ensemble",
    "skl2onnx",
    "onnxruntime",
    "statsforecast.models",
    "training.automl",
    "training.forecasting",
    "modeling.serving",
    "joblib",
    "lz4.frame",
)


def preload_libraries() -> list[str]:
    """Import the libraries training and its serving checks use; return those that failed
    (logged: a job then imports them itself)."""
    failed = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            logging.getLogger(__name__).warning("could not preload %s", name, exc_info=True)
            failed.append(name)
    return failed


def preload_on_worker_start(**_kwargs) -> None:
    """`worker_init` receiver: preload in the worker's main process, before its pool forks."""
    preload_libraries()


@app.on_after_configure.connect
def _preload_in_parent(sender, **kwargs) -> None:
    from celery.signals import worker_init

    worker_init.connect(preload_on_worker_start, weak=False)
