"""The public API: check a parsed GT document and get diagnostics."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ._check import (
    ENGINES,
    PROFILES,
    FileReport,
    Options,
    Result,
    check_document,
    infer_profile,
    matches,
    tune,
)
from ._diagnostics import Diagnostic
from ._rules import RULES

__all__ = [
    "ENGINES",
    "PROFILES",
    "Result",
    "ValidationError",
    "check",
    "check_selectors",
    "infer_profile",
    "is_valid",
    "iter_errors",
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
    return [s for s in selectors if not any(matches(rule_id, [s]) for rule_id in RULES)]


def check(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
) -> Result:
    """Check a parsed document; the profile is inferred when not given.

    The document is a JSON value as `json.load` returns it (dict, list, str, int, float, bool, None);
    the fast engine reads a tuple as an array where the reference does not, so pass lists.
    `engine` is one of ENGINES.
    """
    options = Options(profile, tuple(warn), tuple(ignore), strict, engine=engine)
    return check_document(document, options)


def iter_errors(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    engine: str = "auto",
) -> Iterator[Diagnostic]:
    """Yield every diagnostic (errors and warnings) for a parsed document."""
    yield from check(document, profile, warn=warn, ignore=ignore, engine=engine).diagnostics


def validate(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
) -> None:
    """Raise `ValidationError` when the document has an error (or a warning, with strict)."""
    result = check(document, profile, warn=warn, ignore=ignore, strict=strict, engine=engine)
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
) -> bool:
    """True when the document has no error (and no warning, with strict)."""
    return check(document, profile, warn=warn, ignore=ignore, strict=strict, engine=engine).valid


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
) -> Iterator[FileReport]:
    """Check every GT file under `paths`, as `aimmo-gt validate` does, and yield one report per file
    (`.path`, `.valid`, `.profile`, `.diagnostics`) in the order the files are walked.

    A path is a file, a directory (searched recursively for *.json and *.json.gz, in sorted order),
    an fsspec URL (`s3://bucket/export/`, with `storage_options` for its filesystem), or a .zip,
    .tar or .tar.gz archive. `jobs` processes check the files, or, with `dask` (a
    `distributed.Client`, or a scheduler address to connect to for the run), the workers of a Dask
    cluster, which read the files themselves. The reports are the same whichever runs them.
    """
    from ._runner import run
    from ._walk import DEFAULT_MAX_BYTES, Walker

    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    storage = dict(storage_options or {})
    options = Options(
        profile, tuple(warn), tuple(ignore), strict, engine=engine, storage_options=tuple(storage.items())
    )
    items = Walker(exclude=exclude, jsonl=jsonl, max_bytes=limit, storage_options=storage).items(paths)
    if dask is None:
        yield from run(items, options, max_bytes=limit, jobs=jobs)
        return
    from . import _dask

    if isinstance(dask, str):
        with _dask.connect(dask, jobs) as client:
            yield from _dask.run(items, options, max_bytes=limit, client=client)
    else:
        yield from _dask.run(items, options, max_bytes=limit, client=dask)
