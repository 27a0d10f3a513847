"""The tree lints, is formatted and type-checks clean, with the configuration in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Each from the repository root, so the checker finds pyproject.toml and reads its configuration
# (mypy's `files`, ruff's rules and exclusions) exactly as a developer's run does.
CHECKS = {
    "ruff check": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    "mypy": ["mypy"],
}


@pytest.mark.parametrize("command", CHECKS.values(), ids=CHECKS.keys())
def test_clean(command: list[str], repo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
