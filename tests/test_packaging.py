"""The wheel ships every schema file, and the README's rule list is generated from the rule table."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from aimmo_gt._schemas import schema_dir


def test_wheel_ships_every_schema_file(repo, tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            tmp_path,
            repo,
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("aimmo_gt-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    root = schema_dir()
    expected = {"aimmo_gt/schemas/" + p.relative_to(root).as_posix() for p in root.rglob("*.json")}
    assert expected and expected <= names
    assert "aimmo_gt/_validator.py" in names


def test_readme_rule_list_is_up_to_date(repo):
    result = subprocess.run(
        [sys.executable, repo / "scripts" / "readme_rules.py", "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
