"""Serve the whole platform for `make run`: the web server and the peers it needs.

Starts, as child processes: the fake Stripe server when STRIPE_SECRET_KEY is unset, a Celery
worker and beat when CELERY_BROKER_URL is set, and the web server. Stops them all when any one
exits or on Ctrl-C.
"""

import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform at http://HOST:PORT with the processes it needs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: object, host: str, port: int, **options: object) -> None:
        children = [(name, subprocess.Popen(argv)) for name, argv in self._programs(host, port)]  # noqa: S603
        for name, child in children:
            self.stdout.write(f"started {name} (pid {child.pid})")
        if self._fake_stripe():
            from billing.localstripe_server import webhook_register

            try:
                webhook_register(
                    api_base=settings.STRIPE_API_BASE,
                    url=f"http://{host}:{port}/billing/stripe/webhook",
                    secret=settings.STRIPE_WEBHOOK_SECRET,
                )
                self.stdout.write("fake Stripe sends its webhooks to /billing/stripe/webhook")
            except Exception as error:
                self.stderr.write(f"fake Stripe webhooks not registered: {error}")
        self.stdout.write(self.style.SUCCESS(f"EMSP platform: http://{host}:{port}/"))
        stop = {"now": False}

        def request_stop(signum: int, frame: object) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        try:
            while not stop["now"] and all(child.poll() is None for _, child in children):
                time.sleep(0.5)
        finally:
            for _name, child in children:
                if child.poll() is None:
                    child.terminate()
            for name, child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                self.stdout.write(f"stopped {name}")

    def _fake_stripe(self) -> bool:
        return not os.environ.get("STRIPE_SECRET_KEY") and bool(settings.STRIPE_API_BASE)

    def _programs(self, host: str, port: int) -> list[tuple[str, list[str]]]:
        python = sys.executable
        programs = []
        if self._fake_stripe():
            stripe_port = str(urlsplit(settings.STRIPE_API_BASE).port or 8420)
            state = str(settings.VAR_DIR / "localstripe.pickle")
            programs.append(
                (
                    "fake Stripe (localstripe)",
                    [
                        python,
                        "-m",
                        "billing.localstripe_server",
                        "--port",
                        stripe_port,
                        "--state",
                        state,
                    ],
                )
            )
        if settings.CELERY_BROKER_URL:
            celery = [python, "-m", "celery", "-A", "emsp"]
            programs.append(("celery worker", [*celery, "worker", "--loglevel", "INFO"]))
            programs.append(("celery beat", [*celery, "beat", "--loglevel", "INFO"]))
        programs.append(
            ("web server", [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"])
        )
        return programs
