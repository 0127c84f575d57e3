"""Serve the whole platform for `make run`: the web server and the peers it needs.

Starts, as child processes: the fake Stripe server when STRIPE_SECRET_KEY is unset, a Celery
worker and beat when CELERY_BROKER_URL is set, the CPO simulator (a demo CPO on loopback;
--no-simulator to leave it out), and the web server. Once the web server and the simulator
listen, registers with the simulator and pulls its tariffs and locations (safe on every run).
Stops them all when any one exits or on Ctrl-C.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform at http://HOST:PORT with the processes it needs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--simulator-port", type=int, default=9000)
        parser.add_argument("--simulator-locations", type=int, default=200)
        parser.add_argument("--no-simulator", action="store_true", help="No demo CPO.")

    def handle(self, *args: object, host: str, port: int, **options: object) -> None:
        if not os.environ.get("EMSP_PUBLIC_URL"):
            # Partners (the simulator) call us back where we actually listen.
            os.environ["EMSP_PUBLIC_URL"] = settings.EMSP_PUBLIC_URL = f"http://{host}:{port}"
        programs = self._programs(host, port)
        simulator_port = None
        if not options["no_simulator"]:
            simulator_port = _free_or_other(options["simulator_port"])
            programs.insert(-1, self._simulator(simulator_port, options["simulator_locations"]))
        children = [(name, subprocess.Popen(argv)) for name, argv in programs]  # noqa: S603
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
        if simulator_port:
            connect = threading.Thread(
                target=self._demo_cpo_connect, args=(port, simulator_port), daemon=True
            )
            connect.start()
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

    def _simulator(self, port: int, locations: int) -> tuple[str, list[str]]:
        from emsp.demo import demo_cpo_token_a

        return (
            f"CPO simulator (port {port})",
            [
                sys.executable,
                "-m",
                "roaming.simulator",
                "--port",
                str(port),
                "--locations",
                str(locations),
                # One argument: a token may begin with "-", which argparse would take for an option.
                f"--token-a={demo_cpo_token_a()}",
            ],
        )

    def _demo_cpo_connect(self, port: int, simulator_port: int) -> None:
        """Register with the simulator and pull it, once both it and our server listen."""
        from emsp.demo import demo_cpo_connect, demo_cpo_token_a
        from roaming.services.registration import RegistrationError

        if not (_wait_for_port(port) and _wait_for_port(simulator_port)):
            self.stderr.write("demo CPO not connected: the server or the simulator did not start")
            return
        versions_url = f"http://127.0.0.1:{simulator_port}/ocpi/cpo/versions"
        for attempt in range(1, 4):  # a busy machine may keep our first answers slow
            try:
                registration, runs = demo_cpo_connect(
                    versions_url=versions_url, token_a=demo_cpo_token_a()
                )
                break
            except RegistrationError as error:
                if not error.retryable or attempt == 3:
                    self.stderr.write(f"demo CPO not connected: {error}")
                    return
                time.sleep(2 * attempt)
        pulled = ", ".join(f"{run.module} ({run.objects_received} received)" for run in runs)
        state = "registered" if registration.changed else "already registered"
        self.stdout.write(
            self.style.SUCCESS(f"demo CPO {registration.partner} {state}; pulled {pulled}")
        )

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


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_or_other(port: int) -> int:
    """`port` when nothing listens there, else any free port."""
    if _port_free(port):
        return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        time.sleep(0.2)
    return False
