"""The configuration file: found from the current directory upwards, or named; every option of
`validate` is a key; the command line wins; a wrong key or value is a usage error naming both."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from aimmo_gt._cli import build_parser
from aimmo_gt._config import NOT_KEYS, ConfigError, load


@pytest.fixture
def project(tmp_path, image, monkeypatch) -> Path:
    """A project with images/ (one fails as an image: no width) and lidar/ (a point cloud frame),
    the current directory being images/."""
    (tmp_path / "images").mkdir()
    (tmp_path / "lidar").mkdir()
    (tmp_path / "images" / "a.json").write_text(json.dumps(image))
    cloud = json.loads(json.dumps(image))
    cloud["metadata"] = {}
    cloud["annotations"] = []
    cloud["scene_id"] = "620aea6c1e3c3ccd9cfd8bc8"
    (tmp_path / "lidar" / "000001.json").write_text(json.dumps(cloud))
    monkeypatch.chdir(tmp_path / "images")
    return tmp_path


def _rules(run) -> dict[str, list[str]]:
    return {
        Path(entry["path"]).name: sorted({d["rule"] for d in entry["diagnostics"]})
        for entry in run.json()["files"]
    }


def test_pyproject_table_is_found_from_the_current_directory_upwards(cli, project):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.aimmo-gt]\nformat = "json"\n')
    run = cli("validate", "--verbose", "../lidar")
    assert run.code == 0
    assert run.json()["summary"]["files"] == 1  # the file's format = "json" was used
    assert f"configuration: {project / 'pyproject.toml'} [tool.aimmo-gt]" in run.err


def test_a_pyproject_without_the_table_is_passed_over_and_aimmo_gt_toml_comes_first(cli, project):
    (project / "aimmo-gt.toml").write_text('format = "json"\n')
    (project / "images" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    run = cli("validate", "--verbose", ".")
    assert f"configuration: {project / 'aimmo-gt.toml'}\n" in run.err and run.json()
    (project / "pyproject.toml").write_text('[tool.aimmo-gt]\nformat = "sarif"\n')
    run = cli("validate", ".")
    assert "files" in run.json()  # aimmo-gt.toml wins over pyproject.toml in the same directory


def test_config_file_and_no_config(cli, project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("settings") / "team.toml"
    elsewhere.write_text('format = "json"\nprofile = "video"\n')
    (project / "aimmo-gt.toml").write_text("strict = true\n")
    run = cli("validate", "--config", elsewhere, "--verbose", ".")
    assert run.code == 1 and run.json()["files"][0]["profile"] == "video"
    assert f"configuration: {elsewhere}" in run.err
    run = cli("validate", "--no-config", "--verbose", ".")
    assert (
        run.code == 0
        and run.out.endswith("1 file checked: 1 valid, 0 invalid (0 errors, 0 warnings)\n")
        and "configuration: none (--no-config)" in run.err
    )
    missing = cli("validate", "--config", project / "nope.toml", ".")
    assert missing.code == 2 and f"{project / 'nope.toml'}: cannot read" in missing.err


def test_the_command_line_wins_and_lists_add_up(cli, project):
    (project / "aimmo-gt.toml").write_text(
        'format = "json"\nprofile = "video"\nwarn = ["schema.required"]\n'
        '[[overrides]]\npaths = ["lidar/**"]\nprofile = "pointcloud"\n'
    )
    run = cli("validate", "--no-dataset", "--profile", "image", ".", "../lidar")
    assert run.code == 1
    # --profile image wins over the file's profile, and over its override for lidar/ too; the file's
    # warn still lowers schema.required, and not the rest.
    assert {Path(e["path"]).name: e["profile"] for e in run.json()["files"]} == {
        "a.json": "image",
        "000001.json": "image",
    }
    assert _rules(run) == {"a.json": [], "000001.json": ["schema.not-allowed", "schema.required"]}
    severities = {d["rule"]: d["severity"] for d in run.json()["files"][1]["diagnostics"]}
    assert severities == {"schema.not-allowed": "error", "schema.required": "warning"}
    run = cli("validate", "--no-dataset", "--ignore", "schema.", "--format", "text", "--quiet", ".")
    # The file's warn and the command line's ignore both apply; --format text wins over "json".
    assert run.code == 0 and run.out == ""


def test_per_path_overrides_are_relative_to_the_configuration_file(cli, project):
    (project / "pyproject.toml").write_text(
        "[tool.aimmo-gt]\n"
        'profile = "image"\n'
        'format = "json"\n'
        "[[tool.aimmo-gt.overrides]]\n"
        'paths = ["lidar/**"]\n'
        'profile = "pointcloud"\n'
        'ignore = ["format."]\n'
    )
    run = cli("validate", "--no-dataset", ".", "../lidar")
    by_name = {Path(e["path"]).name: e for e in run.json()["files"]}
    assert (by_name["a.json"]["profile"], by_name["000001.json"]["profile"]) == ("image", "pointcloud")
    assert run.code == 0


def test_paths_in_the_file_are_relative_to_it_not_to_the_current_directory(cli, project):
    """`ontology`, `resources` and `output` name files beside the configuration file, wherever
    aimmo-gt is run from (the current directory here is images/, one level below the file)."""
    shipped = Path(__file__).parents[1] / "ontology" / "project" / "ontology.json"
    (project / "ontology.json").write_text(shipped.read_text())
    (project / "aimmo-gt.toml").write_text(
        'ontology = "ontology.json"\noutput = "report.json"\nformat = "json"\n'
    )
    run = cli("validate", "--no-dataset", "a.json")
    report = json.loads((project / "report.json").read_text())
    assert not (project / "images" / "report.json").exists()
    rules = {d["rule"] for entry in report["files"] for d in entry["diagnostics"]}
    assert run.code == 1 and any(rule.startswith("ontology.") for rule in rules), json.dumps(report)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('profle = "image"', "aimmo-gt.toml: unknown key 'profle' (did you mean 'profile'?)"),
        ('profile = "photo"', "aimmo-gt.toml: profile: 'photo' is not one of image, image-pixel"),
        ("jobs = 0", "aimmo-gt.toml: jobs: '0' is not a positive number of processes"),
        ('jobs = "two"', "aimmo-gt.toml: jobs: 'two' is not a positive number of processes"),
        ('strict = "yes"', "aimmo-gt.toml: strict: expected true or false, not a string"),
        ("warn = 3", "aimmo-gt.toml: warn: expected a list of strings, not an integer"),
        (
            'ignore = ["geometry.bboxx"]',
            "ignore: no rule is named 'geometry.bboxx' (did you mean 'geometry.bbox'?)",
        ),
        ('warn = ["json.parse"]', "warn: json.parse cannot be lowered or ignored"),
        ('max-bytes = "lots"', "max-bytes: 'lots' is not a size"),
        ("format = 1", "aimmo-gt.toml: format: expected a string, not an integer"),
        (
            "[[overrides]]\nprofile = 'image'",
            "[[overrides]] number 1: 'paths' must be a glob or a list of globs",
        ),
        ("[[overrides]]\npaths = ['x/**']\nformat = 'json'", "'format' cannot differ by path"),
        ("[[overrides]]\npaths = ['x/**']\nontology = 'o.json'", "'ontology' cannot differ by path"),
        ("[[overrides]]\npaths = ['x/**']\nno-dataset = true", "'no-dataset' cannot differ by path"),
        (
            "[[overrides]]\npaths = ['x/**']\nprofil = 'image'",
            "number 1: unknown key 'profil' (did you mean 'profile'?)",
        ),
        ("x = [", "aimmo-gt.toml: not valid TOML: "),
    ],
)
def test_a_wrong_key_or_value_is_a_usage_error_naming_the_file_and_key(cli, project, text, message):
    (project / "aimmo-gt.toml").write_text(text + "\n")
    run = cli("validate", ".")
    assert run.code == 2 and run.out == ""
    assert message in run.err, run.err
    assert str(project / "aimmo-gt.toml") in run.err


def test_pyproject_errors_name_the_table(cli, project):
    (project / "pyproject.toml").write_text('[tool.aimmo-gt]\nexlude = ["*.bak"]\n')
    run = cli("validate", ".")
    assert run.code == 2
    assert (
        f"{project / 'pyproject.toml'}: [tool.aimmo-gt] unknown key 'exlude' (did you mean 'exclude'?)"
        in run.err
    )


def test_the_options_that_differ_by_path_are_those_of_one_file():
    from dataclasses import fields

    from aimmo_gt._check import Options
    from aimmo_gt._config import PER_PATH

    assert {field.name for field in fields(Options)} >= PER_PATH


def test_every_option_of_validate_is_a_key_and_a_new_one_joins_without_code(tmp_path):
    parser = build_parser()
    validate = next(
        action.choices["validate"]
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    options = {
        max(action.option_strings, key=len).lstrip("-")
        for action in validate._actions
        if action.option_strings and action.dest not in NOT_KEYS
    }
    assert {
        "profile",
        "warn",
        "ignore",
        "strict",
        "exclude",
        "jobs",
        "format",
        "max-bytes",
        "color",
    } <= options
    config = tmp_path / "all.toml"
    config.write_text(
        'profile = "image"\nwarn = ["geometry."]\nignore = ["json.bom"]\nstrict = true\n'
        'format = "json"\noutput = "r.json"\nquiet = true\nverbose = true\njobs = 2\n'
        'engine = "reference"\njsonl = true\nexclude = ["*.bak"]\nmax-bytes = "1K"\n'
        'color = "never"\nmax-problems = 5\n'
    )
    values = load(config, validate).values
    assert values["max_bytes"] == 1024 and values["jobs"] == 2 and values["exclude"] == ["*.bak"]
    assert {a.dest for a in validate._actions} >= set(values)

    # Options other changes add to validate are keys at once, whatever their kind.
    def add(name: str, **kwargs) -> None:  # those that have landed are there already
        if name not in validate._option_string_actions:
            validate.add_argument(name, **kwargs)

    add("--resources", metavar="DIR")
    add("--ontology", metavar="FILE")
    add("--upload", action="store_true")
    add("--no-dataset", dest="dataset", action="store_false")
    add("--storage-option", action="append", default=[], metavar="KEY=VALUE")
    add("--fancy", action=argparse.BooleanOptionalAction, default=True)
    config.write_text(
        'resources = "images/"\nontology = "o.json"\nupload = true\nno-dataset = true\n'
        'storage-option = ["anon=true"]\nfancy = false\n'
    )
    assert load(config, validate).values == {
        "resources": str(tmp_path / "images"),  # paths: relative to the file
        "ontology": str(tmp_path / "o.json"),
        "upload": True,
        "dataset": False,
        "storage_option": [("anon", True)],  # the real option reads each value with its own type
        "fancy": False,
    }
    with pytest.raises(ConfigError, match="unknown key 'paths'"):
        config.write_text('paths = ["x"]\n')
        load(config, validate)
