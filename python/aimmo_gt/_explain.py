"""The fast explainer: the reference engine's report on a failing document at about the cost of parsing it.

Almost all of the reference engine's time on a document goes to its annotations, and a failing
document usually has a few failing annotations among many clean ones. The fast engine (_fast.py)
says which are clean: it is asked about the annotations placed in a document that gives them the
context the reference gives them (the profile, the image size) and nothing else to fail, and says
which fail alone (_fast.failing). The reference engine then
checks the whole document, but only the annotations not proven clean
(`_validator.document_diagnostics(..., only=...)`), and only its `annotations` field when the fast
engine passes the document without its annotations (`fields=`): what it reports is what it would
have reported on the whole document, in the same order, since what it skips has nothing to report.
The document's own keywords and the annotations array's keywords (unique ids) are still the
reference's to check, so a rule added to the schemas or the vocabulary is followed here without a
change.

For a file, `load(data)` gives the document that the loader (_loading.py) would give, decoded by
msgspec in C, or None when the loader must look (a byte-order mark, a repeated key, a number out of
range, nesting too deep, anything msgspec refuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, compress, pairwise, repeat
from operator import is_, itemgetter, methodcaller

import msgspec

from . import _fast
from ._diagnostics import Diagnostic
from ._rules import MAX_DEPTH
from ._validator import document_diagnostics, image_size

#: The object id of the context documents (any ObjectId does).
_SCENE = "0" * 24


def _context(document: dict, profile: str | None) -> dict | None:
    """A document with no annotations that the fast engine passes under `profile`, whose image size
    is `document`'s (the context the reference gives each annotation); None when none can be made
    (the reference then checks every annotation)."""
    size = image_size(document)
    if size is not None and not (type(size[0]) is int and type(size[1]) is int):
        return None  # the fast engine bounds points by integer sizes only
    shell: dict = {
        "annotations": [],
        "attributes": {},
        "filename": "x",
        "parent_path": "/",
        "file_id": _SCENE,
    }
    if profile in _fast.IMAGE_PROFILES:
        if size is None:
            return None
        shell["metadata"] = {"width": size[0], "height": size[1]}
    elif profile is None:
        # The union of all types: inferred again by the fast engine from metadata with both an fps
        # and an image size, which fits none.
        if size is None:
            return None
        shell["metadata"] = {"fps": 1, "width": size[0], "height": size[1]}
    elif profile == "video":
        shell["metadata"] = {"fps": 1}
    else:
        shell["metadata"] = {}
    if profile in ("sequence", "pointcloud"):
        shell["scene_id"] = _SCENE
    return shell


def failing_annotations(
    document: dict,
    profile: str | None,
    tolerate: frozenset[str] = frozenset(),
    purpose: str = "export",
    refused: int | None = None,
) -> list[int] | None:
    """The indices (ascending) of the annotations the reference may have something to say about;
    every other annotation has nothing to report (but diagnostics of the rules of `tolerate`, of
    _fast.TOLERABLE). None: every annotation (no list, no context). `refused`: an annotation that
    msgspec's types may have refused first (a hint, checked: only the time it saves depends on it)."""
    annotations = document.get("annotations")
    if not isinstance(annotations, list):
        return None
    shell = _context(document, profile)
    if shell is None:
        return None
    try:
        return _failing(annotations, shell, profile, tolerate, purpose, refused)
    except Exception:  # a surprise here costs speed, never a verdict: the reference checks them all
        return None


def _failing(
    annotations: list,
    shell: dict,
    profile: str | None,
    tolerate: frozenset[str],
    purpose: str,
    refused: int | None = None,
) -> list[int]:
    """First msgspec's types, on all the annotations at once, skipping each one they refuse (its
    message names it); then the fast engine's checks beyond types, on each of the others alone in
    the context (_fast.failing), all in one pass."""
    size = _size(shell)
    kind = _fast.decoder(size, tolerate).type
    failing: list[int] = []
    typed: list = []  # (index, struct) of the annotations msgspec's types take
    low = 0
    if refused is not None and 0 < refused < len(annotations) and _refuses(shell, kind, annotations[refused]):
        # The text's decode stopped there: the ones before are converted once, not twice.
        shell["annotations"] = annotations[:refused]
        try:
            typed += enumerate(msgspec.convert(shell, kind).annotations)
            failing.append(refused)
            low = refused + 1
        except msgspec.ValidationError:
            typed = []  # a wrong hint: from the start
    while low < len(annotations):
        shell["annotations"] = annotations[low:]
        try:
            typed += enumerate(msgspec.convert(shell, kind).annotations, low)
            break
        except msgspec.ValidationError as error:
            at = _fast.refused(str(error))
            if at is None or at >= len(annotations) - low:
                raise  # not about one annotation: the context itself failed (no proof for any)
            bad = low + at
        if bad > low:
            shell["annotations"] = annotations[low:bad]
            typed += enumerate(msgspec.convert(shell, kind).annotations, low)
        failing.append(bad)
        low = bad + 1
    shell["annotations"] = []
    context = msgspec.convert(shell, kind)
    verdict, used, _keys = _fast._clean(context, profile, size, purpose, tolerate)
    if not (verdict and used == profile):
        return list(range(len(annotations)))  # the context fails: no proof for any
    struct = msgspec.structs.replace(context, annotations=[each for _, each in typed])
    failing += (typed[i][0] for i in _fast.failing(struct, profile, size, purpose, tolerate))
    return sorted(failing)


def _refuses(shell: dict, kind: type, annotation: object) -> bool:
    """True when msgspec's types refuse the annotation alone in the context (and only it)."""
    shell["annotations"] = [annotation]
    try:
        msgspec.convert(shell, kind)
    except msgspec.ValidationError as error:
        return _fast.refused(str(error)) == 0
    return False


def _size(shell: dict) -> tuple[int, int] | None:
    metadata = shell["metadata"]
    return (metadata["width"], metadata["height"]) if "width" in metadata else None


@dataclass(frozen=True, slots=True)
class Proof:
    """What the fast engine proves of a document it does not pass: the annotations that may have
    something to report (ascending; None: any of them), and whether the document's other fields
    have nothing to report."""

    failing: list[int] | None = None
    fields: bool = False


def prove(
    document: object,
    profile: str | None,
    tolerate: frozenset[str] = frozenset(),
    purpose: str = "export",
    verdict: _fast.Verdict | None = None,
) -> Proof:
    """The Proof of a parsed document checked under `profile` and `purpose`; `verdict`: what the
    fast engine found of the same document's text (_fast.decode_verdict), when it was asked."""
    if not isinstance(document, dict):
        return Proof()
    if verdict is not None and verdict.document is not None:
        if verdict.failing is not None and profile is not None and verdict.profile == profile:
            return Proof(verdict.failing, True)  # its semantic pass found them, all else passed
        proof = _proof_of_decoded(verdict.document, profile, tolerate, purpose)
        if proof is not None:
            return proof
    refused = verdict.refused if verdict is not None else None
    failing = failing_annotations(document, profile, tolerate, purpose, refused)
    return Proof(failing, fields_clean(document, profile, tolerate, purpose))


def _proof_of_decoded(decoded, profile: str | None, tolerate: frozenset[str], purpose: str) -> Proof | None:
    """The Proof read from the fast engine's own decode of the document, without converting its
    annotations again, when the document's fields pass (None otherwise)."""
    try:
        size = _fast._size(decoded.metadata)
        context = msgspec.structs.replace(decoded, annotations=[])
        verdict, used, _keys = _fast._clean(context, profile, size, purpose, tolerate)
        if not (verdict and used == profile):
            return None
        return Proof(_fast.failing(decoded, profile, size, purpose, tolerate), True)
    except Exception:  # a surprise here costs speed, never a verdict
        return None


def fields_clean(
    document: dict, profile: str | None, tolerate: frozenset[str] = frozenset(), purpose: str = "export"
) -> bool:
    """True when the reference has nothing to say (but diagnostics of the rules of `tolerate`) about
    the document's fields other than its annotations: the fast engine passes the document with no
    annotations under the same profile and purpose. No keyword of the document, its profile or its
    purpose ties another field to the annotations (but the image size, which the annotations'
    checks read from the document itself)."""
    if profile is None:
        return False  # a document that fits no profile is never passed as one
    clean, used = _fast.clean_document({**document, "annotations": []}, profile, purpose, tolerate)
    return clean and used == profile


#: The one field of a document whose fields are proven clean that the reference still checks.
_ANNOTATIONS = ("annotations",)


def explain(
    document: object,
    profile: str | None,
    proof: Proof | None = None,
    tolerate: frozenset[str] = frozenset(),
    purpose: str = "export",
    inferred: bool = False,
) -> list[Diagnostic]:
    """What `_validator.document_diagnostics(document, profile, purpose=, inferred=)` returns,
    checking only what the fast engine does not prove clean (`proof` when already known); with
    `tolerate`, some diagnostics of those rules may be left out (the caller ignores them)."""
    if proof is None:
        proof = prove(document, profile, tolerate, purpose)
    fields = _ANNOTATIONS if proof.fields else None
    points = _clean_points(document, proof.failing, tolerate)
    return document_diagnostics(
        document,
        profile,
        purpose=purpose,
        inferred=inferred,
        only=proof.failing,
        fields=fields,
        clean_items=points,
    )


def _clean_points(document: object, failing: list[int] | None, tolerate: frozenset[str]) -> list[list]:
    """The `points` of the failing annotations whose every point lies within the image the reference
    sees (or is any pair of numbers when there is none), as the fast engine types them: a point has
    nothing to report then, wherever the annotation's fault is."""
    annotations = document.get("annotations") if isinstance(document, dict) else None
    if not failing or not isinstance(annotations, list):
        return []
    size = image_size(document)
    if size is not None and not (type(size[0]) is int and type(size[1]) is int):
        return []  # the fast engine bounds points by integer sizes only
    kind = _fast.points_type(size, tolerate)
    clean = []
    for index in failing:
        annotation = annotations[index]
        points = annotation.get("points") if isinstance(annotation, dict) else None
        if type(points) is list:
            try:
                msgspec.convert(points, kind)
            except msgspec.ValidationError:
                continue
            clean.append(points)
    return clean


# --- Bytes to the loader's document, in C.

_BOM = b"\xef\xbb\xbf"


def load(data: bytes) -> dict | None:
    """The document the loader would read from `data` with nothing to report, or None when the
    loader must read it (it may have something to report)."""
    if data.startswith(_BOM):
        return None
    try:
        document = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    return document


def loader_agrees(data: bytes, document: dict, failing: list[int] | None) -> bool:
    """True when the loader would report nothing about `data`, which msgspec decoded as `document`:
    no object repeats a key (msgspec keeps the last value silently), nothing nests deeper than
    MAX_DEPTH, no integer is beyond the float range. The annotations the fast engine proved clean
    (all but `failing`; None: none proven) have their depth and numbers bound by their types and only
    their keys are counted; the rest of the document is walked."""
    annotations = document.get("annotations")
    keys = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    if failing is not None and isinstance(annotations, list):
        # The proven ones, between the failing ones (slices and maps: no Python loop over them).
        bounds = [-1, *failing, len(annotations)]
        proven = list(chain.from_iterable(annotations[a + 1 : b] for a, b in pairwise(bounds)))
        # A clean annotation's objects are itself, its attributes and its keypoints.
        keys += sum(map(len, proven)) + sum(map(len, map(itemgetter("attributes"), proven)))
        # Only an object counts (an ignored unknown property may be called `keypoints` and hold a
        # string or an array, whose length is no count of keys; an object's own objects it holds
        # are left uncounted, which only costs the parse of _no_duplicate_keys).
        keypoints = list(map(methodcaller("get", "keypoints"), proven))
        keys += sum(map(len, compress(keypoints, map(is_, map(type, keypoints), repeat(dict)))))
        keys += 1  # "annotations" itself
        rest = {key: value for key, value in document.items() if key != "annotations"}
        stack = [(rest, 1), ([annotations[i] for i in failing], 2)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if type(node) is dict:
            keys += len(node)
            values = node.values()
        else:
            values = node  # type: ignore[assignment]
        for child in values:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is int and abs(child) > _fast.FLOAT_MAX:
                return False
    return _fast._no_duplicate_keys(data, keys)
