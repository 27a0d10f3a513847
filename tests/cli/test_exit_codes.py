"""Exit statuses are a contract: 0 valid (warnings allowed), 1 invalid or unreadable, 2 usage error."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest


@pytest.fixture
def valid_file(tmp_path, image_bytes):
    path = tmp_path / "valid.json"
    path.write_bytes(image_bytes)
    return path


@pytest.fixture
def invalid_file(tmp_path, image):
    image["annotations"][0]["label"] = ""
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(image))
    return path


def test_valid_is_0(cli, valid_file):
    run = cli("validate", valid_file)
    assert run.code == 0
    assert run.out == "1 file checked: 1 valid, 0 invalid (0 errors, 0 warnings)\n"


def test_invalid_is_1(cli, valid_file, invalid_file):
    run = cli("validate", valid_file, invalid_file)
    assert run.code == 1
    place = re.escape(str(invalid_file))
    assert re.search(rf"^{place}:1:\d+: /annotations/0/label: schema.minLength: ", run.out, re.M)


def test_warnings_alone_are_0_and_1_with_strict(cli, tmp_path, image_bytes):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + image_bytes)
    assert cli("validate", path).code == 0
    assert cli("validate", "--strict", path).code == 1


def test_warn_lowers_an_error_and_ignore_drops_it(cli, invalid_file):
    run = cli("validate", "--warn", "schema.", invalid_file)
    assert run.code == 0
    assert "schema.minLength (warning): " in run.out
    assert cli("validate", "--warn", "schema.minLength", "--strict", invalid_file).code == 1
    run = cli("validate", "--ignore", "schema.minLength", invalid_file)
    assert run.code == 0 and "schema.minLength" not in run.out


def test_a_missing_path_is_a_file_diagnostic_not_a_usage_error(cli, tmp_path, valid_file):
    run = cli("validate", valid_file, tmp_path / "missing.json")
    assert run.code == 1
    assert f"{tmp_path / 'missing.json'}: file.unreadable: " in run.out


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--no-such-option", "x.json"],
        ["validate"],
        ["validate", "--profile", "lidar", "x.json"],
        ["validate", "--warn", "no.such-rule", "x.json"],
        ["validate", "--ignore", "geometri.", "x.json"],
        ["validate", "--format", "xml", "x.json"],
        ["validate", "--jobs", "0", "x.json"],
        ["validate", "--max-bytes", "lots", "x.json"],
        ["nonsense"],
        [],
    ],
    ids=lambda args: " ".join(args) or "(nothing)",
)
def test_usage_errors_are_2(cli, args):
    run = cli(*args)
    assert run.code == 2
    assert "error:" in run.err and run.out == ""


def test_unknown_rule_is_named(cli):
    run = cli("validate", "--warn", "geometry.bbox", "--ignore", "no.such-rule", "x.json")
    assert run.code == 2 and "'no.such-rule'" in run.err and "aimmo-gt rules" in run.err


def test_help_is_0(cli):
    run = cli("validate", "--help")
    assert run.code == 0
    for option in (
        "--profile",
        "--warn",
        "--ignore",
        "--strict",
        "--format",
        "--output",
        "--quiet",
        "--jobs",
        "--jsonl",
        "--exclude",
        "--max-bytes",
        "exit status:",
    ):
        assert option in run.out


def test_the_installed_command_and_python_dash_m_agree(tmp_path, valid_file, invalid_file):
    # The real entry point, in a fresh interpreter: exit codes survive the process boundary.
    for args, code in (
        ([valid_file], 0),
        ([valid_file, invalid_file], 1),
        (["--profile", "nope", valid_file], 2),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "aimmo_gt", "validate", *map(str, args)], capture_output=True
        )
        assert done.returncode == code, done.stderr
        assert b"Traceback" not in done.stderr


def test_rules_lists_every_rule(cli):
    from aimmo_gt import RULES

    run = cli("rules")
    assert run.code == 0
    lines = run.out.splitlines()
    assert [line.split()[0] for line in lines] == list(RULES)
    assert any(line.split()[:2] == ["json.bom", "warning"] for line in lines)
    listed = cli("rules", "--format", "json").json()["rules"]
    assert [(r["id"], r["severity"], r["summary"]) for r in listed] == [
        (r.id, r.severity, r.summary) for r in RULES.values()
    ]
    assert {"file.unreadable", "json.parse", "geometry.bbox"} <= {r["id"] for r in listed}
