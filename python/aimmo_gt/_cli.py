"""The `aimmo-gt` command: `validate` GT files and list the `rules` it can report."""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import io
import json
import os
import re
import signal
import sys
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO, cast

from . import _api
from ._api import PROFILES
from ._output import Guarded, ReportWriteError, output_is_input
from ._reporters import REPORTERS, Summary, tool_version
from ._runner import Options, WorkerStartError, collector_tuned, default_jobs, run
from ._walk import Walker, is_url

if TYPE_CHECKING:
    from pathlib import Path

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
     or that says a file could not be read (those cannot be lowered or ignored); a wrong key
     or value in the configuration file; no file to check in the given paths; an --output
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


def _positive(things: str):
    """An argparse type: a whole number of `things`, at least 1."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of {things}")
        return value

    parse.__name__ = things  # argparse names the type in some messages
    return parse


_jobs = _positive("processes")


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
        sys.stdout.write(version_line() + "\n")
        parser.exit()


def version_line() -> str:
    """'aimmo-gt 0.1.0 (schema v1, Python 3.11.7)': what a bug report needs."""
    import platform

    from ._schemas import VERSION

    return f"aimmo-gt {tool_version()} (schema {VERSION}, Python {platform.python_version()})"


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
    parser.add_argument("-V", "--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check GT files and directories of them",
        description=textwrap.dedent("""\
            Check GT files: each PATH is a file, a directory (searched recursively for *.json in any
            letter case, in sorted order, following symbolic links but never around a loop), or - for
            standard input. Every problem is reported as FILE:LINE:COL: POINTER: RULE: MESSAGE, where
            POINTER is an RFC 6901 JSON pointer to the value at fault and RULE a stable rule id
            ('aimmo-gt rules' lists them). A file that cannot be read or parsed is reported the same
            way and the run goes on. Settings can be kept in [tool.aimmo-gt] of a pyproject.toml or in
            an aimmo-gt.toml (keys: the long options below, without --)."""),
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
    validate.add_argument(
        "--upload",
        action="store_true",
        help="the files are GT files prepared for the platform's GT upload, not an export: file_id may "
        "be left out, and every annotation id must carry its instance number (1-<uuid>)",
    )
    validate.add_argument("--strict", action="store_true", help="a file with warnings is invalid too")
    validate.add_argument(
        "--format",
        choices=list(REPORTERS),
        default="text",
        help="report format: text (default; one line per problem and a summary), json (one JSON "
        "object), junit (JUnit XML, a testcase per file), sarif (SARIF 2.1.0), github (GitHub Actions "
        "workflow commands: annotations on the pull request), gitlab (GitLab Code Quality JSON)",
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
        help="text format: also a line per file, saying ok or invalid and the profile used; and "
        "(on standard error) which configuration file was used",
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
    _add_ontology_option(validate)
    _storage_arguments(validate)
    _add_terminal_options(validate)
    _add_config_options(validate)
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
        "examples:\n  aimmo-gt stats examples/export\n  aimmo-gt stats --format json -o stats.json export/\n"
        "  aimmo-gt stats --ontology ontology.json export/\n",
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
    stats.add_argument(
        "--ontology",
        metavar="FILE",
        help="also list the classes and attribute values the project's ontology FILE defines that no "
        "file uses (as validate's dataset.unused; a broken FILE is a usage error)",
    )
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
    _add_ontology_commands(commands)
    _add_completion_command(commands)
    return parser


def _storage_option(text: str) -> tuple[str, object]:
    """KEY=VALUE; a VALUE that is JSON (true, 5, {"region_name": "x"}) is taken as such, else as a string."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (example: anon=true)")
    try:
        parsed: object = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip(), parsed


def _storage_arguments(validate: argparse.ArgumentParser) -> None:
    group = validate.add_argument_group(
        "object storage, archives and clusters",
        "A PATH may be a URL fsspec reads (s3://bucket/export/ needs aimmo-gt[s3], gs://... "
        "aimmo-gt[gcs]; credentials come from the storage's usual places: environment, profiles), "
        "listed like a directory and reported by URL; a .zip, .tar or .tar.gz archive, walked like a "
        "directory, its files reported as ARCHIVE!/path; *.json.gz files are read decompressed.",
    )
    group.add_argument(
        "--storage-option",
        action="append",
        default=[],
        type=_storage_option,
        metavar="KEY=VALUE",
        help="an option of the filesystem of every URL, e.g. endpoint_url=http://127.0.0.1:9000, "
        "anon=true, profile=NAME (VALUE read as JSON when it is JSON); repeatable",
    )
    group.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="check on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786), or on one "
        "started here with 'local' (--jobs worker processes); the workers read the files themselves, "
        "so local paths must be visible to them; the report is the same; needs aimmo-gt[dask]",
    )


_SHELLS = ("bash", "zsh", "fish")


def _add_completion_command(commands) -> None:
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish)",
        description="Print the completion script of aimmo-gt for SHELL (made by shtab: "
        "pip install 'aimmo-gt[completion]'). Options, choices, rule ids and file names complete.",
        epilog=textwrap.dedent("""\
            install:
              bash  aimmo-gt completion bash > ~/.local/share/bash-completion/completions/aimmo-gt
              zsh   aimmo-gt completion zsh > ~/.zfunc/_aimmo-gt   (with fpath+=(~/.zfunc) before compinit)
              fish  aimmo-gt completion fish > ~/.config/fish/completions/aimmo-gt.fish
            """),
        formatter_class=_Formatter,
    )
    completion.add_argument("shell", choices=_SHELLS, metavar="SHELL", help=", ".join(_SHELLS))
    completion.set_defaults(handler=_completion, command_parser=completion)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parsers of the commands (validate, rules, ...) by name."""
    for action in parser._actions:  # argparse has no public way to reach its subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _completion(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        import shtab
    except ImportError:
        return _usage_error(parser, "shell completion needs shtab: pip install 'aimmo-gt[completion]'")
    from ._rules import RULES

    root = build_parser()
    for command in subcommands(root).values():
        for action in command._actions:
            if action.dest in ("paths", "output", "config"):
                action.complete = shtab.FILE  # type: ignore[attr-defined]
            elif action.dest in ("warn", "ignore"):
                # Completed from the rule ids and their families (the option itself takes any prefix).
                families = sorted({rule_id.rsplit(".", 1)[0] + "." for rule_id in RULES})
                action.choices = [*RULES, *families]
    sys.stdout.write(shtab.complete(root, shell=args.shell))
    return EXIT_VALID


def _add_terminal_options(validate: argparse.ArgumentParser) -> None:
    """The options of how the report looks on a terminal and in a log."""
    group = validate.add_argument_group("report display")
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour rule ids, severities and the summary of the text format: auto (default) when "
        "the report goes to a terminal and NO_COLOR is not set, always, never",
    )
    group.add_argument(
        "--max-problems",
        type=_positive("problems"),
        metavar="N",
        help="text and github formats: print at most N problems of each rule, then say how many "
        "more there were (the summary's counts stay exact; default: no limit)",
    )


def use_color(choice: str, stream, environ=os.environ) -> bool:
    """--color: always and never as said; auto when the stream is a terminal, unless NO_COLOR is set
    (https://no-color.org: a command-line flag wins over it) or the terminal is dumb."""
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _selector_problem(selectors) -> str | None:
    """Why rule selectors (--warn, --ignore) cannot be used, or None (the API says the same)."""
    return _api.selector_problem(selectors)


def _add_config_options(validate: argparse.ArgumentParser) -> None:
    group = validate.add_argument_group("configuration file")
    group.add_argument(
        "--config",
        metavar="FILE",
        help="read settings from FILE ([tool.aimmo-gt] of a pyproject.toml, or the top level of any "
        "other TOML file) instead of looking for aimmo-gt.toml or a pyproject.toml with "
        "[tool.aimmo-gt] from the current directory upwards; command-line options win",
    )
    group.add_argument("--no-config", action="store_true", help="read no configuration file")


def _configure(parser: argparse.ArgumentParser, args: argparse.Namespace, argv) -> argparse.Namespace:
    """Parse again with the configuration file's settings as the defaults of `validate` (so that the
    command line wins), the file and its per-path overrides kept in `args.configuration`."""
    from ._config import find, load

    if args.no_config:
        return args
    path: Path | None
    if args.config:
        from pathlib import Path

        path = Path(args.config)
    else:
        path = find(os.getcwd())
    if path is None:
        return args
    validate = args.command_parser
    explicit = {a.dest for a in validate._actions if getattr(args, a.dest, a.default) != a.default}
    selectors = {"warn": _selector_problem, "ignore": _selector_problem}
    config = load(path, validate, checks=selectors).under(explicit)
    validate.set_defaults(**config.values)
    args = parser.parse_args(argv)
    args.configuration = config
    return args


def _config_used(args: argparse.Namespace, config) -> str:
    if config is not None:
        overrides = f", {len(config.overrides)} per-path override(s)" if config.overrides else ""
        return f"configuration: {config.describe()}{overrides}"
    if args.no_config:
        return "configuration: none (--no-config)"
    return "configuration: none found (aimmo-gt.toml, or pyproject.toml with [tool.aimmo-gt], from here up)"


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
        "--no-dataset",
        dest="dataset",
        action="store_false",
        help="do not compare files with each other (no dataset.* rule)",
    )
    group.add_argument(
        "--resources",
        metavar="DIR",
        help="the folder of the resource files a GT upload goes with: each GT file's parent_path + "
        "filename must name a file under DIR (upload.no-resource), and each file under DIR should have "
        "a GT file (upload.no-gt-file; hidden files are left out)",
    )


def _export(args: argparse.Namespace, ontology=None):
    """The whole-export reducer the run asks for, or None."""
    from ._dataset import export_of_run

    return export_of_run(
        args.paths,
        jsonl=args.jsonl,
        dataset=args.dataset,
        resources=args.resources,
        ontology=ontology,
        warn=args.warn,
        ignore=args.ignore,
        strict=args.strict,
        positions=REPORTERS[args.format].positions,  # re-read files only for a format that shows places
        max_bytes=args.max_bytes,
    )


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    sys.stderr.write(f"{parser.prog}: error: {message}\n")
    return EXIT_USAGE


def _rules(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._rules import RULES

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

    def deferred(self) -> _Interrupts:
        """`with interrupts.deferred():` a Ctrl-C within is raised at its end (entered once a report
        entry: a plain object, not a generator-based context manager, for the per-file cost)."""
        return self

    def __enter__(self) -> None:
        self.deferring = True

    def __exit__(self, kind, error, traceback) -> None:
        self.deferring = False
        if kind is None and self.pending:
            self.pending = False
            raise KeyboardInterrupt


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._progress import ErasingStream, Progress, count_ahead

    if args.engine == "fast" and not _fast_available():
        return _usage_error(parser, "--engine fast needs msgspec: pip install msgspec")
    problem = _selector_problem([*args.warn, *args.ignore])
    if problem:
        return _usage_error(parser, problem)
    config = getattr(args, "configuration", None)
    if args.verbose:
        sys.stderr.write(f"{parser.prog}: {_config_used(args, config)}\n")
    ontology = _load_ontology(args.ontology, parser)
    if ontology is False:
        return EXIT_USAGE
    if args.resources is not None and not os.path.isdir(args.resources):
        return _usage_error(parser, f"--resources {args.resources!r} is not a directory")
    export = _export(args, ontology)
    options = Options(
        args.profile,
        tuple(args.warn),
        tuple(args.ignore),
        args.strict,
        positions=REPORTERS[args.format].positions,
        engine=args.engine,
        purpose="upload" if args.upload else "export",
        ontology=ontology,
        overrides=config.overrides if config else (),
        storage_options=tuple(args.storage_option),
        dataset=export is not None,
    )
    if any(map(is_url, args.paths)):
        from ._sources import unavailable

        problem = unavailable(args.paths)
        if problem:
            return _usage_error(parser, problem)
    err = sys.stderr
    jobs = _cap_jobs(args.jobs, err)

    def walker() -> Walker:
        return _walker(args)

    if args.output:
        probe = walker()
        overwritten = output_is_input(args.output, args.paths, probe.suffix, probe.excluded)
        if overwritten:
            return _usage_error(
                parser,
                f"--output {args.output!r} {overwritten}: writing the report would destroy it before "
                "it is read; choose another file",
            )
    # The backend (a Dask client, closed with `backend`): connected before any output, so that an
    # unreachable scheduler is a usage error, not a half-written report.
    backend = contextlib.ExitStack()
    backend_run = functools.partial(run, jobs=jobs)
    if args.dask:
        dask_run = _dask_run(parser, args.dask, jobs, backend)
        if isinstance(dask_run, int):
            return dask_run
        backend_run = dask_run
    try:
        output = _open_output(args.output)
    except OSError as error:
        backend.close()
        return _usage_error(parser, f"cannot write {args.output!r}: {error.strerror}")
    except ReportWriteError as error:
        backend.close()
        err.write(f"{parser.prog}: error: {error}\n")
        return EXIT_FAILED
    summary = Summary()
    progress = Progress(err, enabled=not args.quiet and err.isatty())
    if not args.jsonl:  # counting JSON Lines documents would read every file twice: counted as they go
        count_ahead(progress, args.paths, lambda: sum(1 for _ in walker().items(args.paths)))
    hint = _JsonlHint(args.jsonl)
    interrupts = _Interrupts()
    failure: Exception | None = None
    try:
        with interrupts.installed():
            plain = cast(TextIO, output)
            color = args.format == "text" and use_color(args.color, plain)
            # On a terminal, the progress line is taken off the screen before any report line.
            stream = plain
            if progress.enabled and plain.isatty():
                stream = cast(TextIO, ErasingStream(plain, progress))
            reporter = REPORTERS[args.format](
                stream, verbose=args.verbose, quiet=args.quiet, color=color, max_problems=args.max_problems
            )
            reports = backend_run(walker().items(args.paths), options, max_bytes=args.max_bytes)
            try:
                with interrupts.deferred():
                    reporter.start()
                for report in reports:
                    if export is not None:
                        report = export.add(report)
                    summary.add(report)
                    hint.add(report)
                    with interrupts.deferred():
                        reporter.file(report)
                        if stream is not plain:
                            plain.flush()
                    progress.update(summary.files, summary.invalid, summary.errors)
            except KeyboardInterrupt:
                summary.interrupted = True
            except WorkerStartError as error:
                summary.interrupted = True
                failure = error
            finally:
                reports.close()  # a parallel run stops its workers now
                progress.close()
            # What is known once every file was read; a resource file's warning fails the run under
            # --strict, though it is no checked file.
            failed = False
            if export is not None and failure is None and not summary.interrupted:
                for report, earlier_valid in export.finish():
                    summary.add_appended(report, earlier_valid)
                    with interrupts.deferred():
                        reporter.appended(report)
                    failed = failed or (earlier_valid is None and not report.valid)
            if failure is not None:
                exit_code = EXIT_FAILED
            elif summary.interrupted:
                exit_code = EXIT_INTERRUPTED
            elif summary.files == 0:
                exit_code = EXIT_USAGE
            else:
                exit_code = EXIT_INVALID if summary.invalid or failed else EXIT_VALID
            with interrupts.deferred():
                reporter.finish(summary, exit_code)
                output.flush()
    except ReportWriteError as error:
        err.write(f"{parser.prog}: error: {error}\n")
        return EXIT_FAILED
    finally:
        backend.close()
        if args.output:
            with contextlib.suppress(OSError, ReportWriteError):
                output.close()
    hint.write(err)
    if failure is not None:
        err.write(f"{parser.prog}: error: {failure}\n")
    elif summary.interrupted:
        err.write(f"interrupted: the report holds the {summary.files} files checked so far\n")
    elif summary.files == 0:
        err.write(
            f"{parser.prog}: error: no {'*.jsonl' if args.jsonl else '*.json'} file to check in the "
            "given paths (a directory is searched for them; --exclude may have left out the rest)\n"
        )
    return exit_code


def _dask_run(parser: argparse.ArgumentParser, address: str, jobs: int, stack: contextlib.ExitStack):
    """The Dask backend's run, connected to ADDRESS (closed with `stack`), or a usage error's status."""
    try:
        from . import _dask
    except ImportError as error:
        return _usage_error(
            parser,
            f"--dask needs dask.distributed, which is not installed ({error}): pip install 'aimmo-gt[dask]'",
        )
    try:
        client = stack.enter_context(_dask.connect(address, jobs))
    except _dask.ConnectError as error:
        return _usage_error(parser, str(error))
    return functools.partial(_dask.run, client=client)


def _walker(args: argparse.Namespace) -> Walker:
    # The report may be written inside a walked directory; it is not a GT file.
    skip = [args.output] if args.output else []
    if getattr(args, "ontology", None):  # nor is the ontology (validate --ontology)
        skip.append(args.ontology)
    return Walker(
        exclude=args.exclude,
        jsonl=args.jsonl,
        max_bytes=args.max_bytes,
        skip=skip,
        storage_options=dict(getattr(args, "storage_option", ())),
    )


def _stats(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._progress import Progress
    from ._stats import Stats, render_text

    ontology = _load_ontology(args.ontology, parser)  # before the output: a broken one writes nothing
    if ontology is False:
        return EXIT_USAGE
    try:
        output = _open_output(args.output)
    except OSError as error:
        return _usage_error(parser, f"cannot write {args.output!r}: {error.strerror}")
    except ReportWriteError as error:
        sys.stderr.write(f"{parser.prog}: error: {error}\n")
        return EXIT_FAILED
    walker = _walker(args)
    stats = Stats(ontology)
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
    try:
        if args.format == "json":
            output.write(json.dumps(counted, ensure_ascii=False, indent=2) + "\n")
        else:
            render_text(counted, cast(TextIO, output))
        output.flush()
    except ReportWriteError as error:
        sys.stderr.write(f"{parser.prog}: error: {error}\n")
        return EXIT_FAILED
    finally:
        if args.output:
            with contextlib.suppress(OSError, ReportWriteError):
                output.close()
    if stats.files == 0:
        sys.stderr.write(
            f"{parser.prog}: no {'*.jsonl' if args.jsonl else '*.json'} file found in the given paths\n"
        )
    return EXIT_VALID


# --- The project's ontology: `validate --ontology FILE`, `ontology schema`, `ontology infer`.


def _add_ontology_option(validate: argparse.ArgumentParser) -> None:
    validate.add_argument(
        "--ontology",
        metavar="FILE",
        help="also check labels, attribute keys and values against the project's ontology FILE "
        "(JSON, or YAML with PyYAML installed; see 'aimmo-gt ontology --help'); a broken FILE is a "
        "usage error and nothing is checked",
    )


def _load_ontology(path: str | None, parser: argparse.ArgumentParser):
    """The loaded ontology, None when not asked for, False after reporting a broken one (usage)."""
    if path is None:
        return None
    from ._ontology import Ontology, OntologyError

    try:
        return Ontology.load(path)
    except OntologyError as error:
        parser.print_usage(sys.stderr)
        count = len(error.problems)
        sys.stderr.write(
            f"{parser.prog}: error: the ontology {path} has {count} problem{'s' * (count != 1)}; "
            "nothing was checked:\n"
        )
        for line in error.lines():
            sys.stderr.write(f"  {line}\n")
        return False


_ONTOLOGY_EXAMPLES = """\
examples:
  aimmo-gt ontology infer export/ -o ontology.json --counts
  aimmo-gt validate --ontology ontology.json export/
  aimmo-gt ontology schema ontology.json --profile image -o project.schema.json
"""


def _add_ontology_commands(commands) -> None:
    ontology = commands.add_parser(
        "ontology",
        help="derive a JSON Schema from a project's ontology, or draft an ontology from an export",
        description="A project's ontology file states its annotation types, classes and attributes, as "
        "AIMMO's project settings do (schemas/v1/ontology.json). 'validate --ontology FILE' checks GT "
        "files against it.",
        epilog=_ONTOLOGY_EXAMPLES,
        formatter_class=_Formatter,
    )
    actions = ontology.add_subparsers(dest="action", metavar="ACTION", required=True)
    schema = actions.add_parser(
        "schema",
        help="write one self-contained draft 2020-12 schema of the format plus the ontology",
        description="Write one self-contained JSON Schema (draft 2020-12, standard keywords only) that "
        "checks the format and the ontology, for any JSON Schema engine (ajv, jsonschema-rs, "
        "python-jsonschema...). Not in it: the format's semantic rules (geometry, masks, order) and "
        "number inputs' min/max, which only aimmo-gt checks.",
        formatter_class=_Formatter,
    )
    schema.add_argument("file", metavar="FILE", help="the ontology file (JSON, or YAML)")
    schema.add_argument(
        "--profile",
        choices=PROFILES,
        metavar="NAME",
        help=f"the resource type of the documents: {', '.join(PROFILES)} (default: any)",
    )
    schema.add_argument("--output", "-o", metavar="OUT", help="write to OUT instead of standard output")
    schema.set_defaults(handler=_ontology_schema, command_parser=schema)
    infer = actions.add_parser(
        "infer",
        help="draft an ontology from an export: every type, class, attribute and value it uses",
        description="Read GT files and write an ontology they all pass: the annotation types used, the "
        "classes of each, the attributes of each class with the values seen (multi_choice where lists "
        "were seen, optional where some annotations lack the key, input where more than "
        "30 distinct values were seen). Review it before adoption: a typo in the data becomes a class.",
        formatter_class=_Formatter,
    )
    infer.add_argument("paths", nargs="+", metavar="PATH", help="a file or a directory of *.json files")
    infer.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the ontology to FILE (.yaml/.yml: YAML) instead of stdout",
    )
    infer.add_argument(
        "--counts",
        action="store_true",
        help="also print (to standard error) how often each class and value occurs, rarest first",
    )
    infer.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip matching paths")
    infer.set_defaults(handler=_ontology_infer, command_parser=infer)


def _write(text: str, path: str | None, parser: argparse.ArgumentParser) -> int:
    if path is None:
        sys.stdout.write(text)
        return EXIT_VALID
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    except OSError as error:
        return _usage_error(parser, f"cannot write {path!r}: {error.strerror}")
    return EXIT_VALID


def _ontology_schema(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._ontology import derived_schema

    ontology = _load_ontology(args.file, parser)
    if not ontology:
        return EXIT_USAGE
    schema = derived_schema(ontology, args.profile)
    return _write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", args.output, parser)


def _documents(items, max_bytes: int):
    """The parsed documents of walked items; a file that cannot be read or parsed is named on stderr."""
    from ._loading import load_positioned
    from ._walk import read_file

    for item in items:
        data = item.data
        if item.diagnostics:
            sys.stderr.write(f"skipped {item.display}: {item.diagnostics[0].message}\n")
            continue
        if data is None:
            data, problems = read_file(item.path, max_bytes)
            if data is None:
                sys.stderr.write(f"skipped {item.display}: {problems[0].message}\n")
                continue
        loaded = load_positioned(data)
        if loaded.document is None:
            sys.stderr.write(f"skipped {item.display}: {loaded.diagnostics[0].message}\n")
            continue
        yield loaded.document


def _ontology_infer(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._ontology import dump, infer

    if args.output and args.output.lower().endswith((".yaml", ".yml")):
        try:
            import yaml  # noqa: F401
        except ImportError:
            return _usage_error(parser, "writing YAML needs PyYAML: pip install 'aimmo-gt[yaml]'")
    walker = Walker(
        exclude=args.exclude, max_bytes=DEFAULT_MAX_BYTES, skip=[args.output] if args.output else []
    )
    drafted = infer(_documents(walker.items(args.paths), DEFAULT_MAX_BYTES))
    if args.counts:
        width = max((len(what) for what, _ in drafted.counts), default=0)
        for what, count in sorted(drafted.counts, key=lambda line: (line[1], line[0])):
            sys.stderr.write(f"{count:>8}  {what}\n" if width else "")
    for warning in drafted.warnings:
        sys.stderr.write(f"{parser.prog}: warning: {warning}\n")
    return _write(dump(drafted.data, args.output), args.output, parser)


class _JsonlHint:
    """A .jsonl file read as one JSON document fails to parse: say once, at the end, to use --jsonl."""

    def __init__(self, jsonl: bool):
        self.jsonl = jsonl
        self.files: list[str] = []

    def add(self, report) -> None:
        if self.jsonl or not report.path.lower().endswith(".jsonl"):
            return
        if any(d.rule == "json.parse" for d in report.diagnostics):
            self.files.append(report.path)

    def write(self, stream) -> None:
        if self.files:
            more = f" (and {len(self.files) - 1} more)" if len(self.files) > 1 else ""
            stream.write(
                f"aimmo-gt: hint: {self.files[0]!r}{more} looks like JSON Lines (one document a line): "
                "check it with --jsonl\n"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status (see _EXIT_HELP)."""
    if sys.stderr is None:  # started with standard error closed (`2>&-`): messages go nowhere
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # argparse's usage errors (2) and --help (0)
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    if args.command == "validate":
        from ._config import ConfigError

        try:
            args = _configure(parser, args, argv)
        except ConfigError as error:
            return _usage_error(args.command_parser, str(error))
        except SystemExit as exit:  # cannot happen: the command line parsed once already
            return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    try:
        with collector_tuned():
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
