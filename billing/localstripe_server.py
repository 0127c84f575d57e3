"""Run the fake Stripe server (localstripe) on loopback only.

`python -m billing.localstripe_server --port 8420 [--state var/localstripe.pickle]`

localstripe pickles its whole store to /tmp after every write, which is shared between runs and
grows slower with every object. Here the store is kept in memory, and with --state it is saved
to the given file on exit and every few seconds, so `make run` keeps its customers across restarts.
"""

import argparse
import asyncio
import contextlib
import logging
import pickle
import time
from pathlib import Path

import httpx

SAVE_EVERY_SECONDS = 5.0


def _load(path: Path) -> None:
    from localstripe.resources import store

    with contextlib.suppress(FileNotFoundError, EOFError, pickle.UnpicklingError):
        with path.open("rb") as file:
            saved = pickle.load(file)  # noqa: S301 - our own file, written below
        store.clear()
        store.update(saved)


def _save(path: Path) -> None:
    from localstripe.resources import store

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as file:
        pickle.dump(dict(store), file, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)


def webhook_register(
    *, api_base: str, url: str, secret: str, endpoint_id: str = "emsp", timeout: float = 20.0
) -> None:
    """Tell the fake server where to send its events, signed with `secret` (it forgets on
    restart: `make run` calls this each time). Waits for the server to come up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx.post(
                f"{api_base.rstrip('/')}/_config/webhooks/{endpoint_id}",
                data={"url": url, "secret": secret},
                timeout=5,
            )
            response.raise_for_status()
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", type=Path, help="file that keeps the store across restarts")
    args = parser.parse_args()
    # imported here: localstripe builds its whole app on import (webhook_register needs none)
    from aiohttp import web
    from localstripe.resources import store
    from localstripe.server import app

    store.dump_to_disk = lambda: None  # see the module docstring
    logging.basicConfig(level=logging.WARNING)
    if args.state:
        _load(args.state)

        async def save_periodically(application: "web.Application") -> None:
            async def loop() -> None:
                while True:
                    await asyncio.sleep(SAVE_EVERY_SECONDS)
                    _save(args.state)

            task = asyncio.create_task(loop())
            yield
            task.cancel()
            _save(args.state)

        app.cleanup_ctx.append(save_periodically)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
