""".pre-commit-hooks.yaml runs the command it names, on the files pre-commit passes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

HOOKS = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "export"


def _hooks() -> dict[str, dict[str, str]]:
    # The file is flat YAML (a list of one-level mappings): read without a YAML library.
    hooks: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in HOOKS.read_text().splitlines():
        match = re.fullmatch(r"(- |  )(\w+): (.*)", line)
        if match:
            if match.group(1) == "- ":
                current = {}
            current[match.group(2)] = match.group(3)
            if match.group(2) == "id":
                hooks[match.group(3)] = current
    return hooks


def test_hooks_are_declared():
    hooks = _hooks()
    assert set(hooks) == {"aimmo-gt", "aimmo-gt-jsonl"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["require_serial"] == "true"
        assert hook["entry"].startswith("aimmo-gt validate")


@pytest.mark.parametrize(
    ("files", "code"),
    [
        (["videos/clip_01.json", "texts/review_01.json"], 0),
        (["videos/clip_01.json", "videos/clip_03.json"], 1),
    ],
)
def test_the_hook_entry_validates_the_files_it_is_given(cli, files, code):
    entry = shlex.split(_hooks()["aimmo-gt"]["entry"])
    run = cli(*entry[1:], *(EXAMPLES / name for name in files))
    assert run.code == code
    assert ("clip_03.json:7:7: /annotations/0/endFrame: order.end-after-start" in run.out) == (code == 1)
