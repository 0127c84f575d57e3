"""The Celery application. Tasks run eagerly in-process unless CELERY_BROKER_URL is set."""

import os
import socket

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emsp.settings")

app = Celery("emsp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="emsp.ping")
def ping(payload: str) -> dict[str, str]:
    """Answer with the payload and the worker's host name: proves the broker path works."""
    return {"payload": payload, "hostname": socket.gethostname(), "pid": str(os.getpid())}
