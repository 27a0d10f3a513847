"""The public API: check a parsed GT document and get diagnostics."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from . import _rules
from ._check import (
    ENGINES,
    PROFILES,
    PURPOSES,
    FileReport,
    Options,
    Result,
    check_document,
    infer_profile,
    matches,
    tune,
)
from ._diagnostics import Diagnostic
from ._rules import UNTUNABLE

if TYPE_CHECKING:
    from ._ontology import Ontology

__all__ = [
    "ENGINES",
    "PROFILES",
    "PURPOSES",
    "Result",
    "ValidationError",
    "check",
    "check_selectors",
    "infer_profile",
    "is_valid",
    "iter_errors",
    "selector_problem",
    "tune",
    "validate",
    "validate_export",
]


class ValidationError(ValueError):
    """Raised by `validate`; `diagnostics` holds every problem found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        summary = f"{first.pointer or '/'}: {first.rule}: {first.message}" if first else "invalid"
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))


def check_selectors(selectors: Iterable[str]) -> list[str]:
    """The selectors that name no rule and no rule prefix (for a usage error)."""
    return [s for s in selectors if not any(matches(rule_id, [s]) for rule_id in _rules.RULES)]


def selector_problem(warn: Iterable[str], ignore: Iterable[str] = ()) -> str | None:
    """Why rule selectors (--warn/--ignore, warn=/ignore=) cannot be used, in the words the CLI
    prints; None when they can."""
    selectors = [*warn, *ignore]
    unknown = check_selectors(selectors)
    if unknown:
        named = ", ".join(f"{selector!r}{_did_you_mean(selector)}" for selector in unknown)
        return f"no rule is named {named}; see 'aimmo-gt rules' for the rule ids"
    fixed = sorted(set(selectors) & UNTUNABLE)
    if fixed:
        return (
            f"{', '.join(fixed)} cannot be lowered or ignored: such a file was not checked at all "
            "(a prefix such as 'json.' selects only the rules that can be)"
        )
    return None


def _did_you_mean(selector: str) -> str:
    import difflib

    rules = _rules.RULES
    families = {rule_id.rsplit(".", 1)[0] + "." for rule_id in rules}
    close = difflib.get_close_matches(selector, [*rules, *sorted(families)], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _selectors(name: str, value: object) -> tuple[str, ...]:
    """`warn=`/`ignore=` as a tuple of rule ids, or the TypeError a wrong type deserves."""
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list of rule ids, not a string (did you mean {name}=[{value!r}]?)")
    try:
        selectors: tuple[object, ...] = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be a list of rule ids, not {type(value).__name__}") from None
    wrong = [s for s in selectors if not isinstance(s, str)]
    if wrong:
        raise TypeError(f"{name} must hold rule ids (strings), not {wrong[0]!r}")
    return tuple(map(str, selectors))


def check(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
) -> Result:
    """Check a parsed document; the profile is inferred when not given.

    The document is a JSON value as `json.load` returns it (dict, list, str, int, float, bool, None).
    Anything else (a tuple, a set, NaN, a key that is not a string) is a diagnostic, as in a file,
    whichever the engine. `warn` and `ignore` are lists of rule ids or prefixes, checked as the CLI
    checks them (TypeError, ValueError). `engine` is one of ENGINES. `ontology` (an `Ontology`, or
    the path of an ontology file) adds the project's classes and attributes; a broken ontology file
    raises `OntologyError`. `purpose` is one of PURPOSES: "export" (the default: what AIMMO delivers,
    `file_id` required) or "upload" (a GT file for the platform's GT upload: `file_id` may be left
    out, every annotation id is prefixed by its instance number).
    """
    warn, ignore = _selectors("warn", warn), _selectors("ignore", ignore)
    problem = selector_problem(warn, ignore)
    if problem:
        raise ValueError(problem)
    options = Options(
        profile, warn, ignore, strict, engine=engine, ontology=_ontology(ontology), purpose=purpose
    )
    return check_document(document, options)


def _ontology(ontology: Ontology | str | os.PathLike[str] | None) -> Ontology | None:
    if ontology is None:
        return None
    from ._ontology import resolve

    return resolve(ontology)


def iter_errors(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
) -> Iterator[Diagnostic]:
    """Yield every diagnostic (errors and warnings) for a parsed document."""
    yield from check(
        document, profile, warn=warn, ignore=ignore, engine=engine, ontology=ontology, purpose=purpose
    ).diagnostics


def validate(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
) -> None:
    """Raise `ValidationError` when the document has an error (or a warning, with strict)."""
    result = check(
        document,
        profile,
        warn=warn,
        ignore=ignore,
        strict=strict,
        engine=engine,
        ontology=ontology,
        purpose=purpose,
    )
    if not result.valid:
        raise ValidationError(result.diagnostics)


def is_valid(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
) -> bool:
    """True when the document has no error (and no warning, with strict)."""
    return check(
        document,
        profile,
        warn=warn,
        ignore=ignore,
        strict=strict,
        engine=engine,
        ontology=ontology,
        purpose=purpose,
    ).valid


def validate_export(
    paths: Iterable[str],
    *,
    profile: str | None = None,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
    exclude: Iterable[str] = (),
    jsonl: bool = False,
    max_bytes: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    jobs: int = 1,
    dask: Any = None,
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
    dataset: bool = True,
    resources: str | None = None,
) -> Iterator[FileReport]:
    """Check every GT file under `paths`, as `aimmo-gt validate` does, and yield one report per file
    (`.path`, `.valid`, `.profile`, `.diagnostics`) in the order the files are walked.

    A path is a file, a directory (searched recursively for *.json and *.json.gz, in sorted order),
    an fsspec URL (`s3://bucket/export/`, with `storage_options` for its filesystem), or a .zip,
    .tar or .tar.gz archive. `jobs` processes check the files, or, with `dask` (a
    `distributed.Client`, or a scheduler address to connect to for the run), the workers of a Dask
    cluster, which read the files themselves. The reports are the same whichever runs them.

    `ontology`, `purpose` and the rule selectors are those of `check`. With `dataset` (the default)
    and paths that can hold several documents (several paths, a directory, a URL, an archive, JSON
    Lines), the whole-export rules (`dataset.*`) run too, as in `aimmo-gt validate`: a file's report
    carries what it earned against the files before it; `resources` (a GT upload's resource folder)
    adds `upload.no-resource`/`upload.no-gt-file` (NotADirectoryError when it is no folder). What
    is known only once every file was read (frame gaps, `dataset.unused` on the ontology file,
    resource files without a GT file) follows the last file, as reports carrying only those
    diagnostics, so such a report's path can come twice.
    """
    from ._runner import run
    from ._walk import DEFAULT_MAX_BYTES, Walker

    paths = list(paths)
    warn, ignore = _selectors("warn", warn), _selectors("ignore", ignore)
    problem = selector_problem(warn, ignore)
    if problem:
        raise ValueError(problem)
    if resources is not None and not os.path.isdir(resources):
        # As the CLI's usage error: a missing folder would make every GT file's resource "missing".
        raise NotADirectoryError(f"resources {os.fspath(resources)!r} is not a directory")
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    storage = dict(storage_options or {})
    loaded = _ontology(ontology)
    from ._dataset import export_of_run

    export = export_of_run(
        paths,
        jsonl=jsonl,
        dataset=dataset,
        resources=resources,
        ontology=loaded,
        warn=warn,
        ignore=ignore,
        strict=strict,
        max_bytes=limit,
    )
    options = Options(
        profile,
        warn,
        ignore,
        strict,
        engine=engine,
        storage_options=tuple(storage.items()),
        ontology=loaded,
        purpose=purpose,
        dataset=export is not None,
    )
    # The ontology file may lie in a walked folder; it is no GT file (as in the CLI).
    skip = [loaded.source] if loaded is not None and os.path.isfile(loaded.source) else []
    walker = Walker(exclude=exclude, jsonl=jsonl, max_bytes=limit, storage_options=storage, skip=skip)
    items = walker.items(paths)
    reports: Iterator[FileReport]
    if dask is None:
        reports = run(items, options, max_bytes=limit, jobs=jobs)
    else:
        reports = _on_dask(items, options, limit, dask, jobs)
    if export is None:
        yield from reports
        return
    for report in reports:
        yield export.add(report)
    for report, _earlier_valid in export.finish():
        yield report


def _on_dask(items, options: Options, limit: int, dask: Any, jobs: int) -> Iterator[FileReport]:
    from . import _dask

    if isinstance(dask, str):
        with _dask.connect(dask, jobs) as client:
            yield from _dask.run(items, options, max_bytes=limit, client=client)
    else:
        yield from _dask.run(items, options, max_bytes=limit, client=dask)
