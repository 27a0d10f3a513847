"""One item or document → its report: the one check path that the CLI's backends and the API share.

Entry points (each a pure function of its input and the options: nothing global, nothing printed,
everything it returns can be sent between processes):

- `check_item(item, options, max_bytes) -> FileReport`: one file, JSON Lines line or stdin (an `Item`
  of `_walk`): read, parse, check. What the CLI reports for one file.
- `check_batch(items, options, max_bytes) -> list[FileReport]`: `check_item` over a batch, in order.
  The one function every backend (inline, the process pool, Dask) calls.
- `check_document(document, options) -> Result`: one parsed document. What the API reports.

Inside, the engine is chosen in one place, `_diagnose`: the fast pass (_fast.py) proves a clean
document clean (leaving unchecked the rules it can that the user ignores); any other document is
explained by the reference engine (_validator.py), pointed by the fast explainer (_explain.py) at
the annotations the fast pass cannot prove clean. A layer that adds to every file's report (an
ontology, a facts record) plugs into `_diagnose` (documents) and `check_item` (files).
"""

from __future__ import annotations

import fnmatch
import math
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import import_module
from itertools import chain, compress, repeat
from typing import TYPE_CHECKING, Any

from ._diagnostics import Diagnostic, as_json, count, passes, pointer_from_path
from ._rules import MAX_DEPTH, UNTUNABLE
from ._walk import Item, read_file

if TYPE_CHECKING:
    from ._dataset import Facts
    from ._explain import Proof
    from ._fast import Verdict
    from ._loading import Position
    from ._ontology import Ontology

#: The resource types, each a schema under schemas/v1/profiles/.
PROFILES = ("image", "image-pixel", "sequence", "pointcloud", "video", "text")

#: How a document is checked: "reference" runs python-jsonschema on every document; "fast" first asks
#: the fast engine (_fast.py, on msgspec) whether the document is clean and runs the reference only
#: when it is not (same diagnostics, proven by tests/test_engines_equivalence.py); "auto" is "fast"
#: when msgspec is installed (the `fast` extra), else "reference".
ENGINES = ("auto", "fast", "reference")

#: What the documents are for (DECISIONS.md, "Export or upload"): "export", what AIMMO delivers
#: (`file_id` required), or "upload", GT files prepared for the platform's GT upload (`file_id`
#: optional, every annotation id prefixed by its instance number). defs/purpose.json states each.
PURPOSES = ("export", "upload")


@dataclass(frozen=True, slots=True)
class PathOptions:
    """Other options for the files under some paths (a configuration file's `overrides`)."""

    #: The directory the globs are relative to (the configuration file's).
    root: str
    #: `lidar/**`, `*.bak.json`: `*` crosses folders, as in --exclude; a glob without `/` may match
    #: the file's name alone.
    globs: tuple[str, ...]
    #: (Options field, value): a tuple extends the field (warn, ignore), anything else replaces it.
    changes: tuple[tuple[str, object], ...]

    def applies(self, path: str) -> bool:
        relative = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        name = relative.rsplit("/", 1)[-1]
        return any(
            fnmatch.fnmatchcase(relative, glob) or ("/" not in glob and fnmatch.fnmatchcase(name, glob))
            for glob in self.globs
        )


@dataclass(frozen=True, slots=True)
class Options:
    """What the user asked for, the same for every file of a run (sent to each worker once a batch)."""

    profile: str | None = None
    warn: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    strict: bool = False
    #: Work out the line and column of each diagnostic (costs a scan of each failing file).
    positions: bool = False
    #: One of ENGINES.
    engine: str = "auto"
    #: Options of the fsspec filesystem of every URL (--storage-option), as (key, value) pairs.
    storage_options: tuple[tuple[str, Any], ...] = ()
    #: Send back a facts record with each report, for the whole-export rules (_dataset.py).
    dataset: bool = False
    #: ... and in it what the document holds, for `aimmo-gt stats` (_stats.py).
    stats: bool = False
    #: One of PURPOSES.
    purpose: str = "export"
    #: The project's ontology (--ontology, `ontology=`): checked on every document after the format.
    ontology: Ontology | None = None
    #: Options that differ by path, applied in order to the files they match (`for_file`).
    overrides: tuple[PathOptions, ...] = ()

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"unknown purpose {self.purpose!r}; expected one of {', '.join(PURPOSES)}")
        if self.profile is not None and self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; expected one of {', '.join(PROFILES)}")
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; expected one of {', '.join(ENGINES)}")

    def for_file(self, path: str | None) -> Options:
        """The options for one file: these, with the overrides that match its path applied."""
        if not self.overrides or path is None or path == "-":
            return self
        options = self
        for override in self.overrides:
            if override.applies(path):
                changes: dict[str, Any] = {
                    name: getattr(options, name) + value if isinstance(value, tuple) else value
                    for name, value in override.changes
                }
                options = replace(options, **changes)
        return options


class _Counts:
    """errors and warnings, for a record with `diagnostics`."""

    __slots__ = ()
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> int:
        return count(self.diagnostics, "error")

    @property
    def warnings(self) -> int:
        return count(self.diagnostics, "warning")


@dataclass(frozen=True, slots=True)
class Result(_Counts):
    """What checking one document found."""

    #: The profile the document was checked against; None when none fitted and the union of all
    #: annotation types was used.
    profile: str | None
    #: True when the profile was inferred from the document rather than given.
    inferred: bool
    diagnostics: tuple[Diagnostic, ...]
    strict: bool = False

    @property
    def valid(self) -> bool:
        return passes(self.diagnostics, self.strict)


@dataclass(frozen=True, slots=True)
class FileReport(_Counts):
    """What checking one item found, small enough to send between processes."""

    path: str
    valid: bool
    profile: str | None
    inferred: bool
    diagnostics: tuple[Diagnostic, ...]
    #: Line and column of each diagnostic, parallel to `diagnostics` (None when unknown); empty
    #: unless positions were asked for or the parser knew them.
    positions: tuple[Position | None, ...] = ()
    #: The file the document is in and the line its text starts on (JSON Lines), for SARIF.
    file: str | None = None
    line: int = 1
    #: What the whole-export rules need of the document (Options.dataset; None when it did not parse).
    facts: Facts | None = None


# --- Tuning: --warn and --ignore.


def matches(rule_id: str, selectors: Iterable[str]) -> bool:
    """A selector is a rule id, or a prefix such as `geometry.` (or `geometry`)."""
    for selector in selectors:
        if rule_id == selector or rule_id.startswith(selector.rstrip(".") + "."):
            return True
    return False


def tune(
    diagnostics: Iterable[Diagnostic], warn: Iterable[str] = (), ignore: Iterable[str] = ()
) -> Iterator[Diagnostic]:
    """Apply --ignore and --warn to diagnostics (ignore wins over warn; UNTUNABLE rules stay)."""
    warn, ignore = tuple(warn), tuple(ignore)
    for diagnostic in diagnostics:
        if diagnostic.rule in UNTUNABLE:
            yield diagnostic
            continue
        if ignore and matches(diagnostic.rule, ignore):
            continue
        if warn and diagnostic.severity == "error" and matches(diagnostic.rule, warn):
            diagnostic = Diagnostic(diagnostic.rule, "warning", diagnostic.pointer, diagnostic.message)
        yield diagnostic


def _tuned(diagnostics, positions, options: Options):
    kept, where = [], []
    for diagnostic, position in zip(diagnostics, positions, strict=True):
        for tuned in tune((diagnostic,), options.warn, options.ignore):
            kept.append(tuned)
            where.append(position)
    return tuple(kept), tuple(where)


# --- The engines, chosen here and nowhere else.


def _fast(engine: str):
    """The fast engine's module, or None when the reference alone is to be used."""
    if engine == "reference":
        return None
    try:
        # import_module, not `from . import _fast`: that one would find the package's attribute even
        # when sys.modules says the module cannot be imported (as tests make it say).
        fast = import_module("._fast", __package__)
    except ImportError:
        if engine == "fast":
            raise ImportError("engine='fast' needs msgspec: pip install msgspec") from None
        return None  # "auto" goes on without it
    return fast


def _tolerated(fast, options: Options) -> frozenset[str]:
    """The rules the fast engine may leave unchecked: those it can (TOLERABLE) that the user ignores."""
    return frozenset(rule for rule in fast.TOLERABLE if matches(rule, options.ignore))


def infer_profile(document: object) -> str | None:
    """The resource type a document looks like (DECISIONS.md), or None when it fits none."""
    from ._validator import infer_profile as _infer

    return _infer(document)


def _diagnose(
    document: object, options: Options, *, fast_tried: bool = False, proof: Proof | None = None
) -> Result:
    """The tuned diagnostics of a parsed document: the fast engine passes a clean one; the others are
    explained by the reference engine, which the fast explainer (_explain.py) points at what the
    fast engine cannot prove clean. `fast_tried`: the fast pass already failed on the document (or
    its bytes); `proof`: what the fast engine proved of it, when already known."""
    inferred = options.profile is None
    profile = infer_profile(document) if inferred else options.profile
    fast = _fast(options.engine)
    tolerate = _tolerated(fast, options) if fast is not None else frozenset()
    if fast is not None and not fast_tried:
        passed = _passed(document, options, fast, profile, tolerate)
        if passed is not None:
            return passed
    if fast is not None:
        from ._explain import explain

        # Without the diagnostics of tolerated rules, which tune() drops.
        diagnostics = explain(document, profile, proof, tolerate, options.purpose, inferred)
    else:
        from ._validator import document_diagnostics

        diagnostics = document_diagnostics(document, profile, purpose=options.purpose, inferred=inferred)
    diagnostics = [*diagnostics, *_ontology_of_document(options.ontology, document)]
    return Result(profile, inferred, tuple(tune(diagnostics, options.warn, options.ignore)), options.strict)


def _passed(
    document: object, options: Options, fast, profile: str | None, tolerate: frozenset[str]
) -> Result | None:
    """The result of a document the fast engine passes under `profile`, leaving unchecked the rules
    of `tolerate` (then only the ontology may have something to say), or None when it does not."""
    clean, used = fast.clean_document(document, profile, options.purpose, tolerate)
    if not (clean and used == profile):
        return None
    found = tune(_ontology_of_document(options.ontology, document), options.warn, options.ignore)
    return Result(profile, options.profile is None, tuple(found), options.strict)


def _quick_load(
    data: bytes, options: Options, tolerate: frozenset[str], verdict: Verdict | None
) -> tuple[dict, Proof] | None:
    """The document and what the fast engine proves of it (from `verdict`, what it found of the
    text), decoded in C when the loader would have nothing to say about the text (_explain.load);
    None when the loader must read it."""
    from . import _explain

    document = _explain.load(data)
    if document is None:
        return None
    profile = infer_profile(document) if options.profile is None else options.profile
    proof = _explain.prove(document, profile, tolerate, options.purpose, verdict)
    if not _explain.loader_agrees(data, document, proof.failing):
        return None
    return document, proof


# --- The ontology layer (_ontology.py): on a parsed document, or on what the fast engine decoded.


def _ontology_of_document(ontology: Ontology | None, document: object) -> list[Diagnostic]:
    return [] if ontology is None else ontology.check(document)


def _ontology_of_decoded(ontology: Ontology | None, decoded: object) -> list[Diagnostic] | None:
    """For a file the fast engine passed: read from its structs (the file is not parsed again).
    None when the check failed: the file then takes the path that turns a failure into a diagnostic."""
    if ontology is None:
        return []
    try:
        return ontology.check_decoded(decoded)
    except Exception:
        return None


def _positions(data: bytes, found: tuple[Diagnostic, ...], options: Options) -> tuple[Position | None, ...]:
    """Line and column of each diagnostic when asked for (a walk of the file's bytes to the pointers)."""
    if not (found and options.positions):
        return (None,) * len(found)
    from ._loading import locate

    known = locate(data, {d.pointer for d in found})
    return tuple(known.get(d.pointer) for d in found)


# --- The entry points.


def check_document(document: object, options: Options) -> Result:
    """Check a parsed document (a JSON value as `json.load` returns it). What no file can hold (NaN,
    a number beyond a float, a tuple, a set, a key that is not a string) gets the diagnostic a file
    holding the nearest JSON would, whichever the engine, and the document is not checked further."""
    fast = _fast(options.engine)
    # The walk of json_value_problems costs several parses of the document in Python: a document that
    # is plainly JSON (in C) and that the fast engine passes (its types bound the depth and the
    # integers) needs none.
    tried = fast is not None and fast.plain_json(document)
    if tried:
        profile = infer_profile(document) if options.profile is None else options.profile
        passed = _passed(document, options, fast, profile, _tolerated(fast, options))
        if passed is not None:
            return passed
    not_json = json_value_problems(document) if not tried or _deep_or_huge(document) else []
    if not_json:
        inferred = options.profile is None
        profile = infer_profile(document) if inferred else options.profile
        return Result(profile, inferred, tuple(not_json), options.strict)
    return _diagnose(document, options, fast_tried=tried)


def _deep_or_huge(document: object) -> bool:
    """For a document of JSON types only (`_fast.plain_json`): False when nothing in it nests deeper
    than a file may or is an integer beyond a 64-bit float, the rest of what json_value_problems
    reports; told a level of the tree at a time, in C. True: it may (the walk says)."""
    level: list[Any] = [document]
    for depth in range(1, MAX_DEPTH + 2):
        dicts: list[dict] = list(compress(level, map(isinstance, level, repeat(dict))))
        lists: list[list] = list(compress(level, map(isinstance, level, repeat(list))))
        if (dicts or lists) and depth > MAX_DEPTH:
            return True
        numbers: list[int] = list(compress(level, map(isinstance, level, repeat(int))))
        if numbers and max(map(abs, numbers)) > sys.float_info.max:
            return True
        level = [*chain.from_iterable(map(dict.values, dicts)), *chain.from_iterable(lists)]
        if not level:
            return False
    return True


#: The most problems json_value_problems reports in one document (as the loader does for a file).
MAX_VALUE_PROBLEMS = 20


def json_value_problems(document: object) -> list[Diagnostic]:
    """A diagnostic for each value JSON cannot hold (found without recursion): `json.non-finite` for
    NaN and infinities, `json.number-range` for an integer beyond a 64-bit float, `json.value` for
    anything not a JSON value (a tuple, a set, bytes, an object key that is not a string...), and
    `json.depth` where containers nest deeper than a file may (the same rules a file gets)."""
    found: list[Diagnostic] = []
    stack: list[tuple[object, tuple]] = [(document, ())]
    while stack and len(found) < MAX_VALUE_PROBLEMS:
        node, path = stack.pop()
        problem = None
        if isinstance(node, str | bool) or node is None:
            continue
        if isinstance(node, dict | list) and len(path) >= MAX_DEPTH:
            # As the loader says of a file: the root is level 1, so this container is one too deep.
            problem = ("json.depth", f"arrays and objects nest more than {MAX_DEPTH} levels deep")
        elif isinstance(node, dict):
            keys = [key for key in node if not isinstance(key, str)]
            if keys:
                problem = (
                    "json.value",
                    f"the object has a key {as_json(keys[0])} (a Python {type(keys[0]).__name__}); "
                    "JSON object keys are strings",
                )
            stack.extend((node[key], (*path, key)) for key in reversed(node) if isinstance(key, str))
        elif isinstance(node, list):
            stack.extend((node[i], (*path, i)) for i in reversed(range(len(node))))
        elif isinstance(node, float):
            if not math.isfinite(node):
                written = "NaN" if math.isnan(node) else "Infinity" if node > 0 else "-Infinity"
                problem = ("json.non-finite", f"{written} is not a JSON number (JSON has no NaN or Infinity)")
        elif isinstance(node, int):
            if abs(node) > sys.float_info.max:
                digits = int(node.bit_length() * 0.30103) + 1
                problem = (
                    "json.number-range",
                    f"an integer of about {digits} digits is too large for a 64-bit float",
                )
        else:
            kind = type(node).__name__
            hint = "; use a list" if isinstance(node, tuple | set | frozenset) else ""
            problem = ("json.value", f"a {kind} is not a JSON value{hint}")
        if problem:
            found.append(Diagnostic(problem[0], "error", pointer_from_path(path), problem[1]))
            if problem[0] == "json.depth":
                break  # one is enough, as for a file
    return found


def check_item(item: Item, options: Options, max_bytes: int) -> FileReport:
    """Read, parse and check one item; every problem becomes a diagnostic, never an exception."""
    options = options.for_file(item.file)

    def report(diagnostics, positions=(), profile=None, inferred=False, facts=None) -> FileReport:
        return FileReport(
            item.display,
            passes(diagnostics, options.strict),
            profile,
            inferred,
            tuple(diagnostics),
            tuple(positions),
            item.file,
            item.line,
            facts,
        )

    if item.diagnostics:
        return report(*_tuned(item.diagnostics, (None,) * len(item.diagnostics), options))
    data = item.data
    if data is None:
        assert item.path is not None  # an Item has a path, data or diagnostics
        data, problems = read_file(item.path, max_bytes)
        if data is None:
            return report(*_tuned(problems, (None,) * len(problems), options))
    fast = _fast(options.engine)
    tolerate = _tolerated(fast, options) if fast is not None else frozenset()
    verdict = None
    if fast is not None:
        verdict = fast.decode_verdict(data, options.profile, options.purpose, tolerate)
        clean, profile, decoded = verdict.clean, verdict.profile, verdict.document
        project = _ontology_of_decoded(options.ontology, decoded) if clean else None
        if project is not None:
            found, _ = _tuned(project, (None,) * len(project), options)
            facts = dataset_facts(options, struct=decoded)
            return report(found, _positions(data, found, options), profile, options.profile is None, facts)
    # The loader is imported only for a file the fast engine did not pass: a run of clean files,
    # one small file above all, does without it.
    from ._loading import load_positioned

    try:
        quick = _quick_load(data, options, tolerate, verdict) if fast is not None else None
    except Exception:  # a surprise in the fast path costs speed, never a verdict: the loader reads it
        quick = None
    document: object
    spoke = False  # whether the loader had something to say about the text
    proof: Proof | None
    if quick is not None:
        document, proof = quick
        diagnostics, positions = (), ()
    else:
        loaded = load_positioned(data)
        diagnostics, positions = _tuned(loaded.diagnostics, loaded.positions, options)
        if loaded.document is None:
            return report(diagnostics, positions)
        document, proof, spoke = loaded.document, None, bool(loaded.diagnostics)
    facts = dataset_facts(options, document=document)
    try:
        # The fast pass failed on the bytes; on the document it is worth asking again only when the
        # loader had something to say about the text (a byte-order mark, a repeated key).
        tried = fast is not None and not spoke
        result = _diagnose(document, options, fast_tried=tried, proof=proof)
    except Exception as error:  # a validator bug must cost one file, not the whole run
        failure = Diagnostic(
            "internal.error",
            "error",
            "",
            f"the validator failed on this file ({type(error).__name__}: {error}); please report it",
        )
        return report((*diagnostics, failure), (*positions, None), facts=facts)
    found = result.diagnostics
    where = _positions(data, found, options)
    return report((*diagnostics, *found), (*positions, *where), result.profile, result.inferred, facts)


def dataset_facts(options: Options, *, struct: object = None, document: object = None) -> Facts | None:
    """The hook of the whole-export rules: the facts record of a document that parsed (the fast
    engine's struct of a clean file, else the loaded document), when the run asks for them."""
    if not (options.dataset or options.stats):
        return None
    from ._dataset import facts_of

    return facts_of(struct, document, counts=options.stats, ontology=options.ontology)


def check_batch(items: Iterable[Item], options: Options, max_bytes: int) -> list[FileReport]:
    """`check_item` over a batch, in order: what every backend runs (in this process or a worker)."""
    batch = list(items)
    if any(item.url is not None for item in batch):
        # Remote objects and archive members: read together, concurrently, by _sources (and fsspec
        # imported) only when the batch holds some.
        from ._sources import read_batch

        batch = read_batch(batch, dict(options.storage_options), max_bytes)
    return [check_item(item, options, max_bytes) for item in batch]
