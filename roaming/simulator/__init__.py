"""A CPO that speaks OCPI 2.2.1, for tests, benchmarks and the demo (`make run`).

Pure Python (no Django, no database): state in memory, served on loopback by a threaded HTTP
server. Start it with `python manage.py ocpi_cpo_simulator` or `python -m roaming.simulator`.
"""

from roaming.simulator.app import CpoSimulator, SimulatorConfig
from roaming.simulator.runner import run, running

__all__ = ["CpoSimulator", "SimulatorConfig", "run", "running"]
