"""The `aimmo-gt` command: `validate` GT files and list the `rules` it can report."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import textwrap
from collections.abc import Sequence

from . import _api
from ._api import PROFILES
from ._reporters import REPORTERS, Summary, tool_version
from ._rules import RULES, UNTUNABLE
from ._runner import Options, default_jobs, run
from ._walk import Walker

#: Exit statuses: a contract (tests/cli/test_exit_codes.py asserts each).
EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130

DEFAULT_MAX_BYTES = 256 * 1024**2

_EXIT_HELP = """\
exit status:
  0  every file is valid (warnings allowed, unless --strict)
  1  at least one file is invalid or could not be read: a path that does not exist,
     an unreadable or too large file, a symbolic link loop, a JSON error, a schema error
  2  usage error: unknown option or --profile; a rule in --warn/--ignore that does not exist,
     or that says a file could not be read (those cannot be lowered or ignored)
"""

_VALIDATE_EXAMPLES = """\
examples:
  aimmo-gt validate examples/export
  aimmo-gt validate --profile image --format sarif --output gt.sarif export/
  aimmo-gt validate --warn geometry. --ignore json.bom export/
  aimmo-gt validate --jsonl annotations.jsonl
  cat frame.json | aimmo-gt validate -
"""

_SIZE = re.compile(r"(\d+)\s*([kmg]i?b?)?", re.IGNORECASE)


def _size(text: str) -> int:
    """A byte count: 1000, 64K, 256M, 1G (K, M, G are powers of 1024)."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (examples: 1000000, 64K, 256M, 1G)")
    unit = (match.group(2) or " ")[0].lower()
    return int(match.group(1)) * {" ": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of processes")
    return value


def _fast_available() -> bool:
    try:
        from ._fast import clean_bytes  # noqa: F401
    except ImportError:
        return False
    return True


class _Version(argparse.Action):
    """argparse's "version" action, with the version looked up only when asked for: finding it
    (importlib.metadata) costs more than checking a small file."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(
            option_strings,
            dest=dest,
            default=default,
            nargs=0,
            help=help or "show the program's version number and exit",
        )

    def __call__(self, parser, namespace, values, option_string=None):
        sys.stdout.write(f"{parser.prog} {tool_version()}\n")
        parser.exit()


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aimmo-gt",
        description="Validate AIMMO ground-truth (GT) annotation files against the aimmo-gt v1 schema.",
        epilog="Run 'aimmo-gt COMMAND --help' for a command's options.\n\n" + _EXIT_HELP,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check GT files and directories of them",
        description=textwrap.dedent("""\
            Check GT files: each PATH is a file, a directory (searched recursively for *.json, in
            sorted order, following symbolic links but never around a loop), or - for standard input.
            Every problem is reported as FILE:POINTER: RULE: MESSAGE, where POINTER is an RFC 6901
            JSON pointer to the value at fault and RULE a stable rule id ('aimmo-gt rules' lists them).
            A file that cannot be read or parsed is reported the same way and the run goes on."""),
        epilog=_EXIT_HELP + "\n" + _VALIDATE_EXAMPLES,
        formatter_class=_Formatter,
    )
    validate.add_argument(
        "paths", nargs="+", metavar="PATH", help="a file, a directory, or - for standard input"
    )
    validate.add_argument(
        "--profile",
        choices=PROFILES,
        metavar="NAME",
        help=f"the resource type of every file: {', '.join(PROFILES)} (default: inferred per file "
        "from its content; a file that fits none is checked against all annotation types)",
    )
    validate.add_argument(
        "--warn",
        action="append",
        default=[],
        metavar="RULE",
        help="report RULE as a warning instead of an error; a prefix such as 'geometry.' selects "
        "every rule under it (repeatable)",
    )
    validate.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="RULE",
        help="do not report RULE (or a prefix of rules) at all; wins over --warn (repeatable)",
    )
    validate.add_argument("--strict", action="store_true", help="a file with warnings is invalid too")
    validate.add_argument(
        "--format",
        choices=list(REPORTERS),
        default="text",
        help="report format: text (default; one line per problem and a summary), json (one JSON "
        "object), junit (JUnit XML, a testcase per file), sarif (SARIF 2.1.0, with line and column)",
    )
    validate.add_argument(
        "--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output"
    )
    validate.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress display and, in text format, no summary: only the problems",
    )
    validate.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="text format: also a line per file, saying ok or invalid and the profile used",
    )
    _input_options(validate)
    validate.add_argument(
        "--engine",
        choices=_api.ENGINES,
        default="auto",
        help="how files are checked: fast (a compiled check passes clean files; the reference engine "
        "explains the others; needs msgspec, a dependency), reference (python-jsonschema on every file), "
        "auto (default: fast when installed); the reports are the same",
    )
    _dataset_options(validate)
    validate.set_defaults(handler=_validate, command_parser=validate)

    stats = commands.add_parser(
        "stats",
        help="count what GT files hold: resource types, annotations per type and class, attribute values",
        description=textwrap.dedent("""\
            Count what an export holds: files per resource type, annotations per type, per class (per
            type) and per attribute value, the classification's labels and values, frames and tracks
            per scene, image sizes. PATHs are found and read as by validate; a file that cannot be
            read or parsed, or has an error, is counted and listed at the end, and the run goes on."""),
        epilog="exit status: 0 counted (files with errors included), 2 usage error\n\n"
        "examples:\n  aimmo-gt stats examples/export\n  aimmo-gt stats --format json -o stats.json export/\n",
        formatter_class=_Formatter,
    )
    stats.add_argument(
        "paths", nargs="+", metavar="PATH", help="a file, a directory, or - for standard input"
    )
    stats.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default: tables) or json (one object; schema: tests/data/stats.schema.json)",
    )
    stats.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    stats.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    _input_options(stats)
    stats.set_defaults(handler=_stats, command_parser=stats)

    rules = commands.add_parser(
        "rules",
        help="list every rule id, its default severity and what it means",
        description="List every rule id the validator can report, with its default severity and one "
        "sentence. Use the ids (or prefixes such as 'json.') with validate --warn/--ignore.",
        formatter_class=_Formatter,
    )
    rules.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    rules.set_defaults(handler=_rules, command_parser=rules)
    return parser


def _input_options(command: argparse.ArgumentParser) -> None:
    """How files are found and read: the same options for every command that reads GT files."""
    command.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        metavar="N",
        help=f"read files in N processes (default: the number of CPUs, {default_jobs()} here); "
        "the report is in the same order whatever N",
    )
    command.add_argument(
        "--jsonl",
        action="store_true",
        help="JSON Lines: each non-blank line of each file is one document, reported as FILE:LINE; "
        "directories are searched for *.jsonl instead of *.json",
    )
    command.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files and directories whose path or name matches GLOB, e.g. '*/tmp/*' or "
        "'*.bak.json' (repeatable)",
    )
    command.add_argument(
        "--max-bytes",
        type=_size,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help="report a file (or JSON Lines line) larger than N bytes as file.too-large instead of "
        "reading it; K, M, G suffixes allowed (default: 256M)",
    )


def _dataset_options(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group(
        "whole export",
        "Faults visible only when files are compared (the dataset.* rules: a file_id or a frame twice, a "
        "track whose label changes, ...), checked in the same pass, on by default for a directory, "
        "several files or JSON Lines. Each is reported on the later file, naming the first one.",
    )
    group.add_argument(
        "--no-dataset", action="store_true", help="do not compare files with each other (no dataset.* rule)"
    )
    group.add_argument(
        "--resources",
        metavar="DIR",
        help="the folder of the resource files a GT upload goes with: each GT file's parent_path + "
        "filename must name a file under DIR (upload.no-resource), and each file under DIR should have "
        "a GT file (upload.no-gt-file; hidden files are left out)",
    )


def _export(args: argparse.Namespace):
    """The whole-export reducer the run asks for, or None."""
    dataset = not args.no_dataset and (
        len(args.paths) > 1 or args.jsonl or any(os.path.isdir(path) for path in args.paths)
    )
    if not dataset and args.resources is None:
        return None
    from ._dataset import Export

    return Export(
        warn=args.warn, ignore=args.ignore, strict=args.strict, dataset=dataset, resources=args.resources
    )


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    sys.stderr.write(f"{parser.prog}: error: {message}\n")
    return EXIT_USAGE


def _rules(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.format == "json":
        rules = [{"id": r.id, "severity": r.severity, "summary": r.summary} for r in RULES.values()]
        sys.stdout.write(json.dumps({"rules": rules}, ensure_ascii=False, indent=2) + "\n")
        return EXIT_VALID
    width = max(map(len, RULES))
    for rule in RULES.values():
        sys.stdout.write(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.summary}\n")
    return EXIT_VALID


def _open_output(path: str | None):
    if path is None:
        stream = sys.stdout
        # Messages quote the input, which may hold anything (a lone surrogate from a \ud800 escape).
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
        return contextlib.nullcontext(stream)
    return open(path, "w", encoding="utf-8", errors="backslashreplace", newline="\n")


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._progress import Progress

    if args.engine == "fast" and not _fast_available():
        return _usage_error(parser, "--engine fast needs msgspec: pip install msgspec")
    unknown = _api.check_selectors([*args.warn, *args.ignore])
    if unknown:
        return _usage_error(
            parser,
            f"no rule is named {', '.join(map(repr, unknown))} (see 'aimmo-gt rules' for the rule ids)",
        )
    fixed = sorted(set(args.warn + args.ignore) & UNTUNABLE)
    if fixed:
        return _usage_error(
            parser,
            f"{', '.join(fixed)} cannot be lowered or ignored: such a file was not checked at all "
            "(a prefix such as 'json.' selects only the rules that can be)",
        )
    if args.resources is not None and not os.path.isdir(args.resources):
        return _usage_error(parser, f"--resources {args.resources!r} is not a directory")
    export = _export(args)
    options = Options(
        args.profile,
        tuple(args.warn),
        tuple(args.ignore),
        args.strict,
        positions=args.format == "sarif",
        engine=args.engine,
        dataset=export is not None,
    )
    jobs = args.jobs or default_jobs()
    try:
        output = _open_output(args.output)
    except OSError as error:
        return _usage_error(parser, f"cannot write {args.output!r}: {error.strerror}")
    walker = _walker(args)
    summary = Summary()
    progress = Progress(sys.stderr, enabled=not args.quiet and sys.stderr.isatty())
    with output as stream:
        reporter = REPORTERS[args.format](stream, verbose=args.verbose, quiet=args.quiet)
        reporter.start()
        try:
            for report in run(walker.items(args.paths), options, max_bytes=args.max_bytes, jobs=jobs):
                if export is not None:
                    report = export.add(report)
                summary.add(report)
                reporter.file(report)
                progress.update(summary.files, summary.invalid, summary.errors)
        finally:
            progress.close()
        # A resource file's warning fails the run under --strict, though it is no checked file.
        failed = False
        for report, earlier_valid in export.finish() if export is not None else ():
            summary.add_appended(report, earlier_valid)
            reporter.appended(report)
            failed = failed or (earlier_valid is None and not report.valid)
        exit_code = EXIT_INVALID if summary.invalid or failed else EXIT_VALID
        reporter.finish(summary, exit_code)
    if summary.files == 0:
        _nothing_found(args, parser)
    return exit_code


def _walker(args: argparse.Namespace) -> Walker:
    # The report may be written inside a walked directory; it is not a GT file.
    skip = [args.output] if args.output else []
    return Walker(exclude=args.exclude, jsonl=args.jsonl, max_bytes=args.max_bytes, skip=skip)


def _nothing_found(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    sys.stderr.write(
        f"{parser.prog}: no {'*.jsonl' if args.jsonl else '*.json'} file found in the given paths\n"
    )


def _stats(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._progress import Progress
    from ._stats import Stats, render_text

    try:
        output = _open_output(args.output)
    except OSError as error:
        return _usage_error(parser, f"cannot write {args.output!r}: {error.strerror}")
    walker = _walker(args)
    stats = Stats()
    progress = Progress(sys.stderr, enabled=not args.quiet and sys.stderr.isatty())
    items = walker.items(args.paths)
    try:
        for report in run(
            items, Options(stats=True), max_bytes=args.max_bytes, jobs=args.jobs or default_jobs()
        ):
            stats.add(report)
            progress.update(stats.files, len(stats.bad), len(stats.bad))
    finally:
        progress.close()
    counted = stats.as_json()
    with output as stream:
        if args.format == "json":
            stream.write(json.dumps(counted, ensure_ascii=False, indent=2) + "\n")
        else:
            render_text(counted, stream)
    if stats.files == 0:
        _nothing_found(args, parser)
    return EXIT_VALID


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status (see _EXIT_HELP)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # argparse's usage errors (2) and --help (0)
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    try:
        return args.handler(args, args.command_parser)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`aimmo-gt validate ... | head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INVALID
