"""Exports in object storage (moto's S3 server, read with s3fs), gzipped files and archives named as
PATHs: reported as the same files on disk are, each problem of the storage a per-file diagnostic."""

from __future__ import annotations

import gzip
import importlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import make_export

#: Names that fsspec's `cat` would take for glob patterns, a space, non-ASCII: read as they are.
AWKWARD = ("[1].json", "frame *.json", "라벨 1.json")

_VALID = make_export.example_documents()
#: Files of the example export (written by make_export.write_examples).
EXAMPLES = len(_VALID) + len(make_export.example_broken(_VALID))


def _write(root: Path) -> Path:
    """An export with every kind of input breakage (the too-large one with --max-bytes 1M), files in
    nested folders with awkward names, gzipped files and a folder that --exclude skips."""
    make_export.write_examples(root)
    valid = (root / "images/daytime/image (28).json").read_bytes()
    for kind, (data, _rule) in make_export.input_breakages(valid).items():
        if kind != "unreadable":  # a dangling symbolic link: there is none in a bucket
            (root / "broken").mkdir(exist_ok=True)
            (root / "broken" / f"{kind}.json").write_bytes(data)
    for name in AWKWARD:
        (root / "images" / name).write_bytes(valid)
    (root / "gzipped").mkdir()
    (root / "gzipped" / "image.json.gz").write_bytes(gzip.compress(valid))
    (root / "gzipped" / "broken.json.gz").write_bytes(gzip.compress(b'{"annotations": [}'))
    (root / "gzipped" / "truncated.json.gz").write_bytes(gzip.compress(valid)[:40])
    (root / "gzipped" / "not-gzip.json.gz").write_bytes(valid)
    (root / "tmp").mkdir()
    (root / "tmp" / "scratch.json").write_bytes(b"not json")
    (root / "notes.txt").write_bytes(b"not a GT file: not walked")
    return root


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("storage") / "export")


@pytest.fixture(scope="module")
def archives(export, tmp_path_factory) -> dict[str, Path]:
    """The export as a .zip and a .tar.gz (its folder inside as `export/`)."""
    folder = tmp_path_factory.mktemp("archives")
    zipped = Path(shutil.make_archive(str(folder / "export"), "zip", export.parent, "export"))
    tarred = folder / "export.tar.gz"
    with tarfile.open(tarred, "w:gz") as archive:
        archive.add(export, arcname="export")
    return {"zip": zipped, "tar.gz": tarred}


@pytest.fixture(scope="module")
def bucket(s3, export, archives) -> str:
    """The export in the bucket, under export/, and the archives beside it."""
    url = s3.upload(export, "export")
    client = s3.client()
    for kind, path in archives.items():
        client.put_object(Bucket=s3.BUCKET, Key=f"archives/export.{kind}", Body=path.read_bytes())
    return url


def _report(cli, *args) -> tuple[int, dict]:
    run = cli("validate", "--format", "json", "--max-bytes", "1M", "--jobs", "1", *args)
    assert "Traceback" not in run.err
    return run.code, run.json()


def _renamed(report: dict, old: str, new: str) -> dict:
    """The report with every file named under `new` instead of `old`, in paths and in the messages
    that name another file (the whole-export rules name the reference file)."""
    for entry in report["files"]:
        assert entry["path"].startswith(old), entry["path"]
    return json.loads(json.dumps(report).replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1]))


#: Whole-export rules: their line and column come from reading the file again, which is done for a
#: local file only (an object in storage or an archive member is not fetched twice).
WHOLE_EXPORT = ("dataset.", "upload.")


def _unplaced(report: dict) -> dict:
    """The report of files on disk as it is of the same files elsewhere: whole-export diagnostics
    without line and column (each of them had one)."""
    for entry in report["files"] + report["export"]:
        for d in entry["diagnostics"]:
            if d["rule"].startswith(WHOLE_EXPORT):
                assert d["line"] is not None and d["column"] is not None, d
                d["line"] = d["column"] = None
    return report


def _unplaced_text(out: str) -> str:
    # FILE:LINE:COL: POINTER: RULE -> FILE: POINTER: RULE, for the whole-export rules.
    return re.sub(r"^(.*?):\d+:\d+(: /[^:\n]*: (?:dataset|upload)\.)", r"\1\2", out, flags=re.MULTILINE)


def _diagnostics(report: dict) -> dict[str, list[tuple[str, str]]]:
    return {
        entry["path"]: [(d["rule"], d["message"]) for d in entry["diagnostics"]] for entry in report["files"]
    }


def test_the_local_export_has_what_the_comparisons_need(cli, export):
    # Every comparison below rests on this report: the breakages, the gzip cases and the awkward
    # names are each where they should be.
    code, report = _report(cli, "--no-dataset", export)  # the copies are duplicates for dataset.*
    assert code == 1
    found = {
        Path(entry["path"]).relative_to(export).as_posix(): [d["rule"] for d in entry["diagnostics"]]
        for entry in report["files"]
    }
    assert found["broken/nan.json"] == ["json.non-finite"]
    assert found["broken/too-large.json"] == ["file.too-large"]
    assert found["gzipped/image.json.gz"] == []
    assert found["gzipped/broken.json.gz"] == ["json.parse"]
    assert found["gzipped/truncated.json.gz"] == ["file.unreadable"]
    assert found["gzipped/not-gzip.json.gz"] == ["file.unreadable"]
    assert all(found[f"images/{name}"] == [] for name in AWKWARD)
    assert "tmp/scratch.json" in found and "notes.txt" not in found
    assert len(found) == EXAMPLES + 11 + 3 + 4 + 1


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_folder_in_a_bucket_is_reported_as_the_same_folder_on_disk(cli, s3, export, bucket, fmt):
    local = cli("validate", "--format", fmt, "--max-bytes", "1M", export)
    remote = cli("validate", "--format", fmt, "--max-bytes", "1M", *s3.options(), bucket + "/")
    assert (remote.code, local.code) == (1, 1)
    # The same report, files named by their URL.
    if fmt == "json":
        assert remote.json() == _renamed(_unplaced(local.json()), str(export), bucket)
    else:
        assert "dataset." in local.out and _unplaced_text(local.out) != local.out
        assert remote.out == _unplaced_text(local.out).replace(str(export), bucket)


def test_single_objects_and_a_missing_one(cli, s3, bucket):
    image = f"{bucket}/images/daytime/image (28).json"
    missing = f"{bucket}/images/daytime/image (99).json"
    code, report = _report(cli, *s3.options(), image, missing, f"{bucket}/gzipped/broken.json.gz")
    assert code == 1
    assert _diagnostics(report) == {
        image: [],
        missing: [("file.unreadable", "cannot read: no such file or object")],
        f"{bucket}/gzipped/broken.json.gz": [
            ("json.parse", "expecting value (at line 1, column 18)"),
        ],
    }


def test_a_denied_bucket_and_an_unknown_bucket_are_per_path_diagnostics(cli, s3, bucket):
    denied, unknown = f"s3://{s3.DENIED}/export/", f"s3://{s3.BUCKET}-gone/export/"
    code, report = _report(cli, *s3.options(), denied, unknown, f"{bucket}/images/daytime/")
    assert code == 1
    found = _diagnostics(report)
    assert found[denied] == [("file.unreadable", "cannot read: access denied (Forbidden)")]
    assert found[unknown] == [
        ("file.unreadable", "cannot read: no such file or object (The specified bucket does not exist)")
    ]
    assert len(found) == 2 + 5  # and the readable folder is checked all the same


def test_a_denied_object_read_in_a_batch(s3, bucket):
    # The listing is allowed (a folder the user may list) but one object's read is denied: the
    # batch read reports it on that file only.
    from aimmo_gt._runner import Options, run
    from aimmo_gt._walk import Item

    options = Options(storage_options=tuple(s3.storage().items()))
    items = [
        Item("ok", url=f"s3://{s3.BUCKET}/export/images/daytime/image (28).json"),
        Item("denied", url=f"s3://{s3.DENIED}/export/a.json"),
    ]
    reports = list(run(items, options, max_bytes=1 << 20))
    assert [(r.path, [(d.rule, d.message) for d in r.diagnostics]) for r in reports] == [
        ("ok", []),
        ("denied", [("file.unreadable", "cannot read: access denied (Forbidden)")]),
    ]


def test_exclude_in_a_bucket_skips_what_it_skips_on_disk(cli, s3, export, bucket):
    excludes = ["--exclude", "tmp", "--exclude", "*/broken/*", "--exclude", "*.json.gz"]
    _, local = _report(cli, *excludes, export)
    _, remote = _report(cli, *excludes, *s3.options(), bucket)
    assert remote == _renamed(_unplaced(local), str(export), bucket)
    paths = [entry["path"] for entry in remote["files"]]
    assert not any("/tmp/" in p or "/broken/" in p or p.endswith(".gz") for p in paths)
    assert len(paths) == EXAMPLES + 3


def test_json_lines_in_a_bucket_plain_and_gzipped(cli, s3, tmp_path, image):
    lines = tmp_path / "lines"
    lines.mkdir()
    text = json.dumps(image) + "\n\n" + '{"annotations": [}\n' + json.dumps(image) + "\n"
    (lines / "a.jsonl").write_text(text, encoding="utf-8")
    (lines / "b.jsonl.gz").write_bytes(gzip.compress(text.encode()))
    (lines / "c.json").write_text("not walked with --jsonl", encoding="utf-8")
    url = s3.upload(lines, "lines")
    # The same document on every line: the cross-file rules would flag the copies (--no-dataset).
    _, local = _report(cli, "--jsonl", "--no-dataset", lines)
    _, remote = _report(cli, "--jsonl", "--no-dataset", *s3.options(), url)
    assert remote == _renamed(local, str(lines), url)
    assert [(e["path"], [d["rule"] for d in e["diagnostics"]]) for e in remote["files"]] == [
        (f"{url}/a.jsonl:1", []),
        (f"{url}/a.jsonl:3", ["json.parse"]),
        (f"{url}/a.jsonl:4", []),
        (f"{url}/b.jsonl.gz:1", []),
        (f"{url}/b.jsonl.gz:3", ["json.parse"]),
        (f"{url}/b.jsonl.gz:4", []),
    ]


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_an_archive_is_walked_like_the_folder_it_holds_locally_and_in_the_bucket(
    cli, s3, export, archives, bucket, kind
):
    _, folder = _report(cli, export)
    archive = archives[kind]
    _, local = _report(cli, archive)
    assert local == _renamed(_unplaced(folder), str(export), f"{archive}!/export")
    remote_url = f"s3://{s3.BUCKET}/archives/export.{kind}"
    _, remote = _report(cli, *s3.options(), remote_url)
    assert remote == _renamed(local, str(archive), remote_url)


def test_exclude_inside_an_archive(cli, archives):
    archive = archives["zip"]
    _, report = _report(cli, "--exclude", "broken", "--exclude", "*.gz", archive)
    paths = [entry["path"] for entry in report["files"]]
    assert len(paths) == EXAMPLES + 3 + 1
    assert paths[0] == f"{archive}!/export/images/[1].json"
    assert not any("/broken/" in p or p.endswith(".gz") for p in paths)


def test_a_corrupt_archive_and_a_corrupt_member_are_per_file_diagnostics(cli, tmp_path, image_bytes):
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 and then nothing of a zip")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(gzip.compress(b"x" * 2000)[:30])
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.json", image_bytes)
        archive.writestr("b.json", image_bytes)
    data = damaged.read_bytes()
    # Flip a byte inside b.json's stored data: its CRC no longer matches.
    at = data.rindex(b'"annotations"')
    damaged.write_bytes(data[:at] + b"X" + data[at + 1 :])
    code, report = _report(cli, fake, truncated, damaged)
    assert code == 1
    found = _diagnostics(report)
    assert found[str(fake)] == [
        ("file.unreadable", "cannot read: not a valid zip archive (File is not a zip file)")
    ]
    [(rule, message)] = found[str(truncated)]
    assert rule == "file.unreadable" and message.startswith("cannot read: not a valid tar archive (")
    assert found[f"{damaged}!/a.json"] == []
    assert found[f"{damaged}!/b.json"] == [
        (
            "file.unreadable",
            "cannot read: a corrupt archive member (BadZipFile: Bad CRC-32 for file 'b.json')",
        )
    ]


def test_a_gzip_bomb_is_too_large_not_read_whole(cli, tmp_path):
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b" " * (8 << 20)))  # 8 MiB of spaces in 8 KiB
    code, report = _report(cli, bomb)
    assert code == 1
    assert _diagnostics(report) == {
        str(bomb): [("file.too-large", "more than --max-bytes 1048576 bytes; not read")]
    }


def test_a_connection_dropped_after_the_listing_is_a_diagnostic_on_each_file(s3, export):
    # A second server, stopped between listing and reading: every read fails with the storage's
    # reason, and nothing raises.
    import boto3
    from moto.server import ThreadedMotoServer

    from aimmo_gt._runner import Options, run
    from aimmo_gt._walk import Walker

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=s3.key,
        aws_secret_access_key=s3.secret,
    )
    client.create_bucket(Bucket="aimmo-export-dropped")
    for name in ("a.json", "b.json"):
        client.put_object(Bucket="aimmo-export-dropped", Key=f"e/{name}", Body=b"{}")
    # One attempt, not botocore's retries with back-off: the test stays short.
    storage = s3.storage(endpoint_url=endpoint, config_kwargs={"retries": {"max_attempts": 1}})
    items = list(Walker(max_bytes=1 << 20, storage_options=storage).items(["s3://aimmo-export-dropped/e"]))
    server.stop()
    reports = list(run(items, Options(storage_options=tuple(storage.items())), max_bytes=1 << 20))
    assert [r.path for r in reports] == [
        "s3://aimmo-export-dropped/e/a.json",
        "s3://aimmo-export-dropped/e/b.json",
    ]
    for report in reports:
        [diagnostic] = report.diagnostics
        assert diagnostic.rule == "file.unreadable"
        assert diagnostic.message.startswith("cannot read: EndpointConnectionError: Could not connect")


def test_an_unreachable_endpoint_is_a_diagnostic_on_the_path(cli, s3):
    options = s3.options(endpoint_url="http://127.0.0.1:9", config_kwargs={"retries": {"max_attempts": 1}})
    code, report = _report(cli, *options, f"s3://{s3.BUCKET}/export/")
    assert code == 1
    [(rule, message)] = _diagnostics(report)[f"s3://{s3.BUCKET}/export/"]
    assert rule == "file.unreadable"
    assert message.startswith("cannot read: EndpointConnectionError: Could not connect to the endpoint URL")


@pytest.mark.parametrize(
    ("url", "package", "extra"), [("s3://b/e/", "s3fs", "s3"), ("gs://b/e/", "gcsfs", "gcs")]
)
def test_a_url_whose_driver_is_missing_is_a_usage_error_naming_the_extra(
    cli, monkeypatch, url, package, extra
):
    registry = importlib.import_module("fsspec.registry")
    monkeypatch.setitem(sys.modules, package, None)  # `import s3fs` now fails, as when not installed
    # and fsspec forgets the class it may have imported earlier in the session
    monkeypatch.delitem(registry._registry, url[:2], raising=False)
    run = cli("validate", url)
    assert run.code == 2
    assert f"needs {package}, which is not installed: pip install 'aimmo-gt[{extra}]'" in run.err
    assert run.out == ""


def test_an_unknown_protocol_and_a_malformed_storage_option_are_usage_errors(cli):
    run = cli("validate", "nosuch://bucket/export/")
    assert run.code == 2 and "'nosuch' is not a protocol fsspec knows" in run.err
    run = cli("validate", "--storage-option", "anon", "s3://b/e/")
    assert run.code == 2 and "'anon' is not KEY=VALUE" in run.err


def test_a_local_run_imports_neither_fsspec_nor_dask(tmp_path, image_bytes):
    (tmp_path / "a.json").write_bytes(image_bytes)
    code = (
        "import sys; from aimmo_gt._cli import main; main(['validate', '-q', sys.argv[1]]); "
        "print(sorted(m for m in ('fsspec', 'dask', 'distributed', 'gzip') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
