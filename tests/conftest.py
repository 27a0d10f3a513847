"""Shared helpers for the test suite."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The 13 annotation types of the format (DECISIONS.md), written out here once so that the tests that
#: check the schemas' coverage do not rest on the schemas they check.
ANNOTATION_TYPES = (
    "bbox",
    "obbox_v2",
    "keypoint",
    "poly_seg",
    "polygon",
    "polyline",
    "cuboid_2d",
    "cuboid_plain",
    "segmentation_mask",
    "cuboid",
    "lasso",
    "frameRange",
    "entity",
)

TESTS = Path(__file__).parent
REPO = TESTS.parent
CASES = TESTS / "cases"
FIXTURES = TESTS / "fixtures"


def load_script(name: str):
    """A script of scripts/ as a module (they are not a package)."""
    spec = importlib.util.spec_from_file_location(f"aimmo_gt_scripts_{name}", REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def rule_pointers(diagnostics) -> list[tuple[str, str]]:
    return sorted((d.rule, d.pointer) for d in diagnostics)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def pools(monkeypatch):
    """The process pools the runner starts, by their number of workers (each still runs)."""
    import aimmo_gt._runner as runner

    started = []

    class Recording(runner.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(kwargs.get("max_workers"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(runner, "ProcessPoolExecutor", Recording)
    return started


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)

    def by_path(self) -> dict[str, dict]:
        """The json report's files by path."""
        return {entry["path"]: entry for entry in self.json()["files"]}


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run `aimmo-gt ARGS...` in-process; `stdin` bytes become standard input."""
    from aimmo_gt._cli import main

    def run(*args: str, stdin: bytes | None = None) -> Run:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def readme_pre_commit_snippet() -> str:
    """The YAML of the README's pre-commit example."""
    readme = (REPO / "README.md").read_text("utf-8")
    (snippet,) = re.findall(r"```yaml\n(repos:\n.*?)```", readme, flags=re.DOTALL)
    return snippet
