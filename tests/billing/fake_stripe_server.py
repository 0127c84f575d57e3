"""The fake Stripe (localstripe) for tests, with two faults a test can switch on over HTTP:

- POST /_test/faults {"slow": "<regex on 'METHOD /path'>", "seconds": 30}: answer matching
  requests only after a pause, *after* the fake Stripe has acted (a charge is made, its answer
  is late): the moment a test kills the caller, between Stripe's answer and our commit.
- POST /_test/faults {"fail": "<regex>", "fail_count": 2}: answer the next matching requests
  with a 500 without acting (Stripe unreachable or broken).
GET /_test/faults tells how many requests were held back or failed.

`python -m tests.billing.fake_stripe_server --port N` (loopback only).
"""

import argparse
import asyncio
import re

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app

FAULTS: dict = {
    "slow": None,
    "seconds": 0.0,
    "slowed": 0,
    "fail": None,
    "fail_count": 0,
    "failed": 0,
}


@web.middleware
async def faults(request: web.Request, handler):
    if request.path == "/_test/faults":
        if request.method == "POST":
            FAULTS.update(
                {
                    "slow": None,
                    "seconds": 0.0,
                    "slowed": 0,
                    "fail": None,
                    "fail_count": 0,
                    "failed": 0,
                }
            )
            FAULTS.update(await request.json())
        return web.json_response(FAULTS)
    line = f"{request.method} {request.path}"
    if FAULTS["fail"] and FAULTS["fail_count"] > 0 and re.search(FAULTS["fail"], line):
        FAULTS["fail_count"] -= 1
        FAULTS["failed"] += 1
        return web.json_response(
            {"error": {"type": "api_error", "message": "Injected failure"}}, status=500
        )
    response = await handler(request)
    if FAULTS["slow"] and re.search(FAULTS["slow"], line):
        FAULTS["slowed"] += 1
        await asyncio.sleep(float(FAULTS["seconds"]))
    return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    store.dump_to_disk = lambda: None
    app.middlewares.insert(0, faults)  # outside localstripe's own (no API key for /_test/)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
