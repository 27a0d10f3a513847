"""Fixtures for the command-line tests: run `aimmo-gt` in this process, write GT files."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from aimmo_gt._cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT / "scripts"))

import make_export  # noqa: E402  (a script, not a package: importable once scripts/ is on the path)


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

    def run(*args: str, stdin: bytes | None = None) -> Run:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def documents() -> dict[str, dict]:
    """The valid documents of the example export, by path."""
    return make_export.example_documents()


@pytest.fixture
def image(documents) -> dict:
    return json.loads(json.dumps(documents["images/daytime/image (28).json"]))


@pytest.fixture
def image_bytes(image) -> bytes:
    return json.dumps(image, indent=2).encode()
