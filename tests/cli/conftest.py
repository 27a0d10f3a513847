"""Fixtures for the command-line tests: run `aimmo-gt` in this process, write GT files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT / "scripts"))

import make_export  # noqa: E402  (a script, not a package: importable once scripts/ is on the path)


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
