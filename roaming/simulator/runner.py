"""Start the simulator: `run()` blocks until SIGINT/SIGTERM, `running()` is a context manager
(in-process, for scripts that want one beside them)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator

from roaming.simulator.app import CpoSimulator, SimulatorConfig
from roaming.simulator.server import make_server

logger = logging.getLogger("roaming.simulator")


@contextlib.contextmanager
def running(config: SimulatorConfig) -> Iterator[CpoSimulator]:
    sim = CpoSimulator(config)
    server = make_server(sim)
    sim.config.port = server.server_address[1]
    sim.start_background()
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="simulator-http")
    thread.start()
    try:
        yield sim
    finally:
        server.shutdown()
        server.server_close()
        sim.stop_background()


def run(
    config: SimulatorConfig,
    *,
    register: tuple[str, str] | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve until interrupted. `register`: (versions URL, token A) of an eMSP to register
    with once serving."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with running(config) as sim:
        state = sim.state()
        announce(
            f"CPO simulator {state['party']} at {sim.versions_url}\n"
            f"  token A: {sim.peers.token_a}\n"
            f"  {state['counts']['locations']} locations, {state['counts']['evses']} EVSEs, "
            f"{state['counts']['connectors']} connectors, {state['counts']['tariffs']} tariffs"
        )
        if register:
            try:
                peer = sim.register_with(*register)
                announce(f"  registered with {peer.party} at {register[0]}")
            except Exception as error:  # the simulator keeps serving; the operator sees why
                announce(f"  registration with {register[0]} failed: {error}")
        stop.wait()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="A CPO speaking OCPI 2.2.1 on loopback.")
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The simulator's options, on any parser (ours, or a Django management command's)."""
    defaults = SimulatorConfig()
    p.add_argument("--port", type=int, default=defaults.port)
    p.add_argument("--locations", type=int, default=defaults.locations)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--token-a", default=None, help="CREDENTIALS_TOKEN_A (random if omitted)")
    p.add_argument("--country-code", default=defaults.country_code)
    p.add_argument("--party-id", default=defaults.party_id)
    p.add_argument(
        "--history",
        type=int,
        default=defaults.history,
        help="completed sessions and CDRs generated for each eMSP that registers",
    )
    p.add_argument(
        "--session-tick",
        type=float,
        default=defaults.session_tick,
        help="seconds between Session PATCHes while charging",
    )
    p.add_argument(
        "--energy-speed",
        type=float,
        default=defaults.energy_speed,
        help="how much faster than real time energy flows",
    )
    p.add_argument("--command-timeout", type=int, default=defaults.command_timeout)
    p.add_argument(
        "--command-result",
        default=defaults.command_result,
        help="AUTO, a CommandResultType, or NONE (never answer)",
    )
    p.add_argument("--command-result-delay", type=float, default=defaults.command_result_delay)
    p.add_argument(
        "--auto-stop-after",
        type=float,
        default=None,
        help="seconds after which a session ends by itself",
    )
    p.add_argument("--duplicate-cdr-posts", action="store_true")
    p.add_argument("--max-limit", type=int, default=defaults.max_limit)
    p.add_argument("--register-url", default=None, help="an eMSP's versions URL to join")
    p.add_argument("--register-token", default=None, help="the eMSP's token A for that")


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    return SimulatorConfig(
        port=args.port,
        locations=args.locations,
        seed=args.seed,
        token_a=args.token_a,
        country_code=args.country_code,
        party_id=args.party_id,
        history=args.history,
        session_tick=args.session_tick,
        energy_speed=args.energy_speed,
        command_timeout=args.command_timeout,
        command_result=args.command_result.upper(),
        command_result_delay=args.command_result_delay,
        auto_stop_after=args.auto_stop_after,
        duplicate_cdr_posts=args.duplicate_cdr_posts,
        max_limit=args.max_limit,
    )


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    register = (args.register_url, args.register_token) if args.register_url else None
    run(config_from_args(args), register=register)
