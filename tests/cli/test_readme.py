"""The README's command-line part: its options table lists every option of `validate`, its CI examples'
commands run as written, its configuration example is a valid configuration."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema

from aimmo_gt._cli import build_parser, subcommands
from aimmo_gt._config import load

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DATA = ROOT / "tests" / "data"


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_the_options_table_lists_every_option_of_validate():
    table = README[README.index("| option | |") :]
    table = table[: table.index("\n\n")]
    listed = set(re.findall(r"`(--?[a-zA-Z][\w-]*)", table))
    validate = subcommands(build_parser())["validate"]
    options = {option for action in validate._actions for option in action.option_strings} - {"-h", "--help"}
    assert options - listed == set(), "document these in README.md's options table"


def _ci_commands() -> list[str]:
    ci = _section("### In CI")
    blocks = re.findall(r"```yaml\n(.*?)```", ci, re.S)
    commands = [
        m for block in blocks for m in re.findall(r"^\s*-(?: run:)? (aimmo-gt validate .*)$", block, re.M)
    ]
    assert len(commands) == 2
    return commands


def test_the_ci_examples_run_as_written(tmp_path):
    shutil.copytree(ROOT / "examples" / "export", tmp_path / "gt")
    github, gitlab = _ci_commands()
    run = subprocess.run(
        [sys.executable, "-m", "aimmo_gt", *shlex.split(github)[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and run.stderr == ""
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 5
    assert all(
        re.match(r"::error file=gt/[^,]+\.json,line=\d+,col=\d+,title=[a-z]+\.[a-z-]+::/", a)
        for a in annotations
    )
    run = subprocess.run(
        [sys.executable, "-m", "aimmo_gt", *shlex.split(gitlab)[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and run.stdout == "" and run.stderr == ""
    report = json.loads((tmp_path / "gl-code-quality-report.json").read_text())
    jsonschema.Draft202012Validator(
        json.loads((DATA / "gitlab-codequality.schema.json").read_text())
    ).validate(report)
    assert len(report) == 5 and all(issue["location"]["path"].startswith("gt/") for issue in report)


def test_the_configuration_example_is_a_valid_configuration(tmp_path):
    example = re.search(r"```toml\n(.*?)```", README, re.S)
    assert example is not None
    (tmp_path / "pyproject.toml").write_text(example.group(1))
    config = load(tmp_path / "pyproject.toml", subcommands(build_parser())["validate"])
    assert config.values["warn"] == ["entity.span-length", "geometry."]
    [override] = config.overrides
    assert override.globs == ("lidar/**",) and override.changes == (("profile", "pointcloud"),)
