"""gunicorn settings for several workers that share one Prometheus scrape.

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its counters to files in that folder
and /metrics sums them (core/metrics.py). The folder is emptied when gunicorn starts, and a
dead worker's live gauges are dropped, as prometheus_client's multiprocess mode asks.
"""

import os
import shutil


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
