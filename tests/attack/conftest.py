"""Helpers for the attack regression tests (tests/attack/README.md says how they are laid out)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def peak_bytes(action: Callable[[], object]) -> int:
    """The most memory Python allocated at once while `action` ran (tracemalloc: deterministic)."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def best_time(action: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of a few runs; only ever compared with another size measured in the same run."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def growth(action: Callable[[int], object], small: int, factor: int = 10) -> float:
    """How much longer `action(small * factor)` takes than `action(small)`: about `factor` when the
    cost is linear, `factor` squared when it is quadratic. Tests assert a wide margin between them."""
    action(small)  # warm caches (imports, compiled validators) before timing
    # Five runs each: on a loaded machine three were once all slowed for the large size (a ratio of
    # 36 for linear work); the best of five keeps the wide margin meaningful.
    large = best_time(lambda: action(small * factor), repeat=5)
    return large / max(best_time(lambda: action(small), repeat=5), 1e-6)


def valid_document(name: str = "realistic-image") -> dict:
    """A valid GT document of the fixtures (a fresh copy to change)."""
    return json.loads((FIXTURES / "valid" / f"{name}.json").read_text(encoding="utf-8"))


def write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


#: `python -c` code that runs the CLI after patching a check to misbehave: the patched function is
#: inherited by forked workers, so a worker really sleeps or really dies.
_HARNESS = """
import os, signal, sys, time
from aimmo_gt import _check
from aimmo_gt._cli import main

real = _check.check_item
def check_item(item, options, max_bytes):
    name = os.path.basename(item.display)
    if "kill" in name:
        os.kill(os.getpid(), signal.SIGKILL)
    if "slow" in name:
        sys.stderr.write(f"checking {item.display}\\n")
        sys.stderr.flush()
        time.sleep(float(os.environ.get("SLOW", "30")))
    return real(item, options, max_bytes)
_check.check_item = check_item
if os.environ.get("NO_FORK"):
    def fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")
    os.fork = fork
sys.exit(main(sys.argv[1:]))
"""


def aimmo(*args: object, env: dict | None = None, **popen) -> subprocess.Popen:
    """Start `aimmo-gt ARGS...` in a new process (with the _HARNESS patches) in its own session."""
    return subprocess.Popen(
        [sys.executable, "-c", _HARNESS, *map(str, args)],
        stdout=popen.pop("stdout", subprocess.PIPE),
        stderr=popen.pop("stderr", subprocess.PIPE),
        stdin=popen.pop("stdin", subprocess.DEVNULL),
        env={**os.environ, **(env or {})},
        start_new_session=True,
        **popen,
    )


def interrupt(process: subprocess.Popen) -> None:
    """Ctrl-C as a terminal sends it: SIGINT to the whole process group."""
    os.killpg(process.pid, signal.SIGINT)


@pytest.fixture
def reaper():
    """Processes a test started, killed (group and all) if the test fails before they end."""
    started: list[subprocess.Popen] = []
    yield started.append
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
