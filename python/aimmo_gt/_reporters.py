"""Report formats, one small class each; every one streams (nothing kept per valid file)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from ._check import FileReport
from ._diagnostics import Diagnostic
from ._output import escape, json_text, spool

# What one format alone needs (hashlib, shutil, pathlib, urllib.parse; the rule table, whose
# vocabulary and ontology modules a run of the text format never uses) is imported by that format:
# a run that checks one small file is mostly imports.

if TYPE_CHECKING:
    from ._loading import Position

TOOL = "aimmo-gt"


def tool_version() -> str:
    try:
        from importlib.metadata import version

        return version("aimmo-gt")
    except Exception:  # not installed (run from a source tree)
        return "0+unknown"


class Summary:
    """Counts over the whole run: the only state that outlives a file's report."""

    def __init__(self) -> None:
        self.files = self.valid = self.invalid = self.errors = self.warnings = 0
        self.rules: Counter[str] = Counter()
        #: Ctrl-C (or a failure) stopped the run: the counts are those of the files checked so far.
        self.interrupted = False

    def add(self, report: FileReport) -> None:
        self.files += 1
        if report.valid:
            self.valid += 1
        else:
            self.invalid += 1
        self._count(report)

    def _count(self, report: FileReport) -> None:
        for diagnostic in report.diagnostics:
            if diagnostic.severity == "error":
                self.errors += 1
            else:
                self.warnings += 1
            self.rules[diagnostic.rule] += 1

    def add_appended(self, report: FileReport, earlier_valid: bool | None) -> None:
        """Count a report of diagnostics known only at the end of the run (Export.finish): for a file
        already counted (earlier_valid: its verdict then), or None for a file that was not checked
        (a resource file), which only adds its diagnostics."""
        if earlier_valid and not report.valid:
            self.valid -= 1
            self.invalid += 1
        self._count(report)

    def as_dict(self) -> dict:
        counts = {
            "files": self.files,
            "valid": self.valid,
            "invalid": self.invalid,
            "errors": self.errors,
            "warnings": self.warnings,
            "rules": dict(sorted(self.rules.items())),
        }
        return {**counts, "interrupted": True} if self.interrupted else counts


class Reporter:
    """Writes one run's report: `start`, then `file` per checked file in order, then `finish`."""

    #: Whether the format gives each problem's line and column (else the run does not look for them).
    positions = True

    def __init__(
        self,
        stream: TextIO,
        *,
        verbose: bool = False,
        quiet: bool = False,
        color: bool = False,
        max_problems: int | None = None,
    ):
        self.stream = stream
        self.verbose = verbose
        self.quiet = quiet
        #: ANSI colours (text format on a terminal: see --color).
        self.color = color
        #: Line-per-problem formats (text, github) print at most this many problems per rule.
        self.shown = _Shown(max_problems)

    def start(self) -> None:
        pass

    def file(self, report: FileReport) -> None:
        raise NotImplementedError

    def appended(self, report: FileReport) -> None:
        """After every `file`: diagnostics of a file known only once all files were read (a frame gap,
        a resource file without GT file); `report.valid` says whether they alone pass. A format of
        one line per problem writes them as it writes a file's."""
        self.file(report)

    def finish(self, summary: Summary, exit_code: int) -> None:
        pass


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def place(report: FileReport, position: Position | None) -> tuple[int | None, int | None]:
    """The line and column of a diagnostic in its file (a JSON Lines document's line counted in),
    or None for what is not known."""
    if position is not None:
        return report.line + position.line - 1, position.column
    if report.file is not None and report.path != report.file:  # a JSON Lines document: its line
        return report.line, None
    return None, None


def _with_positions(report: FileReport) -> Iterator[tuple[Diagnostic, int | None, int | None]]:
    positions = report.positions or (None,) * len(report.diagnostics)
    for diagnostic, position in zip(report.diagnostics, positions, strict=True):
        yield (diagnostic, *place(report, position))


class _Shown:
    """--max-problems: how many problems of each rule were printed, and how many were held back."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.printed: Counter[str] = Counter()
        self.held: Counter[str] = Counter()

    def take(self, rule: str) -> bool:
        if self.limit is not None and self.printed[rule] >= self.limit:
            self.held[rule] += 1
            return False
        self.printed[rule] += 1
        return True

    def lines(self) -> Iterator[str]:
        for rule, count in sorted(self.held.items()):
            yield f"{rule}: and {_plural(count, 'more problem')} not shown (--max-problems {self.limit})"


#: ANSI Select Graphic Rendition codes of the text format's colours.
_SGR = {"error": "1;31", "warning": "1;33", "valid": "32", "invalid": "1;31", "rule": "1", "dim": "2"}


class TextReporter(Reporter):
    """`FILE:LINE:COL: POINTER: RULE: MESSAGE`, one line per diagnostic (the shape editors and
    terminals turn into links), then a summary and counts per rule."""

    def paint(self, text: str, style: str) -> str:
        # Colour goes around text that is already what the report prints (escaped where it must be).
        return f"\x1b[{_SGR[style]}m{text}\x1b[0m" if self.color else text

    def file(self, report: FileReport) -> None:
        write = self.stream.write
        if self.verbose:
            profile = report.profile or "union of all types"
            how = ", inferred" if report.inferred and report.profile else ""
            status = "ok" if report.valid else self.paint("invalid", "invalid")
            write(f"{escape(report.path)}: {status} (profile: {profile}{how})\n")
        for diagnostic, line, column in _with_positions(report):
            if not self.shown.take(diagnostic.rule):
                continue
            # FILE:LINE:COL when the place is known; else the report's name (FILE; FILE:LINE in JSON Lines).
            place = report.path if column is None else f"{report.file or report.path}:{line}:{column}"
            if diagnostic.pointer:
                place += f": {diagnostic.pointer}"
            rule = self.paint(diagnostic.rule, diagnostic.severity)
            severity = f" {self.paint('(warning)', 'warning')}" if diagnostic.severity == "warning" else ""
            # Paths, pointers and messages come from the input: escaped first (coloured after), they
            # cannot forge a line or send a terminal an escape sequence.
            write(f"{escape(place)}: {rule}{severity}: {escape(diagnostic.message)}\n")

    def appended(self, report: FileReport) -> None:
        verbose, self.verbose = self.verbose, False
        self.file(report)
        self.verbose = verbose

    def finish(self, summary: Summary, exit_code: int) -> None:
        write = self.stream.write
        for line in self.shown.lines():
            write(line + "\n")
        if self.quiet:
            return
        paint = self.paint
        valid = paint(f"{summary.valid} valid", "valid") if summary.valid else f"{summary.valid} valid"
        invalid = f"{summary.invalid} invalid"
        errors = _plural(summary.errors, "error")
        warnings = _plural(summary.warnings, "warning")
        if summary.interrupted:
            write("interrupted: ")
        write(
            f"{_plural(summary.files, 'file')} checked: {valid}, "
            f"{paint(invalid, 'invalid') if summary.invalid else invalid} "
            f"({paint(errors, 'error') if summary.errors else errors}, "
            f"{paint(warnings, 'warning') if summary.warnings else warnings})\n"
        )
        if summary.rules:
            width = max(map(len, summary.rules))
            for rule, count in sorted(summary.rules.items()):
                write(f"  {paint(f'{rule:<{width}}', 'rule')}  {count}\n")


class JsonReporter(Reporter):
    """One JSON object: `files` (written as they come), then `summary` (see tests/data/report.schema.json)."""

    def start(self) -> None:
        self.stream.write('{"files": [')
        self.first = True
        self.appending = False

    def file(self, report: FileReport) -> None:
        entry = {
            "path": report.path,
            "valid": report.valid,
            "profile": report.profile,
            "inferred": report.inferred,
            "diagnostics": self._diagnostics(report),
        }
        self.stream.write(("\n  " if self.first else ",\n  ") + json_text(entry))
        self.first = False

    @staticmethod
    def _diagnostics(report: FileReport) -> list[dict]:
        return [
            {**diagnostic.as_dict(), "line": line, "column": column}
            for diagnostic, line, column in _with_positions(report)
        ]

    def appended(self, report: FileReport) -> None:
        if not self.appending:
            self.stream.write('\n],\n"export": [')
            self.appending = self.first = True
        entry = {
            "path": report.path,
            "valid": report.valid,
            "diagnostics": self._diagnostics(report),
        }
        self.stream.write(("\n  " if self.first else ",\n  ") + json_text(entry))
        self.first = False

    def finish(self, summary: Summary, exit_code: int) -> None:
        if not self.appending:
            self.stream.write('\n],\n"export": [')
        self.stream.write(f'\n],\n"summary": {json_text(summary.as_dict())}}}\n')


# XML 1.0 cannot hold these characters at all, escaped or not.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str, attribute: bool = False) -> str:
    text = _NOT_XML.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return text


class JunitReporter(Reporter):
    """JUnit XML, one testcase per file; a file with errors is a failure.

    The testsuite element must carry its counts, which are known only at the end: testcases are
    spooled to a temporary file (not memory) and copied after the header.
    """

    positions = False

    def start(self) -> None:
        self.spool = spool()
        self.tests = self.failures = 0

    def appended(self, report: FileReport) -> None:
        # A testcase of its own, classname aimmo-gt.export: the file's own testcase is already written.
        self.file(report, f"{TOOL}.export")

    def file(self, report: FileReport, classname: str | None = None) -> None:
        classname = classname or f"{TOOL}.{report.profile or 'union'}"
        self.tests += 1
        out = self.spool.write
        out(f'<testcase classname="{_xml(classname, True)}" name="{_xml(report.path, True)}" time="0">')
        if not report.valid:
            self.failures += 1
            rules = sorted({d.rule for d in report.diagnostics})
            counts = f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
            message = f"{counts}: {', '.join(rules)}"
            kind = rules[0] if rules else "invalid"
            body = "\n".join(self._line(d) for d in report.diagnostics)
            out(f'<failure message="{_xml(message, True)}" type="{_xml(kind, True)}">{_xml(body)}</failure>')
        elif report.diagnostics:
            body = "\n".join(self._line(d) for d in report.diagnostics)
            out(f"<system-out>{_xml(body)}</system-out>")
        out("</testcase>\n")

    @staticmethod
    def _line(diagnostic) -> str:
        place = diagnostic.pointer or "(document)"
        return f"{place}: {diagnostic.rule} ({diagnostic.severity}): {diagnostic.message}"

    def finish(self, summary: Summary, exit_code: int) -> None:
        write = self.stream.write
        # Counted as written: an appended testcase is one more (the file's own is already written).
        counts = f'tests="{self.tests}" failures="{self.failures}" errors="0"'
        write('<?xml version="1.0" encoding="UTF-8"?>\n')
        write(f'<testsuites name="{TOOL}" {counts}>\n')
        write(f'<testsuite name="{TOOL} validate" {counts} skipped="0">\n')
        import shutil

        self.spool.flush()
        self.spool.seek(0)
        shutil.copyfileobj(self.spool, self.stream)
        self.spool.close()
        write("</testsuite>\n</testsuites>\n")


def _uri(path: str) -> str:
    from urllib.parse import quote

    if os.path.isabs(path):
        from pathlib import PurePath

        return PurePath(path).as_uri()
    # A relative reference; a colon stays escaped so that no first segment reads as a scheme.
    return quote(path.replace(os.sep, "/"), safe="/()!$&'*+,;=@~")


class SarifReporter(Reporter):
    """SARIF 2.1.0: a result per diagnostic with ruleId, the file, and the line and column found
    by re-scanning the failing file for the diagnostic's JSON pointer (kept as a logical location)."""

    SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

    def start(self) -> None:
        from ._rules import RULES

        self.index = {rule_id: number for number, rule_id in enumerate(RULES)}
        rules = [
            {
                "id": rule.id,
                "shortDescription": {"text": rule.summary},
                "defaultConfiguration": {"level": rule.severity},
            }
            for rule in RULES.values()
        ]
        # No informationUri: the project has no published home yet (the schema base URI is an id).
        driver = {"name": TOOL, "version": tool_version(), "rules": rules}
        head = {"$schema": self.SCHEMA, "version": "2.1.0"}
        self.stream.write(
            json.dumps(head)[:-1]
            + ', "runs": [{"tool": '
            + json.dumps({"driver": driver})
            + ', "columnKind": "unicodeCodePoints", "results": ['
        )
        self.first = True

    def file(self, report: FileReport) -> None:
        for diagnostic, line, column in _with_positions(report):
            physical: dict = {"artifactLocation": {"uri": _uri(report.file or report.path)}}
            if line is not None:
                physical["region"] = {"startLine": line}
                if column is not None:
                    physical["region"]["startColumn"] = column
            location: dict = {"physicalLocation": physical}
            if diagnostic.pointer:
                location["logicalLocations"] = [{"fullyQualifiedName": diagnostic.pointer, "kind": "element"}]
            result: dict = {"ruleId": diagnostic.rule}
            if diagnostic.rule in self.index:
                result["ruleIndex"] = self.index[diagnostic.rule]
            result.update(
                level=diagnostic.severity,
                message={"text": diagnostic.message},
                locations=[location],
                properties={
                    "pointer": diagnostic.pointer,
                    "profile": report.profile,
                    "document": report.path,
                },
            )
            self.stream.write(("\n" if self.first else ",\n") + json_text(result))
            self.first = False

    def finish(self, summary: Summary, exit_code: int) -> None:
        invocation = {
            "executionSuccessful": not summary.interrupted,
            "exitCode": exit_code,
            "properties": {"summary": summary.as_dict()},
        }
        self.stream.write('\n], "invocations": [' + json_text(invocation) + "]}]}\n")


def _command_data(text: str) -> str:
    # A workflow command ends at the line's end; % starts an escape.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    # Properties are separated by , and end at ::.
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(TextReporter):
    """GitHub Actions workflow commands, `::error file=F,line=L,col=C,title=RULE::POINTER: MESSAGE`,
    one per problem, so that each shows as an annotation on its file and line in the pull request;
    then the text format's summary (plain lines in the job's log)."""

    def file(self, report: FileReport) -> None:
        write = self.stream.write
        for diagnostic, line, column in _with_positions(report):
            if not self.shown.take(diagnostic.rule):
                continue
            properties = [f"file={_command_property(_repository_path(report.file or report.path))}"]
            if line is not None:
                properties.append(f"line={line}")
            if column is not None:
                properties.append(f"col={column}")
            properties.append(f"title={_command_property(diagnostic.rule)}")
            text = f"{diagnostic.pointer}: {diagnostic.message}" if diagnostic.pointer else diagnostic.message
            write(f"::{diagnostic.severity} {','.join(properties)}::{_command_data(text)}\n")


def _repository_path(path: str) -> str:
    """A path as CI annotations need it, relative to the repository (taken as the current directory):
    `./a.json` is `a.json`, and an absolute path under the current directory is made relative."""
    if path == "-":
        return path
    if os.path.isabs(path):
        relative = os.path.relpath(path)
        if relative.startswith(".."):
            return path
        path = relative
    return os.path.normpath(path).replace(os.sep, "/")


#: GitLab's severities (info, minor, major, critical, blocker) for ours.
_GITLAB_SEVERITY = {"error": "major", "warning": "minor"}


class GitlabReporter(Reporter):
    """GitLab Code Quality: a JSON array of issues (description, check_name, fingerprint, severity,
    location.path and location.lines.begin), written as they come, for `artifacts:reports:codequality`."""

    def start(self) -> None:
        self.stream.write("[")
        self.first = True

    def file(self, report: FileReport) -> None:
        import hashlib

        for number, (diagnostic, line, _column) in enumerate(_with_positions(report)):
            path = _repository_path(report.file or report.path)
            # Unique per problem and stable between runs while the problem stays (GitLab matches
            # issues of two pipelines by fingerprint): what, where, and its rank among the file's.
            key = "\0".join(
                (diagnostic.rule, report.path, diagnostic.pointer, diagnostic.message, str(number))
            )
            issue = {
                "description": f"{diagnostic.pointer}: {diagnostic.message}"
                if diagnostic.pointer
                else diagnostic.message,
                "check_name": diagnostic.rule,
                "fingerprint": hashlib.md5(
                    key.encode("utf-8", "backslashreplace"), usedforsecurity=False
                ).hexdigest(),
                "severity": _GITLAB_SEVERITY[diagnostic.severity],
                "location": {"path": path, "lines": {"begin": line or 1}},
            }
            self.stream.write(("\n" if self.first else ",\n") + json.dumps(issue, ensure_ascii=False))
            self.first = False

    def finish(self, summary: Summary, exit_code: int) -> None:
        self.stream.write("\n]\n")


#: Report formats by --format name; a new format is one class here.
REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "junit": JunitReporter,
    "sarif": SarifReporter,
    "github": GithubReporter,
    "gitlab": GitlabReporter,
}
