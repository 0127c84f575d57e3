"""Real peer processes for tests: a Celery worker on the Redis broker, servers on loopback."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def broker_url() -> str:
    """The Redis broker: CELERY_BROKER_URL, or the machine's Redis. Skips only outside CI."""
    url = os.environ.get("CELERY_BROKER_URL") or DEFAULT_BROKER
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url}")
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_database_url() -> str:
    """The URL of the database this test session uses (pytest-django's test_ database)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class CeleryWorker:
    """A `celery worker` process consuming its own queue, so parallel runs never share tasks."""

    def __init__(self, broker: str, queue: str, log_path: Path) -> None:
        self.broker = broker
        self.queue = queue
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "CELERY_BROKER_URL": self.broker,
            "CELERY_RESULT_BACKEND": self.broker,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "DATABASE_URL": test_database_url(),
            "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "emsp",
                "worker",
                "-Q",
                self.queue,
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
                "--hostname",
                f"{self.queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process:
            stop(self.process)

    def kill(self) -> None:
        """Kill the worker at once, as a crash would (no warm shutdown)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def celery_worker_running(tmp_path: Path) -> Iterator[CeleryWorker]:
    """Start a worker and point this process's Celery app at the same broker and queue."""
    from emsp.celery import app

    broker = broker_url()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    worker = CeleryWorker(broker, queue, tmp_path / "celery-worker.log")
    saved = {
        key: app.conf[key]
        for key in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    }
    app.conf.update(
        task_always_eager=False, broker_url=broker, result_backend=broker, task_default_queue=queue
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.update(saved)


class FakeStripe:
    """The fake Stripe server (localstripe) on a free loopback port, with injectable faults
    (tests/billing/fake_stripe_server.py)."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.billing.fake_stripe_server", "--port", str(self.port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process:
            stop(self.process)

    def clear(self) -> None:
        """Forget every object (DELETE /_config/data) and switch faults off."""
        import httpx

        httpx.delete(f"{self.url}/_config/data", timeout=10).raise_for_status()
        self.faults()

    def faults(self, **faults: object) -> dict:
        import httpx

        response = httpx.post(f"{self.url}/_test/faults", json=faults, timeout=10)
        response.raise_for_status()
        return response.json()

    def fault_counts(self) -> dict:
        import httpx

        return httpx.get(f"{self.url}/_test/faults", timeout=10).json()
