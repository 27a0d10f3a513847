""".pre-commit-hooks.yaml runs the command it names, on the files pre-commit passes."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import readme_pre_commit_snippet

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


# --- The real pre-commit, with the README's snippet, on a repository of GT files ---------------------

REPO = Path(__file__).resolve().parents[2]
GIT = [
    "git",
    "-c",
    "user.name=aimmo-gt tests",
    "-c",
    "user.email=tests@aimmo-gt.invalid",
    "-c",
    "init.defaultBranch=main",
]


def _git(*args: str, cwd: Path) -> None:
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory) -> Path:
    """A copy of this repository's tracked files as they are now, committed and tagged as the README's
    snippet names the release (so the test needs no tag in the real repository, nor a fetch)."""
    copy = tmp_path_factory.mktemp("aimmo-gt")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    _git("init", "-q", cwd=copy)
    _git("add", "-A", cwd=copy)
    _git("commit", "-q", "-m", "snapshot for the pre-commit test", cwd=copy)
    _git("tag", re.search(r"rev: (\S+)", readme_pre_commit_snippet()).group(1), cwd=copy)
    return copy


def _gt_repository(root: Path, config: str) -> Path:
    """A repository of GT files as users have them: GT under gt/, and other JSON beside it."""
    (root / "gt" / "images").mkdir(parents=True)
    shutil.copy2(EXAMPLES / "images" / "daytime" / "image (28).json", root / "gt" / "images")
    shutil.copy2(EXAMPLES / "videos" / "clip_03.json", root / "gt")  # endFrame before startFrame
    (root / ".vscode").mkdir()
    (root / ".vscode" / "settings.json").write_text('{"json.schemas": []}\n', encoding="utf-8")
    (root / "package.json").write_text('{"name": "my-gt", "private": true}\n', encoding="utf-8")
    (root / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    _git("init", "-q", cwd=root)
    _git("add", "-A", cwd=root)
    return root


def _pre_commit(root: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_readme_snippet_runs_under_pre_commit(hook_repository: Path, tmp_path: Path):
    config = readme_pre_commit_snippet().replace("<the URL of this repository>", hook_repository.as_posix())
    assert hook_repository.as_posix() in config, "the snippet's repo: placeholder changed"
    home = tmp_path / "pre-commit-home"
    done = _pre_commit(_gt_repository(tmp_path / "with-files", config), home)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "gt/clip_03.json:7:7: /annotations/0/endFrame: order.end-after-start" in said
    assert "image (28)" not in said and "package.json" not in said and "settings.json" not in said, said
    # Without the snippet's files: pattern, the other JSON files would be checked as GT and fail: the
    # pattern is what keeps them out (the hook's environment is reused: no second install).
    unfiltered = re.sub(r"\n\s+# .*\n\s+files: .*", "", config)
    assert "files:" not in unfiltered
    done = _pre_commit(_gt_repository(tmp_path / "without-files", unfiltered), home)
    said = done.stdout + done.stderr
    assert done.returncode == 1 and "package.json:" in said and ".vscode/settings.json:" in said, said
