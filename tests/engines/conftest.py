"""The Node harness of the engines test: its pinned npm dependencies, installed once per session."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS_DIR = Path(__file__).parent / "js"


def locked_version(package: str) -> str:
    lock = json.loads((JS_DIR / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"][f"node_modules/{package}"]["version"]


def _installed_version(package: str) -> str | None:
    manifest = JS_DIR / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


#: Why a test that needs Node did not run; the only case in which the JavaScript engines may be left out.
NO_NODE = "NODE IS NOT ON PATH: the JavaScript engines were NOT compared; install Node >= 18"


def require_node(harness: Path | None) -> Path:
    """The harness, or a skip that says loudly in the summary that ajv was not compared."""
    if harness is None:
        pytest.skip(NO_NODE)
    return harness


@pytest.fixture(scope="session")
def node_harness() -> Path | None:
    """The harness script, with node_modules installed from the lock file when missing or stale;
    None when Node is not on PATH (the Python engines are still compared, then the test skips)."""
    if shutil.which("node") is None:
        return None
    wanted = json.loads((JS_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"]
    if any(_installed_version(package) != locked_version(package) for package in wanted):
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("node is on PATH but npm is not: cannot install tests/engines/js dependencies")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            pytest.fail(f"`npm ci` in {JS_DIR} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return JS_DIR / "harness.mjs"
