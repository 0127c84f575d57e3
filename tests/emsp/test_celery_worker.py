"""The broker path: a real worker process on Redis runs what this process enqueues."""

import os

import pytest

from emsp.celery import ping
from tests.processes import celery_worker_running


@pytest.mark.worker
def test_a_worker_process_runs_an_enqueued_task_and_returns_its_result(tmp_path):
    with celery_worker_running(tmp_path) as worker:
        result = ping.apply_async(args=["hello"], queue=worker.queue)

        answer = result.get(timeout=60)

    assert answer["payload"] == "hello"
    assert answer["pid"] != str(os.getpid())
    assert worker.queue in worker.log()
