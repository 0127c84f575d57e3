"""roaming/ocpi/ is pure: importing every module of it loads no Django."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import roaming.ocpi

ROOT = Path(__file__).resolve().parents[2]


def test_ocpi_package_imports_no_django():
    modules = sorted(
        f"roaming.ocpi.{info.name}" for info in pkgutil.iter_modules(roaming.ocpi.__path__)
    )
    assert "roaming.ocpi.locations" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
