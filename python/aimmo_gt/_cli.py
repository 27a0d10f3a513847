"""The `aimmo-gt` command: `validate` GT files and list the `rules` it can report."""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import re
import signal
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO, cast

from . import _api
from ._api import PROFILES
from ._output import Guarded, ReportWriteError, output_is_input
from ._reporters import REPORTERS, Summary, tool_version
from ._rules import RULES
from ._runner import Options, WorkerStartError, default_jobs, run
from ._walk import Walker

#: Exit statuses: a contract (tests/cli/test_exit_codes.py asserts each).
EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
#: The run could not complete: the report could not be written (a full disk, an I/O error, standard
#: output closed), or worker processes could not be started.
EXIT_FAILED = 3
#: Ctrl-C (SIGINT): the report holds the files checked so far and says it was interrupted.
EXIT_INTERRUPTED = 130
#: --jobs is capped at this many processes per CPU.
MAX_JOBS_PER_CPU = 4

DEFAULT_MAX_BYTES = 256 * 1024**2
#: The largest --max-bytes: one byte more is still a valid read size (a C ssize_t).
MAX_SIZE = sys.maxsize - 1

_EXIT_HELP = """\
exit status:
  0  every file is valid (warnings allowed, unless --strict)
  1  at least one file is invalid or could not be read: a path that does not exist,
     an unreadable or too large file, a symbolic link loop, a JSON error, a schema error
  2  usage error: unknown option or --profile; a rule in --warn/--ignore that does not exist,
     or that says a file could not be read (those cannot be lowered or ignored); an --output
     that is one of the files to check
  3  the run could not complete: the report could not be written (a full disk, an I/O
     error, standard output closed) or worker processes could not be started
130  interrupted (Ctrl-C): the report holds the files checked so far, marked interrupted
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
    digits = match.group(1).lstrip("0") or "0"
    if len(digits) > 30:  # far beyond any size (and int() refuses past 4,300 digits)
        return MAX_SIZE
    # Reads take a C ssize_t: a larger limit (8589934592G is 2^63) is no limit, not an OverflowError.
    return min(int(digits) * {" ": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit], MAX_SIZE)


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
    validate.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        metavar="N",
        help=f"check files in N processes (default: the number of CPUs, {default_jobs()} here); "
        "the report is in the same order whatever N",
    )
    validate.add_argument(
        "--engine",
        choices=_api.ENGINES,
        default="auto",
        help="how files are checked: fast (a compiled check passes clean files; the reference engine "
        "explains the others; needs msgspec, a dependency), reference (python-jsonschema on every file), "
        "auto (default: fast when installed); the reports are the same",
    )
    validate.add_argument(
        "--jsonl",
        action="store_true",
        help="JSON Lines: each non-blank line of each file is one document, reported as FILE:LINE; "
        "directories are searched for *.jsonl instead of *.json",
    )
    validate.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files and directories whose path or name matches GLOB, e.g. '*/tmp/*' or "
        "'*.bak.json' (repeatable)",
    )
    validate.add_argument(
        "--max-bytes",
        type=_size,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help="report a file (or JSON Lines line) larger than N bytes as file.too-large instead of "
        "reading it; K, M, G suffixes allowed (default: 256M)",
    )
    validate.set_defaults(handler=_validate, command_parser=validate)

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


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    sys.stderr.write(f"{parser.prog}: error: {message}\n")
    return EXIT_USAGE


def _rules(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    out = _open_output(None)
    if args.format == "json":
        rules = [{"id": r.id, "severity": r.severity, "summary": r.summary} for r in RULES.values()]
        out.write(json.dumps({"rules": rules}, ensure_ascii=False, indent=2) + "\n")
    else:
        width = max(map(len, RULES))
        for rule in RULES.values():
            out.write(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.summary}\n")
    out.flush()
    return EXIT_VALID


def _open_output(path: str | None) -> Guarded:
    """The report's destination; its write errors become ReportWriteError (see EXIT_FAILED)."""
    if path is None:
        stream = sys.stdout
        if stream is None:  # started with standard output closed (`>&-`)
            raise ReportWriteError("standard output", OSError(errno.EBADF, "standard output is closed"))
        # Messages quote the input, which may hold anything (a lone surrogate from a \ud800 escape).
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
        return Guarded(stream, "standard output")
    handle = open(path, "w", encoding="utf-8", errors="backslashreplace", newline="\n")  # noqa: SIM115
    return Guarded(handle, repr(path))


def _cap_jobs(requested: int | None, err) -> int:
    """--jobs, at most MAX_JOBS_PER_CPU times the CPUs: more processes only add memory and forks."""
    cpus = default_jobs()
    if requested is None:
        return cpus
    cap = MAX_JOBS_PER_CPU * cpus
    if requested > cap:
        err.write(
            f"aimmo-gt: --jobs {requested} is more than {cap} ({MAX_JOBS_PER_CPU} per CPU); using {cap}\n"
        )
        return cap
    return requested


class _Interrupts:
    """Ctrl-C during a run: the first stops it (the report is finished with the files checked so
    far, marked interrupted; exit 130); a second ends the process at once. A report entry being
    written when the first comes is finished first, so that the report always parses."""

    def __init__(self) -> None:
        self.count = 0
        self.deferring = False
        self.pending = False

    def _handler(self, signum, frame) -> None:
        self.count += 1
        if self.count > 1:
            with contextlib.suppress(OSError):
                os.write(2, b"\ninterrupted again: stopped at once\n")
            os._exit(EXIT_INTERRUPTED)
        if self.deferring:
            self.pending = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self):
        try:
            previous = signal.signal(signal.SIGINT, self._handler)
        except ValueError:  # not the main thread (the CLI called from a thread): Python's default
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    @contextlib.contextmanager
    def deferred(self):
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._progress import Progress

    if args.engine == "fast" and not _fast_available():
        return _usage_error(parser, "--engine fast needs msgspec: pip install msgspec")
    problem = _api.selector_problem(args.warn, args.ignore)
    if problem:
        return _usage_error(parser, problem)
    options = Options(
        args.profile,
        tuple(args.warn),
        tuple(args.ignore),
        args.strict,
        positions=args.format == "sarif",
        engine=args.engine,
    )
    err = sys.stderr
    jobs = _cap_jobs(args.jobs, err)
    walker = Walker(exclude=args.exclude, jsonl=args.jsonl, max_bytes=args.max_bytes)
    if args.output:
        overwritten = output_is_input(args.output, args.paths, walker.suffix, walker.excluded)
        if overwritten:
            return _usage_error(
                parser,
                f"--output {args.output!r} {overwritten}: writing the report would destroy it before "
                "it is read; choose another file",
            )
    try:
        output = _open_output(args.output)
    except OSError as error:
        return _usage_error(parser, f"cannot write {args.output!r}: {error.strerror}")
    except ReportWriteError as error:
        err.write(f"{parser.prog}: error: {error}\n")
        return EXIT_FAILED
    # The report may be written inside a walked directory; it is not a GT file.
    if args.output:
        walker.skip_files([args.output])
    summary = Summary()
    progress = Progress(err, enabled=not args.quiet and err.isatty())
    interrupts = _Interrupts()
    failure: Exception | None = None
    try:
        with interrupts.installed():
            reporter = REPORTERS[args.format](cast(TextIO, output), verbose=args.verbose, quiet=args.quiet)
            reports = run(walker.items(args.paths), options, max_bytes=args.max_bytes, jobs=jobs)
            try:
                with interrupts.deferred():
                    reporter.start()
                for report in reports:
                    summary.add(report)
                    with interrupts.deferred():
                        reporter.file(report)
                    progress.update(summary.files, summary.invalid, summary.errors)
            except KeyboardInterrupt:
                summary.interrupted = True
            except WorkerStartError as error:
                summary.interrupted = True
                failure = error
            finally:
                reports.close()  # a parallel run stops its workers now
                progress.close()
            if failure is not None:
                exit_code = EXIT_FAILED
            elif summary.interrupted:
                exit_code = EXIT_INTERRUPTED
            else:
                exit_code = EXIT_INVALID if summary.invalid else EXIT_VALID
            with interrupts.deferred():
                reporter.finish(summary, exit_code)
                output.flush()
    except ReportWriteError as error:
        err.write(f"{parser.prog}: error: {error}\n")
        return EXIT_FAILED
    finally:
        if args.output:
            with contextlib.suppress(OSError, ReportWriteError):
                output.close()
    if failure is not None:
        err.write(f"{parser.prog}: error: {failure}\n")
    elif summary.interrupted:
        err.write(f"interrupted: the report holds the {summary.files} files checked so far\n")
    elif summary.files == 0:
        err.write(
            f"{parser.prog}: no {'*.jsonl' if args.jsonl else '*.json'} file found in the given paths\n"
        )
    return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status (see _EXIT_HELP)."""
    if sys.stderr is None:  # started with standard error closed (`2>&-`): messages go nowhere
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
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
    except ReportWriteError as error:
        sys.stderr.write(f"{parser.prog}: error: {error}\n")
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (`aimmo-gt validate ... | head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        with contextlib.suppress(OSError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INVALID
