"""What the command costs beyond checking the files: the garbage collector it runs under, the modules
it does not import (no timing here: each cut is proven by what the process does, not how long)."""

from __future__ import annotations

import gc
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import aimmo_gt._runner as runner


def test_files_are_checked_with_the_collector_tuned_and_it_is_set_back_after(
    cli, tmp_path, image_bytes, monkeypatch
):
    (tmp_path / "a.json").write_bytes(image_bytes)
    (tmp_path / "b.json").write_bytes(b'{"annotations": []}')
    thresholds = []
    check_batch = runner.check_batch

    def recording(*args, **kwargs):
        thresholds.append(gc.get_threshold())
        return check_batch(*args, **kwargs)

    monkeypatch.setattr(runner, "check_batch", recording)
    before = gc.get_threshold()
    run = cli("validate", "--jobs", "1", tmp_path)
    assert run.code == 1 and "b.json:1:1: schema.required" in run.out
    assert len(thresholds) == 2
    # The youngest generation is collected less often; the older ones as before.
    assert all(t[0] >= runner.GC_YOUNG and t[1:] == before[1:] for t in thresholds)
    assert gc.get_threshold() == before


def test_a_pool_worker_collects_garbage_as_the_command_does():
    with ProcessPoolExecutor(1, initializer=runner._worker_init) as pool:
        assert pool.submit(gc.get_threshold).result()[0] >= runner.GC_YOUNG


#: Modules a run over one clean file does without: the reference engine and what it imports, the
#: loader (line and column), the rule table's vocabulary and ontology modules, the process pool, and
#: what only some formats, a configuration file, a terminal or an export's whole-export rules need.
NOT_FOR_ONE_CLEAN_FILE = (
    "aimmo_gt._validator",
    "aimmo_gt._explain",
    "aimmo_gt._loading",
    "aimmo_gt._keywords",
    "aimmo_gt._ontology",
    "jsonschema",
    "referencing",
    "concurrent.futures",
    "importlib.metadata",
    "tomllib",
    "difflib",
    "pathlib",
    "hashlib",
    "threading",
)


def test_one_clean_file_is_checked_without_the_modules_it_does_not_need(tmp_path, image_bytes):
    (tmp_path / "a.json").write_bytes(image_bytes)
    code = (
        "import sys; from aimmo_gt._cli import main; code = main(['validate', sys.argv[1]]); "
        f"print(code, [m for m in {NOT_FOR_ONE_CLEAN_FILE!r} if m in sys.modules])"
    )
    # Run where no configuration file applies (tmp_path has none above it): one would be read.
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "a.json")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert out.stdout.splitlines()[-1] == "0 []"


def test_the_rule_table_is_built_when_first_read():
    code = (
        "import sys, aimmo_gt, aimmo_gt._rules as r; before = 'RULES' in vars(r); "
        "rules = aimmo_gt.RULES; "
        "print(before, 'aimmo_gt._ontology' in sys.modules, rules is r.RULES, len(rules) > 60, "
        "'ontology.class' in rules, 'geometry.bbox' in rules, aimmo_gt.Ontology.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True", "True", "True", "True", "aimmo_gt._ontology"]
