from tests.billing.conftest import _stripe  # noqa: F401  (every e2e test runs with the fake Stripe)
from tests.roaming.cpo import (  # noqa: F401  (fixtures: the CPO simulator)
    emsp_live,
    registered,
    simulator,
    simulator_process,
)
