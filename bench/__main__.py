"""`make bench`: run the benchmarks and rewrite their sections of BENCHMARKS.md.

Each module `bench/bench_<name>.py` has `run() -> str`, returning its markdown section body.
`python -m bench` runs them all; `python -m bench pricing roaming` runs the ones named. A section
not run keeps its previous figures, so one benchmark can be re-measured on its own.
"""

import argparse
import datetime
import importlib
import os
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "BENCHMARKS.md"
HEADER = (
    "# Benchmarks\n\nWritten by `make bench` (`python -m bench [name ...]`). Each section says\n"
    "when, on what machine and with which command its figures were measured.\n"
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def sections(text: str) -> dict[str, str]:
    found = {}
    for match in re.finditer(r"^## (\S+)\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL):
        found[match.group(1)] = match.group(2).strip() + "\n"
    return found


def available() -> list[str]:
    return sorted(
        path.stem.removeprefix("bench_") for path in Path(__file__).parent.glob("bench_*.py")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (all: {', '.join(available())})"
    )
    args = parser.parse_args()
    names = args.names or available()
    unknown = set(names) - set(available())
    if unknown:
        sys.exit(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    existing = sections(OUTPUT.read_text()) if OUTPUT.exists() else {}
    for name in names:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench.bench_{name}")
        body = module.run()
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        existing[name] = (
            f"Measured {stamp} on {machine()}.\n"
            f"Command: `python -m bench {name}`\n\n{body.strip()}\n"
        )
        print(existing[name], flush=True)
        OUTPUT.write_text(
            HEADER + "".join(f"\n## {key}\n{value}" for key, value in sorted(existing.items()))
        )


if __name__ == "__main__":
    main()
