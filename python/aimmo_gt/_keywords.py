"""The semantic vocabulary: one keyword function and one table entry per rule JSON Schema cannot state.

A keyword function has the signature of python-jsonschema's keywords, `(validator, value, instance,
schema)`, starts with a type guard (structure is the schema's job: a keyword says nothing about a
value of the wrong shape), and yields `ValidationError`s whose `path` leads to the smallest node at
fault. Each keyword's meaning for other tools is in schemas/v1/meta/vocabulary.json.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeGuard

from ._diagnostics import Severity, as_json
from ._geometry import ROTATED_TOLERANCE, mask_areas, rotated_extent, rotated_within

if TYPE_CHECKING:
    import jsonschema

#: (width, height) of the image of the document being checked, or None when it has none.
IMAGE_SIZE: ContextVar[tuple[float, float] | None] = ContextVar("IMAGE_SIZE", default=None)

Errors = Iterator["jsonschema.ValidationError"]


def ValidationError(*args, **kwargs) -> jsonschema.ValidationError:
    """jsonschema's ValidationError, imported when a check first fails: importing jsonschema costs
    more than checking a small file, and the CLI passes clean files without it."""
    from jsonschema import ValidationError as error

    return error(*args, **kwargs)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_point(value: object) -> TypeGuard[list]:
    return isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))


#: Python's int <-> str conversions refuse more than sys.get_int_max_str_digits() digits (4300 by
#: default, raising ValueError); 14,000 bits is about 4,200 digits, safely below.
_HUGE_BITS = 14_000


def _fmt(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    value = int(value)
    if value.bit_length() > _HUGE_BITS:
        return f"a {int(value.bit_length() * math.log10(2)) + 1}-digit number"
    return str(value)


def _int(digits: str) -> int:
    """int(digits) for any number of digits (a mask count is a string of any length)."""
    if len(digits) <= 4000:
        return int(digits)
    value = 0
    for start in range(0, len(digits), 4000):
        chunk = digits[start : start + 4000]
        value = value * 10 ** len(chunk) + int(chunk)
    return value


def _xy(point) -> str:
    return f"({_fmt(point[0])}, {_fmt(point[1])})"


def ordered(validator, pairs, instance, schema) -> Errors:
    if not isinstance(instance, dict):
        return
    for pair in pairs:
        lower, upper = pair["lower"], pair["upper"]
        low, high = instance.get(lower), instance.get(upper)
        if not (_is_number(low) and _is_number(high)):
            continue
        strict = pair.get("strict", False)
        if high < low or (strict and high == low):
            relation = "greater than" if strict else "at least"
            yield ValidationError(
                f"{upper} is {_fmt(high)} but must be {relation} {lower} ({_fmt(low)})", path=[upper]
            )


_CORNERS = ("top-left", "top-right", "bottom-right", "bottom-left")


def bboxCorners(validator, value, instance, schema) -> Errors:
    if not (value and isinstance(instance, list) and len(instance) == 4 and all(map(_is_point, instance))):
        return
    (left, top), (right, _), _, (_, bottom) = instance
    expected = [(left, top), (right, top), (right, bottom), (left, bottom)]
    wrong = [i for i in (1, 2, 3) if tuple(instance[i]) != expected[i]]
    xs, ys = sorted({p[0] for p in instance}), sorted({p[1] for p in instance})
    if (
        wrong
        and len(xs) == 2
        and len(ys) == 2
        and {tuple(p) for p in instance} == {(x, y) for x in xs for y in ys}
    ):
        box = [(xs[0], ys[0]), (xs[1], ys[0]), (xs[1], ys[1]), (xs[0], ys[1])]
        yield ValidationError(
            "the bbox corners are those of a box but not in the order top-left, top-right, "
            f"bottom-right, bottom-left: expected {', '.join(map(_xy, box))}"
        )
        return
    for i in wrong:
        source = {1: "corner 1 (top-left) sets its y", 3: "corner 1 (top-left) sets its x"}.get(
            i, "corners 1, 2 and 4 make it"
        )
        yield ValidationError(
            f"bbox corner {i + 1} ({_CORNERS[i]}) is {_xy(instance[i])} but must be "
            f"{_xy(expected[i])}: {source}",
            path=[i],
        )
    if wrong:
        return
    if right <= left:
        yield ValidationError(
            f"the bbox has width {_fmt(right - left)}: corner 2 (top-right) {_xy(instance[1])} must be "
            f"to the right of corner 1 (top-left) {_xy(instance[0])}",
            path=[1],
        )
    if bottom <= top:
        yield ValidationError(
            f"the bbox has height {_fmt(bottom - top)}: corner 4 (bottom-left) {_xy(instance[3])} must be "
            f"below corner 1 (top-left) {_xy(instance[0])}",
            path=[3],
        )


def withinImage(validator, kind, instance, schema) -> Errors:
    size = IMAGE_SIZE.get()
    if size is None:
        return
    if kind == "rotated-rect":
        yield from _rotated_within(instance, size)
        return
    width, height = size
    if kind == "bound":
        # [[top, left], [bottom, right]]: y first, as AIMMO's annotator writes a mask's bound.
        if not _is_bound(instance):
            return
        for i, (y, x) in enumerate(instance):
            outside = _outside(x, y, width, height)
            if outside:
                yield ValidationError(
                    f"bound corner {i + 1} ({_BOUND_CORNERS[i]}) is (y, x) = {_xy((y, x))}, outside the "
                    f"{_fmt(width)} x {_fmt(height)} image: " + " and ".join(outside),
                    path=[i],
                )
        return
    if not _is_point(instance):
        return
    x, y = instance
    outside = _outside(x, y, width, height)
    if outside:
        yield ValidationError(
            f"point (x, y) = {_xy((x, y))} is outside the {_fmt(width)} x {_fmt(height)} image: "
            + " and ".join(outside)
        )


_BOUND_CORNERS = ("top, left", "bottom, right")


def _outside(x, y, width, height) -> list[str]:
    outside = []
    if not 0 <= x <= width:
        outside.append(f"x must be within [0, {_fmt(width)}]")
    if not 0 <= y <= height:
        outside.append(f"y must be within [0, {_fmt(height)}]")
    return outside


def _rect_and_degree(instance: object) -> tuple[list, int | float] | None:
    if not isinstance(instance, dict):
        return None
    rect, degree = instance.get("rect"), instance.get("degree")
    if not (isinstance(rect, list) and len(rect) == 4 and all(map(_is_number, rect)) and _is_number(degree)):
        return None
    return rect, degree


def _rotated_within(instance, size) -> Errors:
    found = _rect_and_degree(instance)
    if found is None:
        return
    rect, degree = found
    width, height = size
    if rotated_within(rect, degree, width, height):
        return
    extent = rotated_extent(rect, degree)
    left, top, right, bottom = (_fmt(round(v, 2)) for v in extent)
    yield ValidationError(
        f"the box rect {as_json(rect)} turned by {_fmt(degree)} degrees spans x [{left}, {right}] and "
        f"y [{top}, {bottom}], which is not within the {_fmt(width)} x {_fmt(height)} image (with "
        f"{ROTATED_TOLERANCE} pixel of tolerance for rounding)",
        path=["rect"],
    )


_RUN = re.compile(r"([0-9]+)([TF])")


def mask_counts(mask: str) -> list[str] | None:
    """The run counts of a well-formed run-length string, as written (digits), else None."""
    counts = []
    position = 0
    while position < len(mask):
        match = _RUN.match(mask, position)
        if not match or match.group(1)[0] == "0":
            return None
        counts.append(match.group(1))
        position = match.end()
    return counts or None


def mask_runs(mask: str) -> list[int] | None:
    """The run counts of a well-formed run-length string, else None."""
    counts = mask_counts(mask)
    return None if counts is None else [_int(count) for count in counts]


def runLength(validator, value, instance, schema) -> Errors:
    # An empty string is the schema's minLength to report.
    if not (value and isinstance(instance, str) and instance) or mask_counts(instance) is not None:
        return
    position, run = 0, 1
    while position < len(instance):
        match = _RUN.match(instance, position)
        if not match:
            found = instance[position : position + 12]
            yield ValidationError(
                f"the mask is not run-length encoded: run {run} at character {position + 1} should be a "
                f"count followed by T or F, found {as_json(found)}"
            )
            return
        if match.group(1)[0] == "0":
            problem = "a count of 0" if match.group(1).strip("0") == "" else "a count with a leading zero"
            yield ValidationError(
                f"the mask's run {run} {as_json(match.group(0))} at character {position + 1} has {problem}; "
                "counts are positive numbers"
            )
            return
        position, run = match.end(), run + 1


def _is_bound(value: object) -> TypeGuard[list]:
    return isinstance(value, list) and len(value) == 2 and all(map(_is_point, value))


def boundOrder(validator, value, instance, schema) -> Errors:
    if not (value and _is_bound(instance)):
        return
    (y1, x1), (y2, x2) = instance
    problems = []
    if y2 < y1:
        problems.append(f"its bottom {_fmt(y2)} is above its top {_fmt(y1)}")
    if x2 < x1:
        problems.append(f"its right {_fmt(x2)} is left of its left {_fmt(x1)}")
    if problems:
        yield ValidationError(
            f"the bound [[top, left], [bottom, right]] = {as_json(instance)} is not in order: "
            + " and ".join(problems),
            path=[1],
        )


def maskArea(validator, names, instance, schema) -> Errors:
    if not isinstance(instance, dict):
        return
    mask, bound = instance.get(names["mask"]), instance.get(names["bound"])
    if not (isinstance(mask, str) and _is_bound(bound)):
        return
    counts = mask_counts(mask)
    (y1, x1), (y2, x2) = bound
    if counts is None or x2 < x1 or y2 < y1:
        return  # runLength and boundOrder say what is wrong
    exclusive, inclusive = mask_areas(y1, x1, y2, x2)
    also = "" if inclusive is None else f" (or {_fmt(inclusive)} counting its bottom and right edges)"
    # (A side of 1e308 - -1e308 overflows to infinity: no count adds up to that.)
    shown = _fmt(exclusive) if exclusive != math.inf else "countless cells"
    covers = f"its bound [[top, left], [bottom, right]] = {as_json(bound)} covers {shown}{also}"
    # Counts are positive, so one with more digits than the larger area cannot add up to it; a long
    # one is not converted (int() of n digits takes time quadratic in n: minutes for 10^7 digits).
    longest = max(map(len, counts))
    above = _digits_above(max(exclusive, inclusive or 0)) if exclusive != math.inf else longest
    if longest > max(above, _LONG_COUNT):
        yield ValidationError(
            f"the mask has a run count of {longest:,} digits, more pixels than {covers}", path=[names["mask"]]
        )
        return
    total = sum(map(_int, counts))
    if total != exclusive and total != inclusive:
        yield ValidationError(
            f"the mask's runs add up to {_fmt(total)} pixels but {covers}", path=[names["mask"]]
        )


#: Digits of a count beyond which it is not converted to a number: far above any image's area.
_LONG_COUNT = 4000


def _digits_above(value: float) -> int:
    """A number of digits that every integer greater than `value` >= 0 written with more digits exceeds."""
    return int(int(value).bit_length() * 0.30103) + 2


#: Non-negative integers written without leading zeros (`0` itself is an index), joined by '-'.
_INDEX = r"(?:0|[1-9][0-9]*)"
_INDICES = re.compile(rf"{_INDEX}(?:-{_INDEX})*")
_INDEX_PARTS = re.compile(r"[0-9]+|[^0-9]")


def indexList(validator, value, instance, schema) -> Errors:
    if not (value and isinstance(instance, str) and instance) or _INDICES.fullmatch(instance):
        return
    yield ValidationError(
        'the lasso indices must be non-negative integers without leading zeros joined by "-", but '
        + _index_problem(instance)
    )


def _index_problem(indices: str) -> str:
    """What is first wrong in a lasso's indices (which do not match _INDICES)."""
    position, index, expect_number = 0, 1, True
    for part in _INDEX_PARTS.finditer(indices):
        text, position = part.group(), part.start()
        if expect_number:
            if not text[0].isdigit():
                return f"character {position + 1} is {as_json(text)} where index {index} should be"
            if len(text) > 1 and text[0] == "0":
                return f"index {index} {as_json(text)} at character {position + 1} has a leading zero"
        elif text != "-":
            return f'character {position + 1} is {as_json(text)} where "-" or the end should be'
        else:
            index += 1
        expect_number = not expect_number
    return 'it ends with "-"'


def keysOf(validator, mapping, instance, schema) -> Errors:
    if not isinstance(instance, dict):
        return
    for array_name, object_name in mapping.items():
        names, keys = instance.get(array_name), instance.get(object_name)
        if not (isinstance(names, list) and isinstance(keys, dict)):
            continue
        known = None  # the names listed in a message, made once (not once per unknown name)
        for i, name in enumerate(names):
            if isinstance(name, str) and name not in keys:
                if known is None:
                    known = ", ".join(map(as_json, islice(keys, 8))) + (", ..." if len(keys) > 8 else "")
                yield ValidationError(
                    f"{as_json(name)} in {array_name} is not a name in {object_name} ({known})",
                    path=[array_name, i],
                )


def _distinct(instance: list, key: str, kinds: tuple[type, ...]) -> bool:
    """True when every item is an object whose `key` holds a value of one of `kinds` and no two of
    them are the same JSON value (values of two kinds never are): then neither uniqueIds nor
    uniqueTracks has anything to say. Checked in C (no Python loop over the items), as an array has
    thousands of them."""
    if not instance or set(map(type, instance)) != {dict}:
        return False
    try:
        values = list(map(itemgetter(key), instance))
    except KeyError:
        return False
    types = set(map(type, values))
    if not types <= set(kinds):
        return False
    if len(types) == 1:  # one kind: the values alone tell
        return len(set(values)) == len(values)
    return len(set(zip(map(type, values), values, strict=True))) == len(values)


def uniqueIds(validator, key, instance, schema) -> Errors:
    if not isinstance(instance, list) or _distinct(instance, key, (str,)):
        return
    first: dict[str, int] = {}
    for i, item in enumerate(instance):
        if not isinstance(item, dict) or not isinstance(item.get(key), str):
            continue
        value = item[key]
        if value in first:
            yield ValidationError(
                f"{key} {as_json(value)} is already used by annotation {first[value]}", path=[i, key]
            )
        else:
            first[value] = i


def typeAliases(validator, aliases, instance, schema) -> Errors:
    if not isinstance(instance, dict):
        return
    kind = instance.get("type")
    if not isinstance(kind, str) or kind not in aliases:
        return
    documented = aliases[kind]
    yield ValidationError(
        f"annotation type {as_json(kind)} is what AIMMO's tools call {as_json(documented)}, the type the "
        f"format documents: write {as_json(documented)} (the annotation is checked as one)",
        path=["type"],
    )
    # Then the annotation is checked as the documented type: this same schema, on the annotation
    # with its documented type (whose own `type` keywords then pass).
    yield from validator.descend({**instance, "type": documented}, schema)


def _track_key(value: object) -> tuple[bool, object] | None:
    """A track id compared as a JSON value (1 and "1" are two tracks); None when it is not one."""
    if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return isinstance(value, str), value
    return None


def uniqueTracks(validator, key, instance, schema) -> Errors:
    if not isinstance(instance, list) or _distinct(instance, key, (str, int)):
        return
    if set(map(type, instance)) == {dict} and not any(map(dict.__contains__, instance, repeat(key))):
        return  # no annotation has a track (in C: the items of the array are many)
    first: dict[tuple[bool, object], int] = {}
    for i, item in enumerate(instance):
        track = _track_key(item.get(key)) if isinstance(item, dict) else None
        if track is None:
            continue
        if track in first:
            yield ValidationError(
                f"{key} {as_json(item[key])} is already the track of annotation {first[track]}: one "
                "instance appears once in a frame",
                path=[i, key],
            )
        else:
            first[track] = i


def spanLength(validator, names, instance, schema) -> Errors:
    if not isinstance(instance, dict):
        return
    start, end, text = (instance.get(names[k]) for k in ("start", "end", "text"))
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(text, str)):
        return
    if isinstance(start, bool) or isinstance(end, bool) or end - start == len(text):
        return
    if end <= start or not text:
        return  # ordered and minLength report these; one problem, one diagnostic
    yield ValidationError(
        f"{names['end']} - {names['start']} is {_fmt(end - start)} but the text {as_json(text)} has "
        f"{len(text)} characters",
        path=[names["end"]],
    )


# Satisfy functions: `(value, instance, context) -> instance`, used to generate valid documents (see
# _generation.py). Each takes a structurally valid instance whose children already satisfy their own
# keywords, and returns a new instance, as close to the given one as it can, that satisfies this keyword
# too and still satisfies the schema and its children's keywords. `context.image` is the image size.


def _above(x):
    """A number just above x (x + 1 when float precision allows)."""
    return x + 1 if x + 1 > x else math.nextafter(x, math.inf)


def _below(x):
    return x - 1 if x - 1 < x else math.nextafter(x, -math.inf)


def _into(x, limit):
    """x, or when outside [0, limit] a number inside it derived from x."""
    if 0 <= x <= limit:
        return x
    if limit <= 0:  # only a schema that allows an empty image gets here: 0, or nothing, fits
        return 0 if limit == 0 else x
    if isinstance(x, int) and isinstance(limit, int):
        return abs(x) % (limit + 1)
    if abs(x) < limit:  # what fmod gives, without converting a side beyond a float's range to one
        return abs(x)
    return math.fmod(abs(x), limit)


def satisfy_ordered(pairs, instance, context):
    instance = dict(instance)
    for pair in pairs:
        lower, upper = pair["lower"], pair["upper"]
        low, high = instance.get(lower), instance.get(upper)
        if not (_is_number(low) and _is_number(high)):
            continue
        if high < low:  # both ends share one schema in every pair of ours, so a swap keeps them valid
            instance[lower], instance[upper] = low, high = high, low
        if pair.get("strict", False) and high == low:
            instance[upper] = _above(low)
    return instance


def _widen(low, high, limit):
    """(low, high) with high > low, within [0, limit] when a limit is given."""
    if high > low:
        return low, high
    if limit is None:
        return low, _above(low)
    if low < limit:
        return low, min(limit, _above(low))
    return max(0, _below(high)), high


def satisfy_bboxCorners(value, points, context):
    if not value:
        return points
    # The box spanned by the 4 points: its corners are made of their coordinates, so they stay
    # within the image when the points are.
    width, height = context.image or (None, None)
    left, right = _widen(min(p[0] for p in points), max(p[0] for p in points), width)
    top, bottom = _widen(min(p[1] for p in points), max(p[1] for p in points), height)
    return [[left, top], [right, top], [right, bottom], [left, bottom]]


def satisfy_withinImage(kind, instance, context):
    if context.image is None:
        return instance
    width, height = context.image
    if kind == "point":
        return [_into(instance[0], width), _into(instance[1], height)]
    if kind == "bound":
        # y first; each coordinate brought inside on its own, then put back in order (boundOrder).
        (y1, x1), (y2, x2) = ((_into(y, height), _into(x, width)) for y, x in instance)
        return [[min(y1, y2), min(x1, x2)], [max(y1, y2), max(x1, x2)]]
    if width < 1 or height < 1:
        return instance  # no rect of integer width and height > 0 fits; the validity property says so
    return {**instance, "rect": _rotated_into(instance["rect"], instance["degree"], width, height)}


def _rotated_into(rect, degree, width, height):
    """The rect, as little changed as can be, such that turned by `degree` it lies within the image."""
    if rotated_within(rect, degree, width, height):
        return rect
    x, y, w, h = rect
    # Smaller sides when the turned box cannot fit at all, then the position moved inside.
    left, top, right, bottom = rotated_extent((0, 0, w, h), degree)
    if right - left > width or bottom - top > height:
        w, h = 1, 1
        left, top, right, bottom = rotated_extent((0, 0, w, h), degree)
    x = min(max(x, math.ceil(-ROTATED_TOLERANCE - left)), math.floor(width + ROTATED_TOLERANCE - right))
    y = min(max(y, math.ceil(-ROTATED_TOLERANCE - top)), math.floor(height + ROTATED_TOLERANCE - bottom))
    if rotated_within((x, y, w, h), degree, width, height):
        return [x, y, w, h]
    return [0, 0, 1, 1]  # turned any way, a 1 x 1 box at the corner lies within 1 pixel of it


def satisfy_runLength(value, mask, context):
    if not value or mask_runs(mask) is not None:
        return mask
    # One run per character, so that different strings give different masks.
    return "".join(f"{ord(c) % 97 + 1}{'TF'[ord(c) % 2]}" for c in mask)


def satisfy_boundOrder(value, bound, context):
    if not value:
        return bound
    (x1, y1), (x2, y2) = bound
    return [[min(x1, x2), min(y1, y2)], [max(x1, x2), max(y1, y2)]]


def satisfy_maskArea(names, instance, context):
    instance = dict(instance)
    # Integer corners (floor keeps them ordered and within the image), so that an area is a count.
    (y1, x1), (y2, x2) = ((math.floor(y), math.floor(x)) for y, x in instance[names["bound"]])
    instance[names["bound"]] = [[y1, x1], [y2, x2]]
    runs = _RUN.findall(instance[names["mask"]])
    exclusive, inclusive = mask_areas(y1, x1, y2, x2)
    # Both readings of the bound are accepted; use each, chosen by the mask itself.
    area = exclusive if (exclusive > 0 and len(runs) % 2) or inclusive is None else inclusive
    counts, left = [], area
    for count, letter in runs[:-1]:
        if left - _int(count) < 1:
            break
        counts.append(f"{count}{letter}")
        left -= _int(count)
    instance[names["mask"]] = "".join(counts) + f"{left}{runs[-1][1]}"
    return instance


def satisfy_indexList(value, indices, context):
    if not value or _INDICES.fullmatch(indices):
        return indices
    return "-".join(str(ord(c)) for c in indices)


def satisfy_keysOf(mapping, instance, context):
    instance = dict(instance)
    for array_name, object_name in mapping.items():
        names, keys = instance.get(array_name), instance.get(object_name)
        if not (isinstance(names, list) and isinstance(keys, dict)):
            continue
        keys = list(keys)
        # Each unknown name becomes a key (picked by the name); repeats are dropped, as uniqueItems says.
        chosen = [n if n in keys else keys[sum(map(ord, n)) % len(keys)] for n in names] if keys else []
        instance[array_name] = list(dict.fromkeys(chosen))
    return instance


#: An annotation id: an optional instance number and '-', then a 36-character uuid.
_INSTANCE_PREFIX = re.compile(r"(?:[0-9]+-)?(.{36})", re.DOTALL)


def satisfy_uniqueIds(key, items, context):
    taken = {item[key] for item in items if isinstance(item, dict) and isinstance(item.get(key), str)}
    seen: set[str] = set()
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get(key), str):
            value = item[key]
            if value in seen:
                # Another instance number on the same uuid: still an annotation id, now unused.
                match = _INSTANCE_PREFIX.fullmatch(value)
                base, n = match.group(1) if match else value, i
                while f"{n}-{base}" in taken:
                    n += 1
                value = f"{n}-{base}"
                taken.add(value)
                item = {**item, key: value}
            seen.add(value)
        out.append(item)
    return out


def satisfy_typeAliases(aliases, instance, context):
    return instance  # a generated annotation's type is one of the documented ones, never an alias


def satisfy_uniqueTracks(key, items, context):
    taken = {_track_key(item.get(key)) for item in items if isinstance(item, dict)}
    seen: set = set()
    out = []
    for item in items:
        track = _track_key(item.get(key)) if isinstance(item, dict) else None
        if track is not None and track in seen:
            # Another track of the same JSON type, not used yet.
            value, n = item[key], 1
            new = _next_track(value, n)
            while _track_key(new) in taken:
                n += 1
                new = _next_track(value, n)
            taken.add(_track_key(new))
            item, track = {**item, key: new}, _track_key(new)
        if track is not None:
            seen.add(track)
        out.append(item)
    return out


def _next_track(value, n):
    return f"{value}-{n}" if isinstance(value, str) else value + n


def satisfy_spanLength(names, instance, context):
    start, text = instance.get(names["start"]), instance.get(names["text"])
    if not (isinstance(start, int) and isinstance(text, str)):
        return instance
    return {**instance, names["end"]: start + len(text)}


@dataclass(frozen=True, slots=True)
class Keyword:
    """One keyword of the vocabulary: its check, its rule, and (for fuzzing) how to satisfy it."""

    name: str
    check: Callable[..., Errors]
    rule: str
    severity: Severity
    summary: str
    #: Makes a generated instance satisfy the keyword: (value, instance, context) -> instance.
    satisfy: Callable[..., Any] | None = None


#: Keywords of our vocabulary that annotate and assert nothing, so no check implements them: `version`,
#: the aimmo-gt release a schema tree belongs to.
ANNOTATION_KEYWORDS = frozenset({"version"})

KEYWORDS: dict[str, Keyword] = {
    keyword.name: keyword
    for keyword in (
        Keyword(
            "ordered",
            ordered,
            "order.end-after-start",
            "error",
            "An end (endFrame, endTime, entity end) comes before its start (or equals it, for an entity).",
            satisfy=satisfy_ordered,
        ),
        Keyword(
            "bboxCorners",
            bboxCorners,
            "geometry.bbox",
            "error",
            "A bbox's 4 points are not top-left, top-right, bottom-right, bottom-left of an "
            "axis-aligned box with width and height > 0.",
            satisfy=satisfy_bboxCorners,
        ),
        Keyword(
            "withinImage",
            withinImage,
            "geometry.within-image",
            "error",
            "A point (or rect corner, keypoint, mask bound) lies outside [0, width] x [0, height].",
            satisfy=satisfy_withinImage,
        ),
        Keyword(
            "runLength",
            runLength,
            "mask.rle",
            "error",
            "A segmentation mask is not a run-length string of <count><T|F> runs with counts > 0.",
            satisfy=satisfy_runLength,
        ),
        Keyword(
            "boundOrder",
            boundOrder,
            "mask.bound-order",
            "error",
            "A mask bound's second corner is not below and right of its first.",
            satisfy=satisfy_boundOrder,
        ),
        Keyword(
            "maskArea",
            maskArea,
            "mask.area",
            "error",
            "A mask's runs do not add up to the area of its bound (exclusive or inclusive).",
            satisfy=satisfy_maskArea,
        ),
        Keyword(
            "indexList",
            indexList,
            "lasso.indices",
            "error",
            "Lasso indices are not non-negative integers joined by '-'.",
            satisfy=satisfy_indexList,
        ),
        Keyword(
            "keysOf",
            keysOf,
            "keypoint.invisible-key",
            "error",
            "An invisible key is not the name of one of the keypoints.",
            satisfy=satisfy_keysOf,
        ),
        Keyword(
            "uniqueIds",
            uniqueIds,
            "annotation.unique-id",
            "error",
            "Two annotations of one document have the same id.",
            satisfy=satisfy_uniqueIds,
        ),
        Keyword(
            "typeAliases",
            typeAliases,
            "annotation.type-alias",
            "error",
            "An annotation type is a name AIMMO's tools use for a documented type (flat_cuboid, "
            "frame_range, landmark); it is then checked as that type.",
            satisfy=satisfy_typeAliases,
        ),
        Keyword(
            "uniqueTracks",
            uniqueTracks,
            "annotation.unique-track",
            "error",
            "Two annotations of one document have the same track_id: one instance twice in a frame.",
            satisfy=satisfy_uniqueTracks,
        ),
        Keyword(
            "spanLength",
            spanLength,
            "entity.span-length",
            "warning",
            "An entity's end - start differs from the length of its text.",
            satisfy=satisfy_spanLength,
        ),
    )
}
