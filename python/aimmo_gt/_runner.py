"""Check work items, in this process or a pool of processes, yielding reports in input order."""

from __future__ import annotations

import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import TYPE_CHECKING

from ._api import check, tune
from ._diagnostics import Diagnostic, count, passes
from ._walk import Item, read_file

if TYPE_CHECKING:
    from ._dataset import Facts
    from ._loading import Position

#: Items sent to a worker at once: large enough that inter-process overhead stays small next to
#: checking, small enough that a slow file does not hold many finished ones back.
BATCH = 32
#: Batches in flight per worker: bounds memory (reports wait in order) while keeping workers busy.
WINDOW_PER_JOB = 4


@dataclass(frozen=True, slots=True)
class Options:
    profile: str | None = None
    warn: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    strict: bool = False
    #: Work out the line and column of each diagnostic (costs a scan of each failing file).
    positions: bool = False
    #: _api.ENGINES: "auto" and "fast" first try the fast engine (_fast.py), which passes a clean file without
    #: the loader and the reference engine (same reports: tests/test_engines_equivalence.py).
    engine: str = "auto"
    #: Send back a facts record with each report, for the whole-export rules (_dataset.py).
    dataset: bool = False


@dataclass(frozen=True, slots=True)
class FileReport:
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

    @property
    def errors(self) -> int:
        return count(self.diagnostics, "error")

    @property
    def warnings(self) -> int:
        return count(self.diagnostics, "warning")


def default_jobs() -> int:
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _tuned(diagnostics, positions, options: Options):
    # tune() keeps the rules that mean a file was not checked (UNTUNABLE) whatever the options say.
    kept, where = [], []
    for diagnostic, position in zip(diagnostics, positions, strict=True):
        for tuned in tune((diagnostic,), options.warn, options.ignore):
            kept.append(tuned)
            where.append(position)
    return tuple(kept), tuple(where)


def check_item(item: Item, options: Options, max_bytes: int) -> FileReport:
    """Read, parse and check one item; every problem becomes a diagnostic, never an exception."""

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
        diagnostics, positions = _tuned(item.diagnostics, (None,) * len(item.diagnostics), options)
        return report(diagnostics, positions)
    data = item.data
    if data is None:
        assert item.path is not None  # an Item has a path, data or diagnostics
        data, problems = read_file(item.path, max_bytes)
        if data is None:
            return report(*_tuned(problems, (None,) * len(problems), options))
    if options.engine != "reference":
        clean, profile, struct = fast_clean(data, options.profile, options.engine)
        if clean:
            return report((), (), profile, options.profile is None, dataset_facts(options, struct=struct))
    # The loader is imported only for a file the fast engine did not pass: a run of clean files,
    # one small file above all, does without it.
    from ._loading import load_positioned, locate

    loaded = load_positioned(data)
    diagnostics, positions = _tuned(loaded.diagnostics, loaded.positions, options)
    if loaded.document is None:
        return report(diagnostics, positions)
    facts = dataset_facts(options, document=loaded.document)
    try:
        result = check(
            loaded.document,
            options.profile,
            warn=options.warn,
            ignore=options.ignore,
            strict=options.strict,
            engine=options.engine,
        )
    except Exception as error:  # a validator bug must cost one file, not the whole run
        failure = Diagnostic(
            "internal.error",
            "error",
            "",
            f"the validator failed on this file ({type(error).__name__}: {error}); please report it",
        )
        return report((*diagnostics, failure), (*positions, None), facts=facts)
    found = result.diagnostics
    where: tuple[Position | None, ...] = (None,) * len(found)
    if found and options.positions:
        known = locate(data.decode("utf-8", "replace").removeprefix("\ufeff"), {d.pointer for d in found})
        where = tuple(known.get(d.pointer) for d in found)
    return report((*diagnostics, *found), (*positions, *where), result.profile, result.inferred, facts)


def dataset_facts(options: Options, *, struct: object = None, document: object = None) -> Facts | None:
    """The hook of the whole-export rules: the facts record of a document that parsed (the fast
    engine's struct of a clean file, else the loaded document), when the run asks for them."""
    if not options.dataset:
        return None
    from ._dataset import facts_of_document, facts_of_struct

    return facts_of_struct(struct) if struct is not None else facts_of_document(document)


def fast_clean(data: bytes, profile: str | None, engine: str) -> tuple[bool, str | None, object]:
    """(True, the profile used, the decoded struct) when the fast engine proves the file clean."""
    try:
        from ._fast import clean_struct
    except ImportError:  # msgspec is missing: "auto" goes on without it ("fast" is refused earlier)
        return False, None, None
    return clean_struct(data, profile)


def __getattr__(name: str):
    # concurrent.futures takes about 12 ms to import, more than checking a small file: the pool
    # class is imported when a parallel run (or a test replacing it) first asks for it.
    if name == "ProcessPoolExecutor":
        from concurrent.futures import ProcessPoolExecutor

        globals()[name] = ProcessPoolExecutor
        return ProcessPoolExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the main process stops the run and says so; workers
    # stay quiet instead of each printing a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_batch(batch: list[Item], options: Options, max_bytes: int) -> list[FileReport]:
    return [check_item(item, options, max_bytes) for item in batch]


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def run(items: Iterable[Item], options: Options, *, max_bytes: int, jobs: int = 1) -> Iterator[FileReport]:
    """Check every item and yield its report, in the order of `items` whatever `jobs` is."""
    batches = _batches(items)
    head = list(islice(batches, 2))
    if jobs <= 1 or len(head) < 2:
        # One batch or less: starting processes would cost more than it saves.
        for batch in chain(head, batches):
            yield from _check_batch(batch, options, max_bytes)
        return
    window: deque = deque()
    pool = sys.modules[__name__].ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init)
    try:
        for batch in head:
            window.append(pool.submit(_check_batch, batch, options, max_bytes))
        for batch in batches:
            window.append(pool.submit(_check_batch, batch, options, max_bytes))
            if len(window) >= jobs * WINDOW_PER_JOB:
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
