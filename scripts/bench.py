"""Benchmark: validating an export against the cost of merely parsing it; every figure a ratio from one run.

    python scripts/bench.py                 # a synthetic export of 2,000 files (seeded), 5 repetitions
    python scripts/bench.py --files 500 --reps 3
    python scripts/bench.py --input DIR     # the *.json files under DIR instead
    python scripts/bench.py --dask          # --jobs 1, --jobs 2, --dask local (2 workers) and --dask
                                            # on a running 2-worker cluster, on 20,000 generated files
                                            # (make_export; or --files N), 3 repetitions

Measures, each as the median of the repetitions, and prints each as a ratio to (a):
  (a)  read + orjson parse of every file, nothing else: the floor any consumer pays
  (b)  read + parse + our library with every rule on, in one process (the CLI's per-file path),
       with the default engine; also the reference engine alone, on a sample; and (b+o) the same
       with a project's ontology (drafted from the export by `aimmo-gt ontology infer`), as a ratio
       to (b) too
  (c)  `aimmo-gt validate DIR` end to end, --jobs 1 and --jobs 2
  (d)  check-jsonschema with our bundled schema (structure only), on a sample, per file
  and a single small file through the CLI against `python -c "import json"` plus reading it.
Peak memory is the largest resident set of the measured process (or of its pool workers).
Needs the `bench` extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

#: Runs a command and prints its wall time and the peak RSS (KiB) of the largest process it waited
#: for (RUSAGE_CHILDREN covers the command and the pool workers it started).
_WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, code)
"""


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.json") if p.is_file())


# --- Measurements run in a child process (`--measure NAME`), so that each one has its own peak RSS.


def _floor(paths: list[str]) -> int:
    """Read and parse every file; the number that are not JSON (a real folder may hold some)."""
    import orjson

    broken = 0
    for path in paths:
        with open(path, "rb") as handle:
            try:
                orjson.loads(handle.read())
            except orjson.JSONDecodeError:
                broken += 1
    return broken


def _library(paths: list[str], engine: str, ontology=None, ignore: tuple[str, ...] = ()) -> None:
    from aimmo_gt._check import Options, check_item
    from aimmo_gt._walk import Item

    # The synthetic export mixes classified texts with unclassified files, so the ontology drafted
    # from it has a classification, and every other file would get ontology.label-missing (a warning).
    if ontology:
        ignore = (*ignore, "ontology.label-missing")
    options = Options(engine=engine, ontology=ontology, ignore=ignore)
    for path in paths:
        check_item(Item(path, path=path, file=path), options, 1 << 30)


def _api(paths: list[str]) -> None:
    import orjson

    import aimmo_gt

    for path in paths:
        with open(path, "rb") as handle:
            try:
                document = orjson.loads(handle.read())
            except orjson.JSONDecodeError:
                continue  # the API takes parsed documents
        aimmo_gt.check(document)


def _warm_up() -> None:
    """Imports, compiled types and the reference engine's registry are set up once per process:
    not part of the per-file cost (the end-to-end runs (c) do include them)."""
    import orjson  # noqa: F401

    import aimmo_gt

    aimmo_gt.check({"annotations": [], "attributes": {}, "filename": "", "parent_path": "", "metadata": {}})
    aimmo_gt.check({"annotations": [], "attributes": {}, "filename": "x", "parent_path": "/", "metadata": {}})


def _measure(name: str, listing: str) -> float:
    paths = Path(listing).read_text(encoding="utf-8").split("\n")
    _warm_up()
    if name == "library-ontology":
        from aimmo_gt import Ontology

        # Loaded (and checked against its schema) once, as the CLI does, outside the timing.
        ontology = Ontology.load(Path(listing).with_name("ontology.json"))
        _library(paths[:1], "auto", ontology)
        start = time.perf_counter()
        _library(paths, "auto", ontology)
    elif name.startswith("library-"):
        # library-ENGINE, or library-ENGINE-ignore-RULE,RULE...
        engine, _, ignored = name.removeprefix("library-").partition("-ignore-")
        ignore = tuple(ignored.split(",")) if ignored else ()
        _library(paths[:1], engine, ignore=ignore)
        start = time.perf_counter()
        _library(paths, engine, ignore=ignore)
    else:
        run = {"floor": _floor, "api": _api}[name]
        start = time.perf_counter()
        run(paths)
    return time.perf_counter() - start


#: CPU seconds of the last command run by _child (its process and the workers it waited for).
_cpu: list[float] = [0.0]


def _child(args: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS KiB) of a command, through the wrapper."""
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True, check=True)
    elapsed, rss, cpu, _code = out.stdout.split()
    _cpu[0] = float(cpu)
    return float(elapsed), int(rss)


def _in_child(name: str, listing: Path) -> tuple[float, int]:
    """(seconds measured inside a child process, without its start-up; its peak RSS KiB)."""
    _elapsed, rss = _child([sys.executable, __file__, "--measure", name, str(listing)])
    return float(Path(f"{listing}.{name}.time").read_text(encoding="utf-8")), rss


def _burn(count: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(count):
        total += i
    return time.perf_counter() - start


def parallel_capacity() -> float:
    """How much faster two CPU-bound processes finish than one, on this machine now: 2.0 on two
    idle cores, less when other work holds a core (the ceiling of any --jobs 2 speed-up)."""
    from concurrent.futures import ProcessPoolExecutor

    count = 5_000_000
    one = _burn(count)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_burn, [1000, 1000]))  # workers started before timing
        start = time.perf_counter()
        list(pool.map(_burn, [count, count]))
        two = time.perf_counter() - start
    return 2 * one / two


def _median(values: list[float]) -> float:
    return statistics.median(values)


class Table:
    def __init__(self, floor: float, header: bool = True):
        self.floor = floor
        if header:
            print(f"{'measurement':<58} {'seconds':>9} {'x floor':>8} {'peak RSS':>10}")

    def row(self, name: str, seconds: float, rss_kib: int | None, note: str = "") -> None:
        rss = f"{rss_kib / 1024:.0f} MiB" if rss_kib else ""
        print(f"{name:<58} {seconds:>9.3f} {seconds / self.floor:>7.2f}x {rss:>10}  {note}")


def _write_export(folder: Path, count: int, annotations: int, seed: int) -> None:
    import synthetic

    for name, document in synthetic.export(seed, count, annotations):
        _write(folder / name, document)


def _write(path: Path, document: dict) -> None:
    # Exports are written with json's default separators (", ", ": "), UTF-8 text kept as is.
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _write_failing(folder: Path, count: int, annotations: int, seed: int, kinds=None) -> None:
    """An export in which every file has one fault (of a kind of scripts/synthetic.py's FAULTS)."""
    import synthetic

    for name, document, _put in synthetic.failing_export(
        seed, count, annotations, kinds or tuple(synthetic.FAULTS)
    ):
        _write(folder / name, document)


def _write_large(folder: Path, annotations: int, faults: int, seed: int) -> None:
    """One image document of `annotations` annotations with `faults` faults spread through it."""
    import random

    import synthetic

    rng = random.Random(seed)
    document = synthetic.document(rng, "image", annotations)
    synthetic.break_document(rng, document, tuple(synthetic.FAULTS), faults)
    _write(folder / "large.json", document)


#: The every-file-fails exports measured with the fault's rule ignored: (fault kind, the rule).
IGNORED = (("unknown-property", "schema.unknown-property"), ("empty-label", "schema.minLength"))


def _bundle(tmp: Path) -> Path:
    """Our bundled schema (schemas/v1/document.bundle.json), or one made here the same way when the
    checkout has none: every resource embedded by $id, the root a $ref to document.json."""
    shipped = REPO / "schemas" / "v1" / "document.bundle.json"
    if shipped.is_file():
        return shipped
    from aimmo_gt._schemas import BASE_URI, schema_files

    resources = {uri: json.loads(path.read_text(encoding="utf-8")) for uri, path in schema_files().items()}
    bundle = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_URI}v1/document.bundle.json",
        "$ref": f"{BASE_URI}v1/document.json",
        "$defs": resources,
    }
    path = tmp / "document.bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _listing(tmp: Path, name: str, folder: Path) -> Path:
    listing = tmp / f"{name}.txt"
    listing.write_text("\n".join(map(str, _files(folder))), encoding="utf-8")
    return listing


def _library_against_floor(listing: Path, median_of, measure: str = "library-auto") -> float:
    """Rows (a) and (b) for the files of a listing; (b) / (a)."""
    floor, rss = median_of(lambda: _in_child("floor", listing))
    rows = Table(floor, header=False)
    rows.row("(a) read + orjson.loads, every file (the floor)", floor, rss)
    seconds, rss = median_of(lambda: _in_child(measure, listing))
    rows.row("(b) read + parse + check, every rule, default engine", seconds, rss)
    return seconds / floor


def _measure_failing(args, tmp: Path, cli: str, quiet: list[str], median_of) -> dict:
    """The every-file-fails exports and the large document, each against its own parse floor; the
    ratios, for the targets."""
    found: dict = {"ignored": {}}
    folder = tmp / "failing"
    folder.mkdir()
    _write_failing(folder, args.files, args.annotations, args.seed + 1)
    listing = _listing(tmp, "failing", folder)
    _floor([str(p) for p in _files(folder)])
    print(
        f"\nevery file fails: {args.files} files, one fault each, "
        f"of {len(_kinds())} kinds (scripts/synthetic.py FAULTS)"
    )
    found["library"] = _library_against_floor(listing, median_of)
    floor = _median([_in_child("floor", listing)[0] for _ in range(args.reps)])
    seconds, rss = median_of(lambda: _child([cli, "validate", str(folder), "--jobs", "1", *quiet]))
    Table(floor, header=False).row("(c) aimmo-gt validate DIR --jobs 1", seconds, rss)
    found["cli"] = seconds / floor
    for kind, rule in IGNORED:
        each = tmp / f"failing-{kind}"
        each.mkdir()
        _write_failing(each, args.files, args.annotations, args.seed + 2, (kind,))
        print(f"\nevery file has one fault: {kind}; --ignore {rule}")
        found["ignored"][rule] = _library_against_floor(
            _listing(tmp, f"failing-{kind}", each), median_of, f"library-auto-ignore-{rule}"
        )
    large = tmp / "large"
    large.mkdir()
    _write_large(large, 10_000, 100, args.seed + 3)
    size = (large / "large.json").stat().st_size
    print(f"\none document of 10,000 annotations ({size / 2**20:.1f} MiB) with 100 faults spread through it")
    found["large"] = _library_against_floor(_listing(tmp, "large", large), median_of)
    print()
    return found


def _kinds() -> tuple[str, ...]:
    import synthetic

    return tuple(synthetic.FAULTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--input", type=Path, help="a folder of real *.json files (default: a synthetic export)"
    )
    parser.add_argument("--files", type=int, default=2000, help="files in the synthetic export (2000)")
    parser.add_argument("--annotations", type=int, default=100, help="annotations per file, on average (100)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic export (7)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions; the median is reported (5)")
    parser.add_argument(
        "--sample",
        type=int,
        default=100,
        help="files for the slow tools, the reference engine and "
        "check-jsonschema, reported per file and scaled to the whole export (100)",
    )
    parser.add_argument(
        "--dask",
        action="store_true",
        help="instead: the 20,000-file generated export (or --files N, or --input DIR) with --jobs 1, "
        "--jobs 2, --dask local with 2 workers and --dask on a running 2-worker cluster, as ratios "
        "(needs the dask extra)",
    )
    parser.add_argument("--measure", nargs=2, metavar=("NAME", "LISTING"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        name, listing = args.measure
        seconds = _measure(name, listing)
        Path(f"{listing}.{name}.time").write_text(repr(seconds), encoding="utf-8")
        return 0

    cli = shutil.which("aimmo-gt", path=str(Path(sys.executable).parent)) or shutil.which("aimmo-gt")
    cjs = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which(
        "check-jsonschema"
    )
    if not cli:
        parser.error("aimmo-gt is not installed in this environment (pip install -e '.[bench]')")
    if args.dask:
        return dask_bench(args, cli)
    # An installed wheel has its bytecode compiled; a source checkout under PYTHONDONTWRITEBYTECODE
    # would compile every module at every start-up, and the start-up figures would say so.
    import aimmo_gt

    package = str(Path(aimmo_gt.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    with tempfile.TemporaryDirectory(prefix="aimmo-gt-bench-") as temp:
        tmp = Path(temp)
        if args.input:
            folder = args.input
            paths = _files(folder)
            source = f"{len(paths)} files under {folder}"
        else:
            folder = tmp / "export"
            folder.mkdir()
            _write_export(folder, args.files, args.annotations, args.seed)
            paths = _files(folder)
            source = (
                f"synthetic export: {len(paths)} files, ~{args.annotations} annotations each, "
                f"seed {args.seed}"
            )
        if not paths:
            parser.error(f"no *.json file under {folder}")
        size = sum(p.stat().st_size for p in paths)
        listing = tmp / "paths.txt"
        listing.write_text("\n".join(map(str, paths)), encoding="utf-8")
        sample = paths[:: max(1, len(paths) // args.sample)][: args.sample]
        sample_listing = tmp / "sample.txt"
        sample_listing.write_text("\n".join(map(str, sample)), encoding="utf-8")
        print(f"{source}, {size / len(paths) / 1024:.1f} KiB per file, {size / 2**20:.1f} MiB in all")
        print(
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, median of {args.reps} repetitions, "
            f"load average {os.getloadavg()[0]:.2f} before"
        )
        print("(a) and (b) are timed inside their process, without start-up; (c) and (d) from outside\n")
        broken = _floor([str(p) for p in paths])  # the page cache holds every file from here on
        if broken:
            print(f"{broken} of the files are not JSON (orjson); they are measured all the same\n")

        def median_of(measure) -> tuple[float, int]:
            runs = [measure() for _ in range(args.reps)]
            return _median([r[0] for r in runs]), max(r[1] for r in runs)

        floor, floor_rss = median_of(lambda: _in_child("floor", listing))
        table = Table(floor)
        table.row("(a) read + orjson.loads, every file (the floor)", floor, floor_rss)
        library, library_rss = median_of(lambda: _in_child("library-auto", listing))
        table.row("(b) read + parse + check, every rule, default engine", library, library_rss)
        # The project's ontology: drafted from the export itself, so every file passes it and the
        # run measures the cost of checking, not of reporting.
        subprocess.run(
            [cli, "ontology", "infer", str(folder), "-o", str(listing.with_name("ontology.json"))],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        with_ontology, ontology_rss = median_of(lambda: _in_child("library-ontology", listing))
        table.row(
            "(b+o) as (b), with the project's ontology",
            with_ontology,
            ontology_rss,
            f"{with_ontology / library:.2f}x (b)",
        )
        api, api_rss = median_of(lambda: _in_child("api", listing))
        table.row("(b') read + orjson + aimmo_gt.check(document) (API)", api, api_rss)
        reference, reference_rss = _in_child("library-reference", sample_listing)
        scaled = reference / len(sample) * len(paths)
        table.row(f"(b'') as (b), reference engine ({len(sample)} files, scaled)", scaled, reference_rss)

        quiet = ["--quiet", "--format", "text"]
        failing = {}
        if not args.input:
            failing = _measure_failing(args, tmp, cli, quiet, median_of)
        for jobs in ("1", "2"):
            cpu = []

            def cli_run(jobs=jobs, cpu=cpu):
                result = _child([cli, "validate", str(folder), "--jobs", jobs, *quiet])
                cpu.append(_cpu[0])
                return result

            seconds, rss = median_of(cli_run)
            # CPU seconds over wall seconds: how many cores the run had; under 2 with --jobs 2 means
            # other processes held a core.
            table.row(
                f"(c) aimmo-gt validate DIR --jobs {jobs}",
                seconds,
                rss,
                f"CPU {_median(cpu):.2f} s, {_median(cpu) / seconds:.2f} cores busy",
            )
            if jobs == "1":
                jobs1 = seconds
            else:
                jobs2 = seconds
        compared = None
        if cjs:
            bundle = _bundle(tmp)
            seconds, rss = _child([cjs, "--schemafile", str(bundle), *map(str, sample)])
            compared = seconds / len(sample) * len(paths)
            table.row(f"(d) check-jsonschema, bundled schema ({len(sample)} files, scaled)", compared, rss)
        else:
            print("(d) check-jsonschema is not installed: pip install -e '.[bench]'")

        small = REPO / "tests" / "fixtures" / "valid" / "vendor-bbox.json"
        if not small.is_file():
            small = sample[0]
        python = _median(
            [
                _child([sys.executable, "-c", f"import json; open({str(small)!r}, 'rb').read()"])[0]
                for _ in range(max(5, args.reps))
            ]
        )
        one = _median([_child([cli, "validate", str(small), *quiet])[0] for _ in range(max(5, args.reps))])

        capacity = _median([parallel_capacity() for _ in range(3)])
        print(
            f"\nload average {os.getloadavg()[0]:.2f} after; two CPU-bound processes ran {capacity:.2f}x "
            "faster than one on this machine just now (the ceiling of a --jobs 2 speed-up)"
        )
        print("targets:")
        checks = [
            ("(b) <= 1.5x the floor", library / floor, library / floor <= 1.5),
            (
                "(b+o) with an ontology <= 1.15x (b) without",
                with_ontology / library,
                with_ontology / library <= 1.15,
            ),
            ("(c) --jobs 1 <= 2x the floor", jobs1 / floor, jobs1 / floor <= 2),
            ("(c) --jobs 2 >= 1.6x faster than --jobs 1", jobs1 / jobs2, jobs1 / jobs2 >= 1.6),
        ]
        if compared:
            checks.append(("(c) --jobs 1 >= 10x faster than (d)", compared / jobs1, compared / jobs1 >= 10))
        checks.append(
            (
                f"one small file: CLI {one * 1000:.0f} ms <= 3x python -c 'import json' + read "
                f"{python * 1000:.0f} ms",
                one / python,
                one / python <= 3,
            )
        )
        if failing:
            checks += [
                ("every file fails, (b) <= 3x its floor", failing["library"], failing["library"] <= 3),
                ("every file fails, (c) --jobs 1 <= 3x its floor", failing["cli"], failing["cli"] <= 3),
                (
                    "one 10,000-annotation document, 100 faults, <= 5x its floor",
                    failing["large"],
                    failing["large"] <= 5,
                ),
            ]
            checks += [
                (
                    f"every file fails, {rule} ignored: (b) ~ clean (b) {library / floor:.2f}x",
                    ratio,
                    ratio <= library / floor * 1.25,
                )
                for rule, ratio in failing["ignored"].items()
            ]
        for name, ratio, met in checks:
            print(f"  {'met ' if met else 'MISSED'}  {name:<72} {ratio:6.2f}")
        return 0


def dask_bench(args: argparse.Namespace, cli: str) -> int:
    """--jobs 1, --jobs 2 and --dask local (2 workers, its start-up and shut-down included: what a user
    waits for), and --dask on a 2-worker cluster already running, on one export (20,000 files, or
    --files), each the median of the repetitions, as ratios. The three take turns
    (one of each, then again), so that load that comes and goes on a shared machine falls on all three."""
    import aimmo_gt
    import make_export

    # As in main(): an installed wheel has its bytecode compiled; here every worker process would
    # compile the package again at each start-up.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(aimmo_gt.__file__).parent)], check=True
    )
    reps = args.reps if "--reps" in sys.argv else 3
    with tempfile.TemporaryDirectory(prefix="aimmo-gt-bench-dask-") as temp:
        if args.input:
            folder = args.input
        else:
            folder = Path(temp) / "export"
            files = args.files if "--files" in sys.argv else 20_000
            make_export.write_generated(folder, files, broken_every=100)
        paths = _files(folder)
        size = sum(p.stat().st_size for p in paths)
        # What the validator checks: the regular files, and the entries that only look like them
        # (the generated export has dangling links among its broken files).
        entries = sum(1 for _ in folder.rglob("*.json"))
        if args.input:
            print(f"{entries:,} files under {folder}, {size / 2**20:.1f} MiB")
        else:
            print(
                f"generated export (scripts/make_export.py): {entries:,} files, 1% broken, "
                f"{size / len(paths) / 1024:.1f} KiB per regular file, {size / 2**20:.1f} MiB in all"
            )
        print(
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, median of {reps} repetitions taken "
            f"in turns, load average {os.getloadavg()[0]:.2f} before"
        )
        for path in paths:
            path.read_bytes()  # the page cache holds every file from here on
        quiet = ["--quiet", "--format", "text"]
        from aimmo_gt import _dask

        # A cluster already running, as a real one would be: what --dask costs once started (the
        # CLI still imports Dask and connects). Started as --dask local starts its own.
        running = contextlib.ExitStack()
        client = running.enter_context(_dask.connect("local", 2))
        address = client.scheduler_info()["address"]
        runs = {
            "--jobs 1": ["--jobs", "1"],
            "--jobs 2": ["--jobs", "2"],
            "--dask local (2 workers)": ["--jobs", "2", "--dask", "local"],
            "--dask ADDRESS (running, 2 workers)": ["--dask", address],
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        with running:
            for _ in range(reps):
                for name, options in runs.items():
                    times[name].append(_child([cli, "validate", str(folder), *options, *quiet])[0])
        seconds = {name: _median(values) for name, values in times.items()}
        for name, value in seconds.items():
            spread = ", ".join(f"{t:.2f}" for t in times[name])
            print(f"  aimmo-gt validate DIR {name:<36} {value:8.2f} s   ({spread})")
        capacity = _median([parallel_capacity() for _ in range(3)])
        print(
            f"load average {os.getloadavg()[0]:.2f} after; two CPU-bound processes ran {capacity:.2f}x "
            "faster than one on this machine just now (the ceiling of a 2-worker speed-up)"
        )
        jobs1, jobs2, dask = seconds["--jobs 1"], seconds["--jobs 2"], seconds["--dask local (2 workers)"]
        running_name = "--dask ADDRESS (running, 2 workers)"
        checks = [
            ("--jobs 2 is faster than --jobs 1 by", jobs1 / jobs2, None),
            (
                "--dask local (2 workers) is faster than --jobs 1 by (target >= 1.6)",
                jobs1 / dask,
                jobs1 / dask >= 1.6,
            ),
            ("--dask local (2 workers) over --jobs 2 (target <= 1.15)", dask / jobs2, dask / jobs2 <= 1.15),
            ("--dask ADDRESS (a running cluster) over --jobs 2", seconds[running_name] / jobs2, None),
        ]
        for name, ratio, met in checks:
            mark = "      " if met is None else "met   " if met else "MISSED"
            print(f"  {mark}  {name:<72} {ratio:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
