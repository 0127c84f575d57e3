from tests.roaming.cpo import cpo, cpo_process  # noqa: F401  (fixtures: the CPO simulator)
