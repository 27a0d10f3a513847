"""The public API: check a parsed GT document and get diagnostics."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ._diagnostics import Diagnostic, count, passes, pointer_from_path, quote
from ._rules import RULES, UNTUNABLE

#: The resource types, each a schema under schemas/v1/profiles/.
PROFILES = ("image", "image-pixel", "sequence", "pointcloud", "video", "text")

#: How a document is checked: "reference" runs python-jsonschema on every document; "fast" first asks
#: the fast engine (_fast.py, on msgspec) whether the document is clean and runs the reference only
#: when it is not (same diagnostics, proven by tests/test_engines_equivalence.py); "auto" is "fast"
#: when msgspec is installed (the `fast` extra), else "reference".
ENGINES = ("auto", "fast", "reference")


@dataclass(frozen=True, slots=True)
class Result:
    """What checking one document found."""

    #: The profile the document was checked against; None when none fitted and the union of all
    #: annotation types was used.
    profile: str | None
    #: True when the profile was inferred from the document rather than given.
    inferred: bool
    diagnostics: tuple[Diagnostic, ...]
    strict: bool = False

    @property
    def errors(self) -> int:
        return count(self.diagnostics, "error")

    @property
    def warnings(self) -> int:
        return count(self.diagnostics, "warning")

    @property
    def valid(self) -> bool:
        return passes(self.diagnostics, self.strict)


class ValidationError(ValueError):
    """Raised by `validate`; `diagnostics` holds every problem found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        summary = f"{first.pointer or '/'}: {first.rule}: {first.message}" if first else "invalid"
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))


def _matches(rule_id: str, selectors: Iterable[str]) -> bool:
    """A selector is a rule id, or a prefix such as `geometry.` (or `geometry`)."""
    for selector in selectors:
        if rule_id == selector or rule_id.startswith(selector.rstrip(".") + "."):
            return True
    return False


def check_selectors(selectors: Iterable[str]) -> list[str]:
    """The selectors that name no rule and no rule prefix (for a usage error)."""
    return [s for s in selectors if not any(_matches(rule_id, [s]) for rule_id in RULES)]


def selector_problem(warn: Iterable[str], ignore: Iterable[str]) -> str | None:
    """Why --warn/--ignore (warn=/ignore=) cannot be used, in the words the CLI prints; None when they can."""
    selectors = [*warn, *ignore]
    unknown = check_selectors(selectors)
    if unknown:
        return f"no rule is named {', '.join(map(repr, unknown))} (see 'aimmo-gt rules' for the rule ids)"
    fixed = sorted(set(selectors) & UNTUNABLE)
    if fixed:
        return (
            f"{', '.join(fixed)} cannot be lowered or ignored: such a file was not checked at all "
            "(a prefix such as 'json.' selects only the rules that can be)"
        )
    return None


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


def tune(
    diagnostics: Iterable[Diagnostic], warn: Iterable[str] = (), ignore: Iterable[str] = ()
) -> Iterator[Diagnostic]:
    """Apply --ignore and --warn to diagnostics (ignore wins over warn; UNTUNABLE rules stay)."""
    warn, ignore = tuple(warn), tuple(ignore)
    for diagnostic in diagnostics:
        if diagnostic.rule in UNTUNABLE:
            yield diagnostic
            continue
        if ignore and _matches(diagnostic.rule, ignore):
            continue
        if warn and diagnostic.severity == "error" and _matches(diagnostic.rule, warn):
            diagnostic = Diagnostic(diagnostic.rule, "warning", diagnostic.pointer, diagnostic.message)
        yield diagnostic


def infer_profile(document: object) -> str | None:
    """The resource type a document looks like (DECISIONS.md), or None when it fits none."""
    from ._validator import infer_profile as _infer

    return _infer(document)


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

    The document is a JSON value as `json.load` returns it (dict, list, str, int, float, bool, None).
    Anything else (a tuple, a set, NaN, a key that is not a string) is a diagnostic, as in a file,
    whichever the engine. `warn` and `ignore` are lists of rule ids or prefixes, checked as the CLI
    checks them (TypeError, ValueError). `engine` is one of ENGINES.
    """
    from ._validator import document_diagnostics

    warn, ignore = _selectors("warn", warn), _selectors("ignore", ignore)
    problem = selector_problem(warn, ignore)
    if problem:
        raise ValueError(problem)
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    inferred = profile is None
    if inferred:
        profile = infer_profile(document)
    # What no file can hold (NaN, a number beyond a float, a set, a key that is not a string) gets
    # the diagnostic a file holding the nearest JSON would, and the document is not checked further.
    not_json = json_value_problems(document)
    if not_json:
        return Result(profile, inferred, tuple(not_json), strict)
    if engine != "reference" and _fast_is_clean(document, profile, engine):
        return Result(profile, inferred, (), strict)
    diagnostics = tuple(tune(document_diagnostics(document, profile), warn, ignore))
    return Result(profile, inferred, diagnostics, strict)


#: The most problems json_value_problems reports in one document (as the loader does for a file).
MAX_VALUE_PROBLEMS = 20


def json_value_problems(document: object) -> list[Diagnostic]:
    """A diagnostic for each value JSON cannot hold (found without recursion): `json.non-finite` for
    NaN and infinities, `json.number-range` for an integer beyond a 64-bit float, `json.value` for
    anything not a JSON value (a tuple, a set, bytes, an object key that is not a string...)."""
    found: list[Diagnostic] = []
    stack: list[tuple[object, tuple]] = [(document, ())]
    while stack and len(found) < MAX_VALUE_PROBLEMS:
        node, path = stack.pop()
        problem = None
        if isinstance(node, str | bool) or node is None:
            continue
        if isinstance(node, dict):
            keys = [key for key in node if not isinstance(key, str)]
            if keys:
                problem = (
                    "json.value",
                    f"the object has a key {quote(keys[0])}; JSON object keys are strings",
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
    return found


def _fast_is_clean(document: object, profile: str | None, engine: str) -> bool:
    try:
        from ._fast import clean_document
    except ImportError:
        if engine == "fast":
            raise ImportError("engine='fast' needs msgspec: pip install msgspec") from None
        return False
    clean, used = clean_document(document, profile)
    return clean and used == profile


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
