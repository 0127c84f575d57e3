"""The pricing engine is pure Python: importing it loads nothing of Django."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_engine_does_not_import_django():
    code = (
        "import sys, tariffs.pricing as p\n"
        "p.tariff_describe({'currency': 'EUR', 'elements': [{'price_components': "
        "[{'type': 'ENERGY', 'price': 0.25, 'step_size': 1}]}]})\n"
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(leaked)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert completed.stdout.strip() == "[]"
