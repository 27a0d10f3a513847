"""Bytes to a JSON document, each way a file can be broken turned into a diagnostic with its own rule."""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from json.decoder import scanstring  # type: ignore[attr-defined]  # json's C string scanner; not in the stubs
from typing import cast

from ._diagnostics import Diagnostic, Severity, as_json, pointer_from_path
from ._rules import MAX_DEPTH

#: Deepest nesting accepted. A GT document nests five levels (document, annotations, annotation,
#: points, point); anything far deeper is not a GT file and would make recursive code (ours, the
#: validator's, repr of a value in a message) fail.

_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the text: 1-based line and column (the column counts characters)."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


@dataclass(frozen=True, slots=True)
class Loaded:
    """What reading one JSON text found: the document (None when unusable) and the problems."""

    document: object
    diagnostics: tuple[Diagnostic, ...]
    #: Where each diagnostic is in the text when the parser knows, parallel to `diagnostics`.
    positions: tuple[Position | None, ...]


class _NonFinite(ValueError):
    pass


class _Duplicate(ValueError):
    pass


def _pairs_hook(pairs: list) -> dict:
    # Duplicate keys are detected here and located afterwards: the hook does not know where it is.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate
    return result


_FAILED = object()


def _decode(decoder: json.JSONDecoder, text: str, problem) -> object:
    """The document, or _FAILED once the syntax error or the excessive depth is reported."""
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as error:
        _parse_problem(text, error, problem)
    except RecursionError:
        _too_deep(text, problem)
    return _FAILED


def _reject_constant(name: str):
    raise _NonFinite(name)


class _TooLarge(ValueError):
    pass


_FLOAT_MAX = 1.7976931348623157e308


def _parse_int(token: str) -> int:
    # Checked before int(): past 4,300 digits int() refuses (a ValueError with no position).
    if len(token) >= 309 and (len(token) > 4000 or abs(int(token)) > _FLOAT_MAX):
        raise _TooLarge(token)
    return int(token)


def _parse_float(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise _TooLarge(token)
    return value


# The hooks cost little (a call per number and object) and find what json accepts but we must not:
# NaN and Infinity, numbers that overflow a float (json turns 1e400 into inf), and duplicate keys.
_decoder = json.JSONDecoder(
    object_pairs_hook=_pairs_hook,
    parse_constant=_reject_constant,
    parse_int=_parse_int,
    parse_float=_parse_float,
)


def load(data: bytes) -> tuple[object | None, list[Diagnostic]]:
    """Parse one GT document from bytes: the document (None when unusable) and the diagnostics.

    This is the one seam between bytes and documents, so a faster parser can replace it.
    """
    loaded = load_positioned(data)
    return loaded.document, list(loaded.diagnostics)


def load_positioned(data: bytes) -> Loaded:
    """`load`, keeping the line and column of each diagnostic when known."""
    diagnostics: list[Diagnostic] = []
    positions: list[Position | None] = []

    def problem(
        rule: str,
        message: str,
        pointer: str = "",
        position: Position | None = None,
        severity: Severity = "error",
    ) -> None:
        if position is not None:
            message = f"{message} (at {position})"
        diagnostics.append(Diagnostic(rule, severity, pointer, message))
        positions.append(position)

    def done(document: object = None) -> Loaded:
        return Loaded(document, tuple(diagnostics), tuple(positions))

    if data.startswith(_BOM):
        problem(
            "json.bom",
            "the file starts with a UTF-8 byte-order mark; JSON text must not",
            position=Position(1, 1),
            severity="warning",
        )
        data = data[len(_BOM) :]
    if not data.strip(_WHITESPACE):
        problem("json.empty", "the file is empty" if not data else "the file holds only white space")
        return done()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = error.start
        line = data.count(b"\n", 0, start) + 1
        column = start - (data.rfind(b"\n", 0, start) + 1) + 1
        problem(
            "json.encoding",
            f"byte 0x{data[start]:02x} at offset {start} is not valid UTF-8 ({error.reason}); "
            "the file must be saved as UTF-8",
            position=Position(line, column),
        )
        return done()

    try:
        document = _decode(_decoder, text, problem)
    except (_NonFinite, _Duplicate, _TooLarge):
        # Values Python's json reads but JSON (or a float) cannot hold: report every one. When the
        # only ones are duplicate keys the document is well defined (the last value wins, as in
        # every JSON library), so it is read that way and checked as usual. NaN, Infinity and
        # overflowing numbers would only make the checks cascade: no document then.
        if not _report_values(text, problem):
            return done()
        document = _decode(_lenient, text, problem)
    if document is _FAILED:
        return done()

    if _depth_exceeds(document, MAX_DEPTH):
        _too_deep(text, problem)
        return done()
    if not isinstance(document, dict):
        problem(
            "json.root-type",
            f"the document is {_json_type(document)}; a GT file holds one JSON object",
            "",
            Position(1, 1),
        )
        return done()
    return done(document)


#: Reads what Python's json reads: for documents whose only problem is duplicate keys.
_lenient = json.JSONDecoder()

#: At most this many value problems are reported per document (a file full of NaN says so enough).
MAX_VALUE_PROBLEMS = 20


def _parse_problem(text: str, error: json.JSONDecodeError, problem) -> None:
    message = error.msg[0].lower() + error.msg[1:]
    if error.pos >= len(text.rstrip()):
        message += "; the file looks truncated"
    problem("json.parse", message, _pointer_at(text, error.pos), Position(error.lineno, error.colno))


def _report_values(text: str, problem) -> bool:
    """Report every duplicate key, NaN or Infinity, and number out of the float range, in order;
    True when there were only duplicate keys."""
    found = 0
    only_duplicates = True
    for event in scan(text):
        if event.duplicate:
            key = event.pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            rule = "json.duplicate-key"
            message = f"the key {as_json(key)} appears twice in the same object; only the last value is kept"
        elif event.kind == "literal" and event.token not in _JSON_LITERALS:
            rule = "json.non-finite"
            message = f"{event.token} is not a JSON number (JSON has no NaN or Infinity)"
        elif event.kind == "number" and _overflows(event.token):
            rule = "json.number-range"
            token = event.token
            shown = token if len(token) <= 24 else f"{token[:10]}...{token[-6:]} ({len(token)} characters)"
            message = f"{shown} is too large for a 64-bit float"
        else:
            continue
        only_duplicates = only_duplicates and rule == "json.duplicate-key"
        problem(rule, message, event.pointer, _position(text, event.offset))
        found += 1
        if found == MAX_VALUE_PROBLEMS:
            break
    return only_duplicates


def _overflows(token: str) -> bool:
    try:
        if any(c in token for c in ".eE"):
            _parse_float(token)
        else:
            _parse_int(token)
    except _TooLarge:
        return True
    return False


def _too_deep(text: str, problem) -> None:
    found = _first(text, lambda event: event.depth > MAX_DEPTH)
    pointer, position = (found.pointer, _position(text, found.offset)) if found else ("", None)
    problem("json.depth", f"arrays and objects nest more than {MAX_DEPTH} levels deep", pointer, position)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _depth_exceeds(document: object, limit: int) -> bool:
    """True when containers nest more than `limit` levels (level by level: no recursion on deep input)."""
    level: list[dict | list] = [document] if type(document) is dict or type(document) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[dict | list] = []
        for container in level:
            values = container.values() if type(container) is dict else container
            below += [value for value in values if type(value) is list or type(value) is dict]
        level = below
    return False


# --- A tolerant scanner: JSON text to (pointer, offset) events, iterative, for failing files only.

_JSON_LITERALS = frozenset(("true", "false", "null"))

# No pattern for strings: `"(?:[^"\\]|\\.)*"` costs sre ~170 bytes of backtracking stack per
# character (a 100 MB string would take 17 GB); json's own C scanner reads them in linear memory.
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
    |(?P<string>")
    |(?P<punct>[{}\[\]:,])
    |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    |(?P<literal>true|false|null|NaN|-?Infinity)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Event:
    """A value (or an object member's key) starting at `offset`."""

    #: "key" for an object member's key, "close" for the end of an array or object (its pointer),
    #: else the kind of value: string, number, literal, punct ({ or [).
    kind: str
    pointer: str
    offset: int
    token: str
    depth: int
    duplicate: bool = False


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def scan(text: str) -> Iterator[Event]:
    """Yield an event for every key and value in document order; stop quietly at invalid text."""
    # Each frame: [is_object, pointer, next index (arrays) or current member pointer (objects), keys seen]
    stack: list[list] = []
    expect_key = False
    position, end = 0, len(text)
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None:
            return
        position = match.end()
        kind = match.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        if kind == "space":
            continue
        token = match.group()
        frame = stack[-1] if stack else None
        decoded = ""
        if kind == "string":
            try:
                decoded, position = scanstring(text, position, False)
            except ValueError:
                return
        if token in ("}", "]"):
            if not stack:
                return
            closed = stack.pop()
            expect_key = False
            yield Event("close", closed[1], match.start(), token, len(stack) + 1)
            continue
        if token == ",":
            expect_key = bool(frame and frame[0])
            continue
        if token == ":":
            continue
        if expect_key:
            assert frame is not None  # a key is expected only inside an object
            if kind != "string":
                return
            key = decoded
            token = text[match.start() : position]
            pointer = frame[1] + "/" + _escape(key)
            duplicate = key in frame[3]
            frame[3].add(key)
            frame[2] = pointer
            expect_key = False
            yield Event("key", pointer, match.start(), token, len(stack), duplicate)
            continue
        if frame is None:
            pointer = ""
        elif frame[0]:
            pointer = frame[2]
        else:
            pointer = frame[1] + "/" + str(frame[2])
            frame[2] += 1
        depth = len(stack) + 1 if token in ("{", "[") else len(stack)
        yield Event(kind, pointer, match.start(), token, depth)
        if token == "{":
            stack.append([True, pointer, None, set()])
            expect_key = True
        elif token == "[":
            stack.append([False, pointer, 0, None])
        elif kind == "punct":
            return


def _first(text: str, predicate) -> Event | None:
    for event in scan(text):
        if predicate(event):
            return event
    return None


def _pointer_at(text: str, offset: int) -> str:
    """The pointer of the innermost array or object still open at `offset` (best effort)."""
    open_containers = [""]
    for event in scan(text):
        if event.offset >= offset:
            break
        if event.kind == "close":
            open_containers.pop()
        elif event.token in ("{", "[") and event.kind == "punct":
            open_containers.append(event.pointer)
    return open_containers[-1] if open_containers else ""


def _position(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Position(line, column)


def locate(text: str | bytes, pointers: Collection[str]) -> dict[str, Position]:
    """Where each pointer's value (an object member: its key) starts; pointers not found are left out.

    `text` is one the loader read (it may hold repeated keys, each walked: the first place found is
    given, as by `scan`), or the bytes of a file: then the positions are those in its text as the
    loader reads it (a UTF-8 byte-order mark not counted), found without decoding the file or
    building any value when msgspec reads it (`_locate_bytes`), else as in the text. Linear in the
    text's length whatever the number of pointers: offsets first, then lines and columns in one pass
    (tests/cli/test_positions.py counts the characters looked at)."""
    wanted = set(pointers)
    found: dict[str, Position] = {}
    if "" in wanted:
        found[""] = Position(1, 1)
        wanted.discard("")
    if not wanted:
        return found
    if not isinstance(text, str):
        data = bytes(text)
        located = _locate_bytes(data, wanted)
        if located is not None:
            found.update(located)
            return found
        text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    try:
        offsets = _walk_offsets(text, wanted)
    except Exception:  # text the walk cannot read (never the loader's): the tolerant scanner says
        offsets = _scan_offsets(text, wanted)
    found.update(zip(offsets, positions(text, offsets.values()), strict=True))
    return found


def _scan_offsets(text: str, wanted: set[str]) -> dict[str, int]:
    """`_walk_offsets` by the tolerant scanner: a Python step per token of the whole text."""
    offsets: dict[str, int] = {}
    for event in scan(text):
        if event.pointer in wanted and event.pointer not in offsets:
            offsets[event.pointer] = event.offset
            if len(offsets) == len(wanted):
                break
    return offsets


#: json's scanner (in C): reads one whole value at an offset and gives the offset after it.
_skip_value = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__, not in the stubs
_SPACES = " \t\r\n"
#: The white space at an offset (always a match, empty when there is none).
_skip_space = cast("Callable[..., re.Match[str]]", re.compile(r"[ \t\r\n]*").match)


class _AllFound(Exception):
    pass


def _walk_offsets(text: str, wanted: set[str]) -> dict[str, int]:
    """The offset of each wanted pointer found, as `scan` finds it (the first place in document
    order), stepping in Python only through the containers on the way to a wanted pointer: every
    other value is skipped whole by json's C scanner. Raises on text that is not JSON."""
    # The containers to walk into: the proper prefixes of the wanted pointers ("" is the root).
    inside = {pointer[:cut] for pointer in wanted for cut, c in enumerate(pointer) if c == "/"}
    offsets: dict[str, int] = {}
    skip, space, spaces = _skip_value, _skip_space, _SPACES
    # A step per member of a container on the way (an annotation among thousands): written out
    # here, with no call but json's, since it is the walk's own cost beside the C scanner's.

    def container(pointer: str, position: int) -> int:
        """Walk the array or object at `position`; the offset after it."""
        closing = "}" if text[position] == "{" else "]"
        position += 1
        if text[position] in spaces:
            position = space(text, position).end()
        index = 0
        while text[position] != closing:
            if closing == "}":
                if text[position] != '"':
                    raise ValueError(f"a key expected at {position}")
                key, after = scanstring(text, position + 1, False)
                member = f"{pointer}/{_escape(key)}" if "~" in key or "/" in key else f"{pointer}/{key}"
                start = position  # an object member is where its key is
                position = space(text, after).end()
                if text[position] != ":":
                    raise ValueError(f"':' expected at {position}")
                position += 1
                if text[position] in spaces:
                    position = space(text, position).end()
            else:
                member = f"{pointer}/{index}"
                index += 1
                start = position
            if member in wanted and member not in offsets:
                offsets[member] = start
                if len(offsets) == len(wanted):
                    raise _AllFound
            if member in inside and text[position] in "{[":
                position = container(member, position)
            else:
                position = skip(text, position)[1]
            if text[position] in spaces:
                position = space(text, position).end()
            if text[position] == ",":
                position += 1
                if text[position] in spaces:
                    position = space(text, position).end()
            elif text[position] != closing:
                raise ValueError(f"',' or {closing!r} expected at {position}")
        return position + 1

    with contextlib.suppress(_AllFound):
        position = space(text, 0).end()
        if "" in inside and text[position] in "{[":
            container("", position)
    return offsets


# --- The same walk on the bytes of a file msgspec reads: a container on the way is decoded in C as
# its members' raw texts (msgspec.Raw: nothing built), whose lengths step from member to member.

#: The separator between two members (an array's, an object's), and between a key and its value.
_comma = cast("Callable[..., re.Match[bytes] | None]", re.compile(rb"[ \t\r\n]*,[ \t\r\n]*").match)
_colon = cast("Callable[..., re.Match[bytes] | None]", re.compile(rb"[ \t\r\n]*:[ \t\r\n]*").match)
_space = cast("Callable[..., re.Match[bytes]]", re.compile(rb"[ \t\r\n]*").match)
#: Whether JSON spells a key with escapes (then msgspec takes it for no field name).
_escaped = re.compile(r'[\x00-\x1f"\\]').search

#: Bytes msgspec may decode for a walk, in lengths of the file: a container on the way is decoded
#: again inside its parent (about twice the file for a GT pointer); a deep nest would cost its depth
#: times the file, so past this the walk gives up and the text's walk (linear) says.
BYTES_WALK_BUDGET = 6


def _locate_bytes(data: bytes, wanted: set[str]) -> dict[str, Position] | None:
    """`locate` on a file's bytes; None when msgspec cannot read them or a pointer is not found the
    first time the walk passes its place (a repeated key may hold it further on): the text says then."""
    base = len(_BOM) if data.startswith(_BOM) else 0
    try:
        offsets = _bytes_offsets(data, base, wanted)
        if offsets is None:
            return None
        return dict(zip(offsets, _byte_positions(data, base, offsets.values()), strict=True))
    except Exception:  # bytes msgspec (or this walk) cannot read: the text's walk reads what it can
        return None


def _bytes_offsets(data: bytes, base: int, wanted: set[str]) -> dict[str, int] | None:
    """The byte offset of each wanted pointer, as `_walk_offsets` finds it in the text, or None."""
    # The pointers as a tree of their parts (a pointer not starting with "/" is found nowhere).
    tree: dict = {}
    for pointer in wanted:
        if pointer.startswith("/"):
            node = tree
            for part in pointer[1:].split("/"):
                node = node.setdefault(part, {})
    return _BytesWalk(data, wanted).run(tree, _space(data, base).end(), memoryview(data)[base:])


class _Lost(Exception):
    """A pointer is not where the walk first passes its place (a repeated key may hold it further on)."""


class _BytesWalk:
    """The walk of `_walk_offsets` on bytes msgspec reads. A container on the way is decoded in C as
    its members' raw texts (msgspec.Raw: no value built), whose lengths step from member to member.

    An array's members are all kept. An object decoded as a dict keeps one value per key (the last)
    in the order of the first: what is taken from one is checked against the text (a key spelled
    there, a value the same bytes), so a repeated key stops the walk before anything is misplaced,
    and a member found is its key's first place."""

    def __init__(self, data: bytes, wanted: set[str]) -> None:
        self.data = data
        self.wanted = wanted
        self.offsets: dict[str, int] = {}
        self.budget = BYTES_WALK_BUDGET * len(data)
        self.arrays, self.objects = _raw_decoders()

    def run(self, tree: dict, at: int, raw) -> dict[str, int] | None:
        # Each: the tree below a container, its pointer, its offset, its raw text; an array's
        # members when its parent's decoding gave them (else None).
        stack: list[tuple[dict, str, int, object, list | None]] = [(tree, "", at, raw, None)]
        try:
            while stack:
                node, pointer, at, raw, items = stack.pop()
                if items is not None or self.data[at] == 0x5B:  # [
                    stack += self.array(node, pointer, at, raw, items)
                else:
                    stack += self.object(node, pointer, at, raw)
        except _Lost:
            return None
        return self.offsets

    def spend(self, size: int) -> None:
        self.budget -= size
        if self.budget < 0:
            raise _Lost  # a deep nest: the text's walk is linear

    def found(self, member: str, below: dict, at: int, raw, items: list | None = None) -> list:
        """Record a member found at `at` (its key's offset for an object member, kept by the caller);
        the container to walk below it, if any."""
        if not below:
            return []
        if self.data[at] not in b"[{" or (raw is not None and not self.data.startswith(raw, at)):
            raise _Lost  # a scalar on the way, or another value of a repeated key
        return [(below, member, at, raw, items)]

    def array(self, node: dict, pointer: str, at: int, raw, items: list | None) -> list:
        data = self.data
        if items is None:
            self.spend(len(raw))
            items = self.arrays(raw)
        targets = {}
        for part, below in node.items():
            if part.isascii() and part.isdigit() and part == str(int(part)):  # else found nowhere
                if int(part) >= len(items):
                    raise _Lost
                targets[int(part)] = (f"{pointer}/{part}", below)
        if not targets:
            return []
        last = max(targets)
        first = _space(data, at + 1).end()
        starts = {0: first}
        if last:
            comma = _comma(data, first + len(items[0]))
            if comma is None:
                raise _Lost
            separator = comma.group()
            sums = list(accumulate(map(len, items[:last]), initial=first))
            if (
                data.startswith(separator.join(items[:last]) + separator, first)
                and data[sums[-1] + last * len(separator)] not in _WHITESPACE
            ):
                # One separator throughout (as every writer writes; the last one not longer): the
                # offsets are sums.
                starts = {index: sums[index] + index * len(separator) for index in targets}
            else:
                position = first
                for index, item in enumerate(items[:last], 1):
                    if not data.startswith(item, position):
                        raise _Lost
                    comma = _comma(data, position + len(item))
                    if comma is None:
                        raise _Lost
                    position = starts[index] = comma.end()
        # The members before the last wanted one are the text's; it too (items given by the parent
        # may be those of a repeated key's other value: `{"a": [], "a": [1]}`).
        if not data.startswith(items[last], starts[last]):
            raise _Lost
        below = []
        for index, (member, under) in targets.items():
            if member in self.wanted:
                self.offsets[member] = starts[index]
            below += self.found(member, under, starts[index], items[index])
        return below

    def object(self, node: dict, pointer: str, at: int, raw) -> list:
        # The wanted members: key -> (pointer, tree below); a part no key escapes to is found nowhere.
        targets = {}
        for part, below in node.items():
            key = part.replace("~1", "/").replace("~0", "~")
            if _escape(key) == part:
                targets[key] = (f"{pointer}/{part}", below)
        if not targets:
            return []
        if len(targets) == 1:
            [(key, (member, below))] = targets.items()
            found = self.one_member(at, at + len(raw), key)
            if found is not None:
                key_at, value_at = found
                if member in self.wanted:
                    self.offsets[member] = key_at
                if not below:
                    return []
                # Its value decoded with the object, in one pass over it.
                array = self.data[value_at] == 0x5B
                self.spend(len(raw))
                value = _member_decoder(key, array)(raw).value
                if array:
                    return self.found(member, below, value_at, None, value)
                return self.found(member, below, value_at, value)
        return self.members(targets, at, raw)

    def one_member(self, at: int, end: int, key: str) -> tuple[int, int] | None:
        """The offsets of the first member `key` of the object at `at` and of its value, when the
        first place the key is spelled (as msgspec spells it) is that member's; else None."""
        data = self.data
        if _escaped(key):
            return None  # not a field name msgspec takes: spelled with escapes
        spelled = _json_encode(key)
        start = data.find(spelled, at + 1, end)
        if start < 0:
            return None
        head = data[at:start].rstrip(b" \t\r\n")
        if head != b"{":
            # Where the object's members before it, closed, make an object without the key.
            if not head.endswith(b","):
                return None
            self.spend(len(head))
            try:
                before = self.objects(head[:-1] + b"}")
            except ValueError:  # msgspec's DecodeError: inside a string, or in a member's value
                return None
            if key in before:
                return None  # spelled otherwise before
        colon = _colon(data, start + len(spelled))
        if colon is None:
            return None
        return start, colon.end()

    def members(self, targets: dict, at: int, raw) -> list:
        """The wanted members of the object at `at`, stepping over every member before them."""
        data = self.data
        self.spend(len(raw))
        members = self.objects(raw)
        order = {key: index for index, key in enumerate(members)}
        wanted: dict[int, tuple[str, dict]] = {}
        for key, target in targets.items():
            if key not in order:
                raise _Lost
            wanted[order[key]] = target
        last = max(wanted)
        position = _space(data, at + 1).end()
        below = []
        for index, key in enumerate(members):
            start = position
            spelled = _json_encode(key)
            if data.startswith(spelled, position):
                position += len(spelled)
            else:  # spelled otherwise (escapes): read as the file spells it
                position = _string_end(data, position)
                if _json_decode(data[start:position]) != key:
                    raise _Lost  # a repeated key shifted the members
            colon = _colon(data, position)
            if colon is None:
                raise _Lost
            position = colon.end()
            value = members[key]
            if index in wanted:
                member, under = wanted[index]
                if member in self.wanted:
                    self.offsets[member] = start
                below += self.found(member, under, position, value)
            if index == last:
                return below
            if not data.startswith(value, position):
                raise _Lost  # another value of a repeated key
            comma = _comma(data, position + len(value))  # also: a number's digits all stepped over
            if comma is None:
                raise _Lost
            position = comma.end()
        raise _Lost  # not reached: `last` is a member's index


@functools.cache
def _raw_decoders() -> tuple[Callable, Callable]:
    """msgspec's decoders of an array and an object to their members' raw texts (made once: given
    the type at each call, msgspec.json.decode takes as long again to look it up)."""
    from msgspec import Raw
    from msgspec.json import Decoder

    return Decoder(list[Raw]).decode, Decoder(dict[str, Raw]).decode


@functools.lru_cache(maxsize=256)
def _member_decoder(key: str, array: bool) -> Callable:
    """msgspec's decoder of an object to the raw text of its member `key` (the members of the raw
    text when an array), skipping the others: a struct of one field named so."""
    from msgspec import Raw, defstruct
    from msgspec.json import Decoder

    return Decoder(
        defstruct("Member", [("value", list[Raw] if array else Raw)], rename={"value": key})
    ).decode


def _json_encode(value: object) -> bytes:
    from msgspec.json import encode

    return encode(value)


def _json_decode(data: bytes) -> object:
    from msgspec.json import decode

    return decode(data)


def _string_end(data: bytes, start: int) -> int:
    """The offset after the JSON string starting at `start` (its closing quote not escaped)."""
    end = start
    while True:
        end = data.index(b'"', end + 1)
        backslash = end - 1
        while data[backslash] == 0x5C:  # each run of backslashes is looked at once: before its quote
            backslash -= 1
        if (end - 1 - backslash) % 2 == 0:
            return end + 1


def _byte_positions(data: bytes, base: int, offsets: Iterable[int]) -> list[Position]:
    """`positions` on the bytes: the line and column in the text from `base` on (the column counts
    characters: each stretch between two offsets is decoded once, as the text decodes it)."""
    offsets = list(offsets)
    result: list[Position] = [Position(1, 1)] * len(offsets)
    line, column, counted = 1, 1, base
    for index in sorted(range(len(offsets)), key=offsets.__getitem__):
        offset = offsets[index]
        after = data.rfind(b"\n", counted, offset) + 1  # memrchr: a minified file is one line
        if after:
            line += data.count(b"\n", counted, after)
            counted, column = after, 1
        # An offset starts a token (an ASCII byte): the stretches decode as the whole text does.
        column += len(data[counted:offset].decode("utf-8", "replace"))
        counted = offset
        result[index] = Position(line, column)
    return result


def positions(text: str, offsets: Iterable[int]) -> list[Position]:
    """The line and column of each offset, counting the text's lines once (offsets in any order)."""
    offsets = list(offsets)
    result: list[Position] = [Position(1, 1)] * len(offsets)
    line, line_start, counted = 1, 0, 0
    for index in sorted(range(len(offsets)), key=offsets.__getitem__):
        offset = offsets[index]
        newlines = text.count("\n", counted, offset)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", counted, offset) + 1
        counted = offset
        result[index] = Position(line, offset - line_start + 1)
    return result


__all__ = [
    "MAX_DEPTH",
    "Loaded",
    "Position",
    "load",
    "load_positioned",
    "locate",
    "pointer_from_path",
    "positions",
    "scan",
]
