"""Paths: files, sorted recursive directories, symbolic link loops, --exclude, --jsonl and stdin."""

from __future__ import annotations

import json
import os


def _names(run, root) -> list[str]:
    return [os.path.relpath(entry["path"], root) for entry in run.json()["files"]]


def test_directories_are_walked_recursively_in_sorted_order(cli, tmp_path, image_bytes):
    for relative in ["b/2.json", "b/10.json", "a.json", "c/d/e.json", "c/notes.txt", "c/x.jsonl", "B.json"]:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(image_bytes)
    run = cli("validate", "--no-dataset", "--format", "json", tmp_path)
    assert run.code == 0
    assert _names(run, tmp_path) == ["B.json", "a.json", "b/10.json", "b/2.json", "c/d/e.json"]


def test_a_named_file_is_read_whatever_its_name(cli, tmp_path, image_bytes):
    path = tmp_path / "frame.gt"
    path.write_bytes(image_bytes)
    assert cli("validate", path).code == 0


def test_symlink_loops_are_reported_once_and_not_followed(cli, tmp_path, image_bytes):
    root = tmp_path / "export"
    (root / "scene").mkdir(parents=True)
    (root / "scene" / "f.json").write_bytes(image_bytes)
    os.symlink("..", root / "scene" / "up")  # scene/up -> export: a loop
    os.symlink(".", root / "scene" / "self")  # scene/self -> scene: a loop
    (root / "other").mkdir()
    os.symlink("../scene", root / "other" / "alias")  # not a loop: followed
    run = cli("validate", "--no-dataset", "--format", "json", root)
    assert run.code == 1
    files = {os.path.relpath(path, root): entry for path, entry in run.by_path().items()}
    assert sorted(files) == [
        "other/alias/f.json",
        "other/alias/self",
        "other/alias/up",
        "scene/f.json",
        "scene/self",
        "scene/up",
    ]
    for loop in ("scene/self", "scene/up"):
        [diagnostic] = files[loop]["diagnostics"]
        assert diagnostic["rule"] == "file.unreadable" and "symbolic link loop" in diagnostic["message"]
    assert files["scene/f.json"]["valid"] and files["other/alias/f.json"]["valid"]


def test_exclude_matches_names_and_paths_and_prunes_directories(cli, tmp_path, image_bytes):
    for relative in ["keep/a.json", "keep/a.bak.json", "tmp/b.json", "deep/tmp/c.json", "deep/d.json"]:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(image_bytes)
    run = cli("validate", "--format", "json", "--exclude", "*.bak.json", "--exclude", "tmp", tmp_path)
    assert _names(run, tmp_path) == ["deep/d.json", "keep/a.json"]
    run = cli("validate", "--format", "json", "--exclude", "*/deep/*", tmp_path)
    assert _names(run, tmp_path) == ["keep/a.bak.json", "keep/a.json", "tmp/b.json"]


def test_jsonl_documents_are_reported_as_path_and_line(cli, tmp_path, image, image_bytes):
    compact = json.dumps(image).encode()
    bad_box = json.dumps({**image, "annotations": [{**image["annotations"][0], "label": ""}]}).encode()
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join([compact, b"", bad_box, b"{nope", b"   ", compact + b"\r"]) + b"\n")
    run = cli("validate", "--no-dataset", "--jsonl", "--format", "json", path)
    assert run.code == 1
    files = run.json()["files"]
    assert [entry["path"] for entry in files] == [f"{path}:1", f"{path}:3", f"{path}:4", f"{path}:6"]
    assert [[(d["rule"], d["pointer"]) for d in entry["diagnostics"]] for entry in files] == [
        [],
        [("schema.minLength", "/annotations/0/label")],
        [("json.parse", "")],
        [],
    ]


def test_jsonl_directories_long_lines_and_empty_files(cli, tmp_path, image):
    compact = json.dumps(image).encode()
    (tmp_path / "a.jsonl").write_bytes(compact + b"\n" + b"[" + b" " * 5000 + b"]\n" + compact)
    (tmp_path / "b.jsonl").write_bytes(b"\n\n")
    (tmp_path / "c.json").write_bytes(b"ignored with --jsonl")
    run = cli(
        "validate",
        "--no-dataset",
        "--jsonl",
        "--format",
        "json",
        "--max-bytes",
        str(len(compact) + 1),
        tmp_path,
    )
    results = {
        os.path.relpath(p, tmp_path): [d["rule"] for d in e["diagnostics"]] for p, e in run.by_path().items()
    }
    assert results == {
        "a.jsonl:1": [],
        "a.jsonl:2": ["file.too-large"],
        "a.jsonl:3": [],
        "b.jsonl": ["json.empty"],
    }


def test_stdin(cli, image_bytes, image):
    assert cli("validate", "-", stdin=image_bytes).code == 0
    run = cli("validate", "--format", "json", "-", stdin=b"{")
    assert run.code == 1 and run.json()["files"][0]["path"] == "-"
    lines = json.dumps(image).encode() + b"\n" + b"[]\n"
    run = cli("validate", "--jsonl", "--format", "json", "-", stdin=lines)
    assert [(e["path"], [d["rule"] for d in e["diagnostics"]]) for e in run.json()["files"]] == [
        ("-:1", []),
        ("-:2", ["json.root-type"]),
    ]


def test_nothing_to_check_is_a_usage_error_that_says_so(cli, tmp_path, image_bytes):
    run = cli("validate", tmp_path)
    assert run.code == 2
    assert "error: no *.json file to check in the given paths" in run.err
    (tmp_path / "a.json").write_bytes(image_bytes)
    run = cli("validate", "--exclude", "a.json", tmp_path)  # everything excluded: nothing checked
    assert run.code == 2 and "no *.json file to check" in run.err
    run = cli("validate", "--jsonl", tmp_path)
    assert run.code == 2 and "no *.jsonl file to check" in run.err


def test_the_report_written_inside_the_export_is_not_walked(cli, tmp_path, image_bytes):
    (tmp_path / "a.json").write_bytes(image_bytes)
    report = tmp_path / "report.json"
    run = cli("validate", "--format", "json", "--output", report, tmp_path)
    assert run.code == 0
    assert [entry["path"] for entry in __import__("json").loads(report.read_text())["files"]] == [
        str(tmp_path / "a.json")
    ]


def test_regular_files_in_a_directory_are_found_without_a_stat_each(tmp_path, monkeypatch):
    # One stat per file was a tenth of the time of a clean run in the process that hands out the
    # work: the directory's entries say which names are regular files.
    import aimmo_gt._walk as walk

    for number in range(50):
        (tmp_path / "d" / f"{number:02}").mkdir(parents=True, exist_ok=True)
        (tmp_path / "d" / f"{number:02}" / "a.json").write_bytes(b"{}")
        (tmp_path / f"{number:02}.json").write_bytes(b"{}")
    stats = []
    real = os.stat
    monkeypatch.setattr(walk.os, "stat", lambda *args, **kwargs: stats.append(args) or real(*args, **kwargs))

    items = list(walk.Walker(max_bytes=1 << 20).items([str(tmp_path)]))

    assert len(items) == 100
    assert [item.display for item in items[:2]] == [str(tmp_path / "00.json"), str(tmp_path / "01.json")]
    assert len(stats) == 2 + 51  # the root (is it a directory? then its inode) and each directory below
