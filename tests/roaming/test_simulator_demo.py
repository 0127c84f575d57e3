"""`make run` (manage.py serve) starts the CPO simulator, registers with it and pulls it; a
second run registers again with the restarted simulator without duplicating anything."""

import os
import re
import subprocess
import sys
import time

import pytest

from roaming.models import Location, Partner
from tests import processes
from tests.processes import ROOT, free_port, stop

pytestmark = pytest.mark.django_db(transaction=True)
DONE = re.compile(r"demo CPO .*; pulled |demo CPO not connected")


def serve_until_connected(tmp_path, run: int) -> str:
    port, simulator_port = free_port(), free_port()
    log = tmp_path / f"serve-{run}.log"
    env = {
        **os.environ,
        "DATABASE_URL": processes.test_database_url(),
        "EMSP_VAR_DIR": str(tmp_path),
        "STRIPE_SECRET_KEY": "sk_test_not_used_here",  # no fake Stripe child needed
        "CELERY_BROKER_URL": "",
    }
    env.pop("EMSP_PUBLIC_URL", None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port),
             "--simulator-port", str(simulator_port), "--simulator-locations", "40"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 180  # a busy CI machine starts slowly
            # The command's last word on the demo CPO (log lines name it earlier, mid-pull).
            while not DONE.search(log.read_text()) and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.3)
        finally:
            stop(process)
    return log.read_text()


def test_serve_connects_the_demo_cpo_and_a_second_run_changes_nothing_twice(tmp_path):
    # The token A kept for the simulator, as random ones sometimes are: beginning with "-".
    (tmp_path / "simulator-token-a").write_text("-lq2xLwCUifoqQu8DExmmS4KQF8tgskB3NwXfDg83e8")

    first = serve_until_connected(tmp_path, 1)

    assert "demo CPO SimCharge (demo CPO simulator) registered" in first, first
    assert "locations (40 received)" in first
    partner = Partner.objects.get()
    assert partner.status == Partner.Status.CONNECTED
    assert Location.objects.count() == 40

    second = serve_until_connected(tmp_path, 2)

    assert "registered" in second
    assert Partner.objects.count() == 1
    assert Partner.objects.get().status == Partner.Status.CONNECTED
    assert Location.objects.count() == 40
    assert (tmp_path / "simulator-token-a").exists()
