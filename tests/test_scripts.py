"""Every script under scripts/ is a command with a working --help (a module that is only imported
would not be under scripts/)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO

SCRIPTS = sorted((REPO / "scripts").glob("*.py"))


def test_the_scripts_are_found():
    assert {"bench.py", "bundle.py", "docs.py", "make_export.py", "readme_rules.py", "synthetic.py"} <= {
        script.name for script in SCRIPTS
    }


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.name)
def test_help_says_how_to_use_it_and_does_nothing_else(script, tmp_path):
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script.name}"), done.stdout[:200]
    assert "--help" in done.stdout and done.stderr == ""
    assert list(tmp_path.iterdir()) == []  # --help wrote nothing


def test_synthetic_writes_json_lines_the_validator_passes():
    documents = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "synthetic.py"), "--count", "4", "--annotations", "3"],
        capture_output=True,
        check=True,
    ).stdout
    assert len(documents.splitlines()) == 4
    done = subprocess.run(
        [sys.executable, "-m", "aimmo_gt", "validate", "--jsonl", "--format", "json", "-"],
        input=documents,
        capture_output=True,
    )
    assert done.returncode == 0, done.stdout[-2000:]
