"""Apply each change the review made to the code, one at a time; run the tests meant to catch it;
say whether they did; restore the file. Run from the repository root: python tests/attack/mutations.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

P = Path("python/aimmo_gt")
G = "tests/attack/test_gaps.py"
#: (name, file under python/aimmo_gt, text, the text it becomes, the tests that must fail)
MUTATIONS = [
    (
        "ids not counted",
        "_fast.py",
        'return joined.count("\\n") == len(ids) - 1 and _ANNOTATION_IDS',
        "return _ANNOTATION_IDS",
        (f"{G}::test_an_id_holding_a_newline_is_not_passed_by_the_fast_engine",),
    ),
    (
        "encoding line +1",
        "_loading.py",
        'line = data.count(b"\\n", 0, start) + 1',
        'line = data.count(b"\\n", 0, start) + 2',
        (
            f"{G}::test_a_json_encoding_problem_names_its_line_and_column",
            "tests/cli/test_input.py::test_json_problems_say_line_and_column",
        ),
    ),
    (
        "depth +1 (rules)",
        "_rules.py",
        "MAX_DEPTH = 64",
        "MAX_DEPTH = 65",
        (f"{G}::test_the_depth_limit_is_exactly_64_levels",),
    ),
    (
        "depth +1 (loader)",
        "_loading.py",
        "        if depth > limit:",
        "        if depth > limit + 1:",
        (
            f"{G}::test_the_depth_limit_is_exactly_64_levels",
            "tests/cli/test_input.py::test_each_broken_input_is_one_diagnostic",
        ),
    ),
    (
        "hidden skipped",
        "_walk.py",
        "            if self.excluded(path):\n                continue\n            try:",
        "            if self.excluded(path) or name[0] == '.':\n                continue\n            try:",
        (f"{G}::test_hidden_files_and_folders_are_checked",),
    ),
    (
        "exclude nocase",
        "_walk.py",
        "fnmatch.fnmatchcase(normal, glob) or fnmatch.fnmatchcase(name, glob)",
        "fnmatch.fnmatch(normal.lower(), glob.lower()) or fnmatch.fnmatch(name.lower(), glob.lower())",
        (f"{G}::test_exclude_is_case_sensitive",),
    ),
    (
        "max-bytes 1000",
        "_cli.py",
        '{" ": 1, "k": 1024, "m": 1024**2, "g": 1024**3}',
        '{" ": 1, "k": 1000, "m": 1000**2, "g": 1000**3}',
        (f"{G}::test_max_bytes_suffixes_are_powers_of_1024",),
    ),
    (
        "junit failures=errors",
        "_reporters.py",
        'failures="{summary.invalid}"',
        'failures="{summary.errors}"',
        (
            f"{G}::test_junit_failures_count_failed_files_not_errors",
            "tests/cli/test_reports.py::test_junit_report_validates_against_the_xsd",
        ),
    ),
    (
        "sarif level error",
        "_reporters.py",
        "level=diagnostic.severity,",
        'level="error",',
        (
            f"{G}::test_sarif_levels_follow_severity",
            "tests/cli/test_reports.py::test_sarif_report_validates_and_points_at_lines",
        ),
    ),
    (
        "json valid ignores strict",
        "_reporters.py",
        '"valid": report.valid,',
        '"valid": not report.errors,',
        (
            f"{G}::test_json_report_valid_follows_strict",
            "tests/cli/test_reports.py::test_json_report_validates_against_its_schema",
        ),
    ),
    (
        "mask area figure",
        "_keywords.py",
        "add up to {_fmt(total)} pixels",
        "add up to {_fmt(total + 1)} pixels",
        (f"{G}::test_the_mask_area_message_states_the_right_figures",),
    ),
    (
        "truncated hint dropped",
        "_loading.py",
        '        message += "; the file looks truncated"',
        "        pass",
        (f"{G}::test_a_truncated_file_says_it_looks_truncated",),
    ),
    (
        "no dedupe",
        "_validator.py",
        "        if diagnostic not in seen:",
        "        if True:",
        (f"{G}::test_identical_diagnostics_are_reported_once",),
    ),
    (
        "empty scene",
        "_validator.py",
        'has_scene = "scene_id" in document',
        'has_scene = bool(document.get("scene_id"))',
        (f"{G}::test_an_empty_scene_id_still_makes_a_sequence_frame",),
    ),
    (
        "rect height ignored",
        "_geometry.py",
        "        and bottom <= height + ROTATED_TOLERANCE",
        "        and True",
        (f"{G}::test_a_rect_whose_height_leaves_the_image_is_outside_it",),
    ),
    (
        "span +1 (ref)",
        "_keywords.py",
        "or end - start == len(text):",
        "or abs(end - start - len(text)) <= 1:",
        (f"{G}::test_an_entity_span_one_longer_than_its_text_is_a_warning",),
    ),
    (
        "span +1 (fast)",
        "_fast.py",
        "if list(map(sub, ends, starts)) != list(map(len, map(_text, group))):",
        "if any(abs(a - b) > 1 for a, b in zip(map(sub, ends, starts), map(len, map(_text, group)))):",
        (f"{G}::test_an_entity_span_one_longer_than_its_text_is_a_warning",),
    ),
    (
        "rect width +1",
        "_geometry.py",
        "and right <= width + ROTATED_TOLERANCE",
        "and right <= width + ROTATED_TOLERANCE + 1",
        (f"{G}::test_a_rect_one_pixel_too_wide_is_outside_the_image",),
    ),
]


def main(only: list[str]) -> int:
    missed = 0
    for name, file, old, new, tests in MUTATIONS:
        if only and name not in only:
            continue
        path = P / file
        original = path.read_text()
        assert original.count(old) == 1, (name, original.count(old))
        path.write_text(original.replace(old, new))
        try:
            for test in tests:
                r = subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", test],
                    capture_output=True,
                    text=True,
                )
                verdict = "FAILS (caught)" if r.returncode else "passes (NOT caught)"
                missed += not r.returncode
                print(f"{name:28} {test.split('::')[-1][:70]:70} {verdict}", flush=True)
        finally:
            path.write_text(original)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
