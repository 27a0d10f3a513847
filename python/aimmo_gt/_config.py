"""The configuration file: `[tool.aimmo-gt]` in pyproject.toml, or an aimmo-gt.toml, found from the
current directory upwards; its keys are the long options of `validate`, checked as the command line
checks them, so an option added to `validate` is a key here without more code."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ._check import PathOptions

# pathlib (with urllib.parse and ipaddress: more than checking a small file) is imported once a
# configuration file is found: a run without one has no path to build.
if TYPE_CHECKING:
    from pathlib import Path

#: Looked for in each directory from the current one upwards; the first that configures aimmo-gt wins
#: (a pyproject.toml without a [tool.aimmo-gt] table does not, and the search goes on above it).
FILES = ("aimmo-gt.toml", "pyproject.toml")
#: Options of `validate` that are not settings: where the settings are, and what to check.
NOT_KEYS = frozenset({"help", "config", "no_config", "paths"})
#: The options that can differ by path: those that change how one file is checked and nothing else.
#: Not `ontology` (dataset.unused counts the uses of the run's one ontology), nor `no-dataset` (a file
#: left out of the whole-export rules would hide the duplicates it holds).
PER_PATH = frozenset({"profile", "warn", "ignore", "strict", "engine"})
#: The key of the per-path overrides: `[[tool.aimmo-gt.overrides]]` with `paths = [GLOB, ...]`.
OVERRIDES = "overrides"


class ConfigError(Exception):
    """A usage error in a configuration file; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    path: Path
    #: Where the settings are in the file: "[tool.aimmo-gt]" in a pyproject.toml, "" at the top.
    table: str
    #: Settings by argparse `dest`, converted and checked as the command line would.
    values: dict[str, object]
    #: Per-path settings (only the PER_PATH options, fields of `Options` that apply to one file).
    overrides: tuple[PathOptions, ...]

    def describe(self) -> str:
        return f"{self.path} {self.table}".rstrip()

    def under(self, explicit: Iterable[str]) -> Config:
        """This configuration under a command line that set the options `explicit` (argparse dests):
        a per-path override does not change those (the command line wins), except that lists
        (warn, ignore) still grow."""
        explicit = set(explicit)
        overrides = tuple(
            replace(
                override,
                changes=tuple(
                    (name, value)
                    for name, value in override.changes
                    if name not in explicit or isinstance(value, tuple)
                ),
            )
            for override in self.overrides
        )
        return replace(self, overrides=overrides)


def find(start: str | Path) -> Path | None:
    """The configuration file that applies in `start`: the nearest, going up."""
    directory = os.path.abspath(start)
    while True:
        for name in FILES:
            candidate = os.path.join(directory, name)
            if not os.path.isfile(candidate):
                continue
            if name == "pyproject.toml" and "aimmo-gt" not in _read(candidate).get("tool", {}):
                continue
            from pathlib import Path

            return Path(candidate)
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _read(path: str | Path) -> dict:
    import tomllib  # only when there is a file to read (2.5 ms: more than checking a small file)

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


#: The kinds of option a file can set: a value, a flag, a list (what validate's options are made of).
_SETTABLE = (
    argparse._StoreAction,
    argparse._StoreTrueAction,
    argparse._StoreFalseAction,
    argparse.BooleanOptionalAction,
    argparse._AppendAction,
    argparse._ExtendAction,
)
_FLAGS = (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse.BooleanOptionalAction)
_LISTS = (argparse._AppendAction, argparse._ExtendAction)


def _settable(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The options a configuration file may set, by key: the long option's name without `--`."""
    keys: dict[str, argparse.Action] = {}
    for action in parser._actions:  # argparse has no public list of a parser's options
        if not action.option_strings or action.dest in NOT_KEYS or action.dest is argparse.SUPPRESS:
            continue
        if not isinstance(action, _SETTABLE):
            continue
        if isinstance(action, argparse.BooleanOptionalAction):  # --dataset/--no-dataset: key "dataset"
            long = action.option_strings[0]
        else:
            long = max(action.option_strings, key=len)
        keys[long.lstrip("-")] = action
    return keys


def _hint(word: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _convert(action: argparse.Action, value: object, where: str) -> object:
    """A TOML value as the command line would give it for `action`, or a ConfigError."""

    def one(item: object) -> object:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ConfigError(f"{where}: expected a string, not {_toml_type(item)}")
        text = str(item)
        converted: object = text
        if action.type is not None:
            convert = action.type
            assert callable(convert)
            try:
                converted = convert(text)
            except (argparse.ArgumentTypeError, TypeError, ValueError) as error:
                raise ConfigError(f"{where}: {error}") from None
        elif not isinstance(item, str):
            raise ConfigError(f"{where}: expected a string, not {_toml_type(item)}")
        if action.choices is not None and converted not in action.choices:
            choices = ", ".join(map(str, action.choices))
            raise ConfigError(f"{where}: {item!r} is not one of {choices}")
        return converted

    if isinstance(action, _FLAGS):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, not {_toml_type(value)}")
        # `no-dataset = true` (a store_false option) sets its dest to False, as the flag would.
        return not value if isinstance(action, argparse._StoreFalseAction) else value
    if isinstance(action, _LISTS) or action.nargs not in (None, "?"):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ConfigError(f"{where}: expected a list of strings, not {_toml_type(value)}")
        return [one(item) for item in items]
    return one(value)


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}
    return names.get(type(value), "a table")


def _settings(
    table: Mapping[str, object],
    keys: Mapping[str, argparse.Action],
    where: str,
    checks: Mapping[str, Callable[[object], str | None]],
) -> dict[str, object]:
    values = {}
    for key, value in table.items():
        if key not in keys:
            known = [*keys, OVERRIDES] if OVERRIDES in table or not where.endswith("]]") else keys
            raise ConfigError(f"{where} unknown key {key!r}{_hint(key, known)}")
        action = keys[key]
        converted = _convert(action, value, f"{where} {key}")
        check = checks.get(action.dest)
        problem = check(converted) if check else None
        if problem:
            raise ConfigError(f"{where} {key}: {problem}")
        values[action.dest] = converted
    return values


def load(
    path: Path,
    parser: argparse.ArgumentParser,
    checks: Mapping[str, Callable[[object], str | None]] = {},
) -> Config:
    """Read and check a configuration file against the options of `parser` (`validate`)."""
    data = _read(path)
    if path.name == "pyproject.toml":
        if "aimmo-gt" not in data.get("tool", {}):
            raise ConfigError(f"{path}: has no [tool.aimmo-gt] table")
        table, label = data["tool"]["aimmo-gt"], "[tool.aimmo-gt]"
    else:
        table, label = data, ""
    # Messages read "FILE: [tool.aimmo-gt] KEY: PROBLEM" (or "FILE: KEY: PROBLEM" in aimmo-gt.toml).
    where = f"{path}: {label}" if label else f"{path}:"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} expected a table")
    keys = _settable(parser)
    overrides_table = table.get(OVERRIDES, [])
    values = _settings({k: v for k, v in table.items() if k != OVERRIDES}, keys, where, checks)
    values = _relative_to(path.parent, values, keys)
    return Config(path, label, values, _overrides(overrides_table, path, label, keys, checks))


#: The metavars of options whose value is a path: in a file, a relative one is relative to that file's
#: directory (as ruff and mypy read theirs), not to wherever aimmo-gt happens to be run.
_PATH_METAVARS = frozenset({"FILE", "DIR"})


def _relative_to(
    directory: Path, values: dict[str, object], keys: Mapping[str, argparse.Action]
) -> dict[str, object]:
    paths = {action.dest for action in keys.values() if action.metavar in _PATH_METAVARS}
    resolved = dict(values)
    for dest, value in values.items():
        if dest in paths and isinstance(value, str) and "://" not in value:
            resolved[dest] = str(directory / os.path.expanduser(value))
    return resolved


def _overrides(
    entries: object,
    path: Path,
    label: str,
    keys: Mapping[str, argparse.Action],
    checks: Mapping[str, Callable[[object], str | None]],
) -> tuple[PathOptions, ...]:
    file_keys = {key: action for key, action in keys.items() if action.dest in PER_PATH}
    name = f"{label[:-1]}.{OVERRIDES}]" if label else OVERRIDES
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError(f"{path}: {name} must be an array of tables ([[{name.strip('[]')}]])")
    result = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: [[{name.strip('[]')}]] number {number}:"
        globs = entry.get("paths")
        if isinstance(globs, str):
            globs = [globs]
        if not globs or not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
            raise ConfigError(f"{where} 'paths' must be a glob or a list of globs, e.g. ['lidar/**']")
        settings = {k: v for k, v in entry.items() if k != "paths"}
        for key in settings.keys() & keys.keys() - file_keys.keys():
            allowed = ", ".join(sorted(file_keys))
            raise ConfigError(f"{where} {key!r} cannot differ by path (these can: {allowed})")
        changes = _settings(settings, file_keys, where, checks)
        fixed = tuple((field, tuple(v) if isinstance(v, list) else v) for field, v in changes.items())
        result.append(PathOptions(str(path.parent.resolve()), tuple(globs), fixed))
    return tuple(result)
