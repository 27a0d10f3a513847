"""Peak memory of `aimmo-gt validate` on 20,000 and 200,000 generated files (1% broken), in one run.

    python scripts/bench_memory.py [--small 20000] [--large 200000] [--jobs 1 2] [--no-resources]

For each size it writes an export (scripts/make_export.py: copies of the example's documents, each
with a file id, folder and scene of its own, and every input breakage in turn, 1% of the files) and
a resource folder with a file for each document that parses, runs the command in a fresh process with
every rule on (the whole-export rules, which keep a few facts of every file, and the upload's folder
rule, `--resources`), checks that exactly the broken files are reported, with the right rule ids and
nothing else (no whole-export diagnostic: the export is clean as a whole), that it exits 1, and reads
the peak resident memory of the command's largest process (getrusage of the children). It prints the
figures, the large/small ratios and the peak at the large size against the 150 MiB target; it asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_export

# Runs the command in its own process and prints the peak RSS of its descendants (kB on Linux).
_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


#: Peak memory that a run over the large export must stay under (issue 13).
TARGET_MIB = 150


def measure(root: Path, jobs: int, report: Path, resources: Path | None) -> tuple[int, int, float]:
    command = [
        sys.executable,
        "-m",
        "aimmo_gt",
        "validate",
        "--format",
        "json",
        "--max-bytes",
        "1M",
        "--jobs",
        str(jobs),
        "--output",
        str(report),
        *(["--resources", str(resources)] if resources else []),
        str(root),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    code, peak_kib = map(int, done.stdout.split())
    return code, peak_kib, elapsed


def check_report(report: Path, root: Path, expected: dict[str, str]) -> None:
    """Exactly the broken files carry diagnostics, each the one rule of its breakage; nothing else
    (no whole-export diagnostic, nothing appended after the files)."""
    found = {}
    with report.open() as handle:
        content = json.load(handle)
        if content["export"]:
            raise SystemExit(f"report is wrong: appended diagnostics {content['export'][:3]}")
        for entry in content["files"]:
            if entry["diagnostics"]:
                found[os.path.relpath(entry["path"], root)] = [d["rule"] for d in entry["diagnostics"]]
    wrong = {
        path: (rules, [expected.get(path)]) for path, rules in found.items() if rules != [expected.get(path)]
    }
    missing = sorted(set(expected) - set(found))
    if wrong or missing:
        raise SystemExit(
            f"report is wrong: {len(wrong)} wrong, {len(missing)} missing: {list(wrong.items())[:3]}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=20000)
    parser.add_argument("--large", type=int, default=200000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--no-resources", action="store_true", help="no resource folder (the upload's folder rule off)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aimmo-gt-bench-") as tmp:
        peaks: dict[tuple[int, int], int] = {}
        for size in (args.small, args.large):
            root = Path(tmp) / f"export-{size}"
            resources = None if args.no_resources else Path(tmp) / f"resources-{size}"
            expected = make_export.write_generated(root, size, resources=resources)
            for jobs in args.jobs:
                report = Path(tmp) / f"report-{size}-{jobs}.json"
                code, peak, elapsed = measure(root, jobs, report, resources)
                check_report(report, root, expected)
                assert code == 1, f"exit status {code}, expected 1"
                peaks[size, jobs] = peak
                print(
                    f"{size:>7} files, --jobs {jobs}: exit {code}, {len(expected)} broken files reported "
                    f"exactly, peak RSS {peak / 1024:.1f} MiB, {size / elapsed:,.0f} files/s"
                )
        for jobs in args.jobs:
            ratio = peaks[args.large, jobs] / peaks[args.small, jobs]
            # The whole-export rules keep a few facts of every file: memory grows with the files, by
            # this much per file.
            per_file = (peaks[args.large, jobs] - peaks[args.small, jobs]) * 1024 / (args.large - args.small)
            print(
                f"--jobs {jobs}: peak RSS {args.large} / {args.small} files = {ratio:.3f} "
                f"({per_file:.0f} bytes more per file)"
            )
            peak = peaks[args.large, jobs] / 1024
            target = f"{'under' if peak < TARGET_MIB else 'OVER'} the {TARGET_MIB} MiB target"
            print(f"--jobs {jobs}: peak RSS at {args.large} files {peak:.1f} MiB ({target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
