"""gunicorn's settings, read when it starts in the project's root (`gunicorn emsp.wsgi`).

One sync worker per core (WEB_CONCURRENCY overrides). Our requests spend their time in
Python, with short database waits, so more workers than cores only take turns on the CPU: on
2 cores the EVSE status PATCH served 237/s at p95 43 ms with 2 workers, 209/s at 48 ms with 3
and 186/s at 59 ms with 4 (threads, gthread, were slower still). A request that calls a
partner (START_SESSION, STOP_SESSION) holds its worker until the partner answers (at most the
OCPI client's timeout); with slow partners, set WEB_CONCURRENCY higher.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
