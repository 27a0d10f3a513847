"""Write docs/reference.md, the field-by-field reference of the v1 schemas, from the schema files."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin

ROOT = Path(__file__).resolve().parents[1]
VERSION_DIR = ROOT / "schemas" / "v1"
OUTPUT = ROOT / "docs" / "reference.md"
BASE = "https://schemas.aimmo-gt.org/v1/"
VOCABULARY = BASE + "meta/vocabulary.json"
DIALECT = BASE + "meta/dialect.json"

#: Keywords that say what a schema is, not what it allows: read for the prose, never as constraints.
_ABOUT = frozenset({"$schema", "$id", "title", "description", "examples", "$comment", "$defs", "version"})


#: How a definition's `$defs` variants are used, by the definition's path.
_VARIANT_USE = {
    "defs/metadata.json": "Used by the profiles next to the definition above, which it narrows:",
    "defs/purpose.json": "Used by a validator next to the profile, for the purpose it names:",
}


class Unsupported(ValueError):
    """A keyword this generator cannot put in words: the reference would silently miss a rule."""


def _code(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"`{text}`"


def _number(value: float) -> str:
    return json.dumps(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class Schemas:
    """The schema files of the version, and how to put each keyword in words."""

    def __init__(self, version_dir: Path = VERSION_DIR) -> None:
        self.files: dict[str, dict] = {}
        self.paths: dict[str, str] = {}
        for path in sorted(version_dir.rglob("*.json")):
            if path.name.endswith(".bundle.json"):
                continue
            contents = json.loads(path.read_text(encoding="utf-8"))
            self.files[contents["$id"]] = contents
            self.paths[contents["$id"]] = path.relative_to(version_dir).as_posix()
        self.document = self.files[BASE + "document.json"]
        self.vocabulary = self.files[VOCABULARY]["properties"]
        self.types = self.document["$defs"]["annotation"]["properties"]["type"]["enum"]
        self.profiles = sorted(uri for uri in self.files if self.paths[uri].startswith("profiles/"))
        self.defs = sorted(uri for uri in self.files if self.paths[uri].startswith("defs/"))
        #: format name -> the `$id` of the definition that names it (its description says what it means).
        self.formats = {
            schema["format"]: uri
            for uri, schema in self.files.items()
            if self.paths[uri].startswith("defs/") and "format" in schema
        }

    # --- anchors and links ------------------------------------------------------------------------

    def anchor(self, uri: str) -> str:
        """The anchor of a schema's section, e.g. annotation-bbox, profile-image, defs-metadata-image."""
        uri, fragment = urldefrag(uri)
        path = self.paths[uri].removesuffix(".json")
        if path == "document":
            stem = "document"
        elif path.startswith("annotations/"):
            stem = "annotation-" + path.split("/", 1)[1]
        elif path.startswith("profiles/"):
            stem = "profile-" + path.split("/", 1)[1]
        else:
            stem = path.replace("/", "-")
        if fragment:
            stem += "-" + fragment.removeprefix("/$defs/").replace("/", "-")
        return stem.lower().replace("_", "-")

    def resolve(self, base: str, ref: str) -> tuple[str, dict]:
        uri = urljoin(base, ref)
        document, fragment = urldefrag(uri)
        target = self.files[document]
        for part in filter(None, fragment.split("/")):
            target = target[part]
        return uri, target

    def link(self, base: str, ref: str) -> str:
        uri, target = self.resolve(base, ref)
        title = target.get("title") or urldefrag(uri).fragment.rsplit("/", 1)[-1] or self.paths[uri]
        return f"[{title}](#{self.anchor(uri)})"

    def type_link(self, name: str) -> str:
        return f"[`{name}`](#{self.anchor(BASE + f'annotations/{name}.json')})"

    # --- keywords in words ------------------------------------------------------------------------

    def keyword(self, name: str, value: object) -> str:
        """One of our keywords, in the words of its description in meta/vocabulary.json."""
        description = self.vocabulary[name]["description"]
        meaning, _, rule = description.rpartition(" Rule ")
        meaning = re.sub(r"^On [^:]+: ", "", meaning).rstrip(".")
        argument = "" if value is True else f" {_code(value)}"
        return f"[`{name}`](#keyword-{name.lower()}){argument}: {meaning} (rule `{rule.rstrip('.')}`)"

    def kind(self, schema: object, base: str) -> str:
        """What a value is: its type, with what its items or members are."""
        if schema is True:
            return "any"
        if schema is False:
            return "not allowed"
        parts = []
        if "$ref" in schema:
            parts.append(self.link(base, schema["$ref"]))
        if "const" in schema:
            parts.append(_code(schema["const"]))
        if "enum" in schema:
            values = schema["enum"]
            shown = [self.type_link(v) if v in self.types else _code(v) for v in values]
            parts.append("one of " + ", ".join(shown))
        types = schema.get("type")
        if types is not None:
            types = [types] if isinstance(types, str) else types
            words = []
            for name in types:
                if name == "array" and "prefixItems" in schema:
                    words.append("[" + ", ".join(self.member(s, base) for s in schema["prefixItems"]) + "]")
                elif name == "array" and isinstance(schema.get("items"), dict):
                    words.append(f"array of {self.member(schema['items'], base)}")
                elif name == "object" and isinstance(schema.get("additionalProperties"), dict):
                    words.append(f"object: name → {self.member(schema['additionalProperties'], base)}")
                else:
                    words.append(name)
            parts.append(" or ".join(words))
        return ", ".join(parts) or "any"

    def member(self, schema: object, base: str) -> str:
        """An item, a tuple position or an object member: its kind and constraints, in one phrase."""
        if not isinstance(schema, dict):
            return self.kind(schema, base)
        # A short description names a tuple position (x, y, w, h); a long one is for the table.
        short = schema.get("description", "")
        label = f"{short}: " if 0 < len(short) <= 12 else ""
        rest = self.constraints(schema, base)
        return label + self.kind(schema, base) + (f" ({'; '.join(rest)})" if rest else "")

    def constraints(self, schema: object, base: str, *, skip: frozenset[str] = frozenset()) -> list[str]:
        """Every constraint of a schema other than its kind, in words; raises Unsupported on a keyword
        it does not know, so the reference never leaves a rule out."""
        if not isinstance(schema, dict):
            return []
        said: list[str] = []
        handled = {"type", "$ref", "const", "enum", "prefixItems"}
        if isinstance(schema.get("items"), dict):
            handled.add("items")
        if isinstance(schema.get("additionalProperties"), dict) and "properties" not in schema:
            handled.add("additionalProperties")
        low, high = schema.get("minItems"), schema.get("maxItems")
        if low is not None and low == high:
            said.append(f"exactly {low} items")
        elif low is not None and high is not None:
            said.append(f"{low} to {high} items")
        elif low is not None:
            said.append(f"at least {low} item{'s' * (low != 1)}")
        elif high is not None:
            said.append(f"at most {high} items")
        handled |= {"minItems", "maxItems"}
        bounds = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
        for name, sign in bounds.items():
            if name in schema:
                said.append(f"{sign} {_number(schema[name])}")
                handled.add(name)
        for name, value in schema.items():
            if name in handled or name in _ABOUT or name in skip:
                continue
            if name == "minLength":
                said.append(f"at least {value} character{'s' * (value != 1)}")
            elif name == "maxLength":
                said.append(f"at most {value} characters")
            elif name == "pattern":
                said.append(f"matches {_code(value)}")
            elif name == "format":
                said.append(f"format [`{value}`](#format-{value})")
            elif name == "uniqueItems" and value:
                said.append("no repeated items")
            elif name == "minProperties":
                said.append(f"at least {value} member{'s' * (value != 1)}")
            elif name == "maxProperties":
                said.append("empty: `{}`" if value == 0 else f"at most {value} members")
            elif name == "propertyNames":
                said.append("names: " + "; ".join(self.constraints(value, base)))
            elif name == "not":
                words = "not " + "; ".join(self.constraints(value, base))
                said.append(f"{words} ({value['description']})" if "description" in value else words)
            elif name == "additionalProperties" and value is False:
                said.append("no other fields")
            elif name == "dependentRequired":
                said += [f"`{key}` needs {', '.join(map(_code, need))}" for key, need in value.items()]
            elif name == "properties":
                said.append(
                    "members " + ", ".join(f"`{k}`: {self.member(v, base)}" for k, v in value.items())
                )
            elif name == "required":
                said.append("requires " + ", ".join(map(_code, value)))
            elif name == "anyOf":
                said.append(
                    "any of " + " or ".join(f"({'; '.join(self.constraints(p, base))})" for p in value)
                )
            elif name in self.vocabulary:
                said.append(self.keyword(name, value))
            else:
                raise Unsupported(f"no words for keyword {name!r} in {base}: {_code(value)}")
        return said

    # --- building blocks of a section -------------------------------------------------------------

    def rows(self, schema: dict, base: str, required: set[str] | None = None) -> list[tuple[str, ...]]:
        """One table row per property: field, kind, required, constraints, description."""
        required = set(schema.get("required", [])) if required is None else required
        rows = []
        for name, sub in schema.get("properties", {}).items():
            description = sub.get("description", "") if isinstance(sub, dict) else ""
            if not description and isinstance(sub, dict) and "$ref" in sub:
                description = self.resolve(base, sub["$ref"])[1].get("description", "")
            said = self.constraints(sub, base)
            rows.append(
                (
                    f"`{name}`",
                    self.kind(sub, base),
                    "yes" if name in required else "no",
                    "; ".join(said) or "—",
                    description,
                )
            )
        return rows

    def narrowing(self, schema: object, base: str, path: str) -> Iterator[str]:
        """What a schema that narrows another (a profile, a metadata variant) adds, one line each."""
        if schema is False:
            yield f"`{path}`: not allowed"
            return
        if not isinstance(schema, dict):
            return
        # What it starts from: a `$ref` beside it, or (in a profile) one inside `allOf`, where engines
        # that ignore the siblings of a `$ref` (VS Code's) still apply both.
        bases = schema.get("allOf", [])
        if any(not isinstance(part, dict) or set(part) != {"$ref"} for part in bases):
            raise Unsupported(f'{base}: a narrowing\'s allOf holds only {{"$ref": ...}} parts')
        for part in [{k: v for k, v in schema.items() if k in ("$ref", "const", "enum")}, *bases]:
            kind = self.kind(part, base)
            if kind != "any":
                yield f"`{path}`: {kind}" if path else f"starts from {kind}"
        for name, sub in schema.get("properties", {}).items():
            yield from self.narrowing(sub, base, f"{path}.{name}" if path else name)
        for name in schema.get("required", []):
            yield f"`{path}.{name}`: required" if path else f"`{name}`: required"
        if isinstance(schema.get("items"), dict):
            yield from self.narrowing(schema["items"], base, f"{path}[]")
        said = self.constraints(schema, base, skip=frozenset({"properties", "items", "required", "allOf"}))
        if said:
            yield f"`{path}`: {'; '.join(said)}" if path else f"as a whole: {'; '.join(said)}"

    def table(self, rows: list[tuple[str, ...]]) -> list[str]:
        lines = ["| Field | Type | Required | Constraints | Description |", "| --- | --- | --- | --- | --- |"]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
        return lines

    def example(self, schema: dict, all_of_them: bool = False) -> list[str]:
        examples = schema.get("examples", [])
        if not examples:
            return []
        shown = examples if all_of_them else examples[:1]
        lines = ["", "Example:" if len(shown) == 1 else "Examples:", ""]
        for example in shown:
            lines += ["```json", json.dumps(example, indent=2, ensure_ascii=False), "```"]
        return lines

    def heading(self, level: int, uri: str, title: str) -> list[str]:
        return [f'<a id="{self.anchor(uri)}"></a>', "", f"{'#' * level} {title}", ""]

    def about(self, uri: str, schema: dict) -> list[str]:
        lines = [schema.get("description", ""), "", f"`$id`: `{uri}`"]
        if "version" in schema:
            release = f"Version: `{schema['version']}` (the aimmo-gt release; [`version`](#keyword-version))."
            lines += ["", release]
        return lines

    # --- the sections -----------------------------------------------------------------------------

    def document_section(self) -> list[str]:
        uri, schema = BASE + "document.json", self.document
        lines = self.heading(2, uri, f"{schema['title']} (`document.json`)") + self.about(uri, schema)
        lines += ["", "Bundle: `schemas/v1/document.bundle.json`. Fields:", ""]
        lines += self.table(self.rows(schema, uri))
        said = self.constraints(schema, uri, skip=frozenset({"properties", "required"}))
        if said:
            lines += ["", "The document as a whole: " + "; ".join(said) + "."]
        annotation = schema["$defs"]["annotation"]
        branches = [(s["if"]["properties"]["type"]["const"], s["then"]["$ref"]) for s in annotation["allOf"]]
        lines += [
            "",
            f'<a id="{self.anchor(uri + "#/$defs/annotation")}"></a>',
            "",
            f"Each item of `annotations`: {annotation['description']} Its `type` chooses the schema:",
            "",
            *(f"- `{name}`: {self.link(uri, ref)}" for name, ref in branches),
        ]
        if sorted(name for name, _ in branches) != sorted(self.types):
            raise Unsupported("document.json's $defs/annotation branches and type enum differ")
        return lines + self.example(schema)

    def profile_section(self, uri: str) -> list[str]:
        schema = self.files[uri]
        name = self.paths[uri].removeprefix("profiles/").removesuffix(".json")
        lines = self.heading(3, uri, f"{schema['title']} (`{name}`)") + self.about(uri, schema)
        lines += ["", f"Bundle: `schemas/v1/profiles/{name}.bundle.json`. It narrows the document:", ""]
        lines += [f"- {line}" for line in self.narrowing(schema, uri, "")]
        return lines + self.example(schema)

    def annotation_section(self, name: str) -> list[str]:
        uri = BASE + f"annotations/{name}.json"
        schema = self.files[uri]
        lines = self.heading(3, uri, f"{schema['title']} (`{name}`)") + self.about(uri, schema)
        common_ref = [part["$ref"] for part in schema.get("allOf", [])]
        common_uri, common = self.resolve(uri, common_ref[0])
        required = set(common.get("required", [])) | set(schema.get("required", []))
        rows = []
        for row in self.rows(common, common_uri, required):
            field = row[0].strip("`")
            own = schema["properties"].get(field)
            if own is True:
                rows.append(row)
            elif own is False:
                continue
            else:
                mine = self.rows({"properties": {field: own}}, uri, required)[0]
                rows.append(mine if mine[4] else (*mine[:4], row[4]))
        rows += [
            row for row in self.rows(schema, uri, required) if row[0].strip("`") not in common["properties"]
        ]
        lines += [
            "",
            f"Fields (the first ones are the {self.link(uri, common_ref[0])} of every annotation):",
            "",
        ]
        lines += self.table(rows)
        said = self.constraints(schema, uri, skip=frozenset({"properties", "required", "allOf"}))
        if len(common_ref) != 1 or len(schema["allOf"]) != 1:
            raise Unsupported(f"{uri}: expected allOf with one $ref to the common fields")
        lines += ["", "Rules on the whole annotation:", "", *(f"- {line}" for line in said)]
        return lines + self.example(schema)

    def def_section(self, uri: str) -> list[str]:
        schema = self.files[uri]
        lines = self.heading(3, uri, f"{schema['title']} (`{self.paths[uri]}`)") + self.about(uri, schema)
        if "properties" in schema:
            lines += ["", f"A value of type {self.kind(schema, uri)}, with the fields:", ""]
            lines += self.table(self.rows(schema, uri))
            said = self.constraints(schema, uri, skip=frozenset({"properties", "required"}))
            if said:
                lines += ["", "As a whole: " + "; ".join(said) + "."]
        else:
            said = self.constraints(schema, uri)
            lines += ["", f"Type: {self.kind(schema, uri)}" + (f"; {'; '.join(said)}." if said else ".")]
        for name, variant in schema.get("$defs", {}).items():
            variant_uri = f"{uri}#/$defs/{name}"
            lines += ["", *self.heading(4, variant_uri, f"{variant['title']} (`$defs/{name}`)")]
            if "description" in variant:
                lines += [variant["description"], ""]
            lines += [_VARIANT_USE.get(self.paths[uri], _VARIANT_USE["defs/metadata.json"]), ""]
            lines += [f"- {line}" for line in self.narrowing(variant, uri, "")]
        return lines + self.example(schema, all_of_them=True)

    def ontology_section(self) -> list[str]:
        uri = BASE + "ontology.json"
        schema = self.files[uri]
        lines = self.heading(2, uri, f"{schema['title']} (`ontology.json`)") + self.about(uri, schema)
        lines += ["", "Not a GT document: the file `aimmo-gt validate --ontology FILE` reads. Fields:", ""]
        lines += self.table(self.rows(schema, uri))
        for name, sub in schema["$defs"].items():
            sub_uri = f"{uri}#/$defs/{name}"
            lines += ["", *self.heading(3, sub_uri, f"`{name}`")]
            if sub.get("description"):
                lines += [sub["description"], ""]
            if "properties" in sub:
                lines += self.table(self.rows(sub, sub_uri))
                said = self.constraints(sub, sub_uri, skip=frozenset({"properties", "required", "allOf"}))
                if said:
                    lines += ["", "As a whole: " + "; ".join(said) + "."]
                branches = sub.get("allOf", [])
                if any("description" not in branch for branch in branches):
                    raise Unsupported(f"{sub_uri}: every allOf branch needs a description to be worded")
                lines += ["", *(f"- {branch['description']}" for branch in branches)] if branches else []
            else:
                said = self.constraints(sub, sub_uri)
                lines += [f"Type: {self.kind(sub, sub_uri)}" + (f"; {'; '.join(said)}." if said else ".")]
        return lines + self.example(schema, all_of_them=True)

    def formats_section(self) -> list[str]:
        lines = ['<a id="formats"></a>', "", "## Formats", ""]
        lines += [
            "The `format` values of our vocabulary. A tool that does not assert formats accepts any string"
            " there; one that does must follow the definition that names the format.",
            "",
            "| Format | Meaning | Defined by |",
            "| --- | --- | --- |",
        ]
        for name, uri in sorted(self.formats.items()):
            row = (f'<a id="format-{name}"></a>`{name}`', self.files[uri]["description"], self.link(uri, uri))
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        return lines

    def vocabulary_section(self) -> list[str]:
        vocabulary = self.files[VOCABULARY]
        dialect = self.files[DIALECT]
        uses = self.keyword_uses()
        lines = ['<a id="vocabulary"></a>', "", "## Semantic vocabulary", ""]
        lines += [
            vocabulary["description"],
            "",
            dialect["description"],
            "",
            f"Dialect: `{DIALECT}`; vocabulary meta-schema: `{VOCABULARY}`.",
            "",
            "| Keyword | Meaning | Its value | Used in |",
            "| --- | --- | --- | --- |",
        ]
        for name, shape in vocabulary["properties"].items():
            value = self.kind(shape, VOCABULARY)
            said = self.constraints(shape, VOCABULARY)
            value += f" ({'; '.join(said)})" if said else ""
            where = ", ".join(self.link(u, u) for u in uses.get(name, [])) or "—"
            row = (f'<a id="keyword-{name.lower()}"></a>`{name}`', shape["description"], value, where)
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        return lines

    def keyword_uses(self) -> dict[str, list[str]]:
        uses: dict[str, list[str]] = {}

        def walk(node: object, uri: str) -> None:
            if isinstance(node, list):
                for item in node:
                    walk(item, uri)
            elif isinstance(node, dict):
                for key, value in node.items():
                    if key in self.vocabulary and uri not in uses.setdefault(key, []):
                        uses[key].append(uri)
                    if key not in ("examples", "const", "enum", "properties"):
                        walk(value, uri)
                    elif key == "properties":
                        walk(list(value.values()), uri)

        for uri, schema in self.files.items():
            if "/meta/" not in uri:
                walk(schema, uri)
        return uses

    # --- the page ---------------------------------------------------------------------------------

    def render(self) -> str:
        lines = [
            "# aimmo-gt v1 schema reference",
            "",
            "<!-- Generated by scripts/docs.py from the files under schemas/v1/: do not edit by hand. -->",
            "",
            "Every field of an AIMMO ground-truth document, from the JSON Schema files under `schemas/v1/`"
            " (titles, descriptions, constraints and examples). Regenerate with `python scripts/docs.py`."
            " Constraints name the rules JSON Schema cannot state by their keyword of the"
            " [semantic vocabulary](#vocabulary); [consume.md](consume.md) shows how to load the schemas"
            " from other languages.",
            "",
            "## Contents",
            "",
            f"- [{self.document['title']}](#document)",
            "- [Profiles](#profiles): "
            + ", ".join(f"[`{self.paths[u][9:-5]}`](#{self.anchor(u)})" for u in self.profiles),
            "- [Annotation types](#annotation-types): " + ", ".join(self.type_link(t) for t in self.types),
            "- [Shared definitions](#definitions): "
            + ", ".join(f"[{self.files[u]['title']}](#{self.anchor(u)})" for u in self.defs),
            "- [Formats](#formats)",
            "- [Semantic vocabulary](#vocabulary)",
            f"- [{self.files[BASE + 'ontology.json']['title']}](#ontology): a project's classes, attributes",
            "",
        ]
        lines += self.document_section()
        lines += ["", '<a id="profiles"></a>', "", "## Profiles", ""]
        lines += [
            "A profile is the document schema narrowed to one resource type; `aimmo-gt` infers it from a"
            " document when none is given.",
        ]
        for uri in self.profiles:
            lines += ["", *self.profile_section(uri)]
        lines += ["", '<a id="annotation-types"></a>', "", "## Annotation types", ""]
        lines += ["One schema per annotation type, under `schemas/v1/annotations/`, in the vendor's order."]
        for name in self.types:
            lines += ["", *self.annotation_section(name)]
        lines += ["", '<a id="definitions"></a>', "", "## Shared definitions", ""]
        lines += ["The pieces the document and the annotation types refer to, under `schemas/v1/defs/`."]
        for uri in self.defs:
            lines += ["", *self.def_section(uri)]
        lines += ["", *self.formats_section(), "", *self.vocabulary_section()]
        lines += ["", *self.ontology_section()]
        return "\n".join(lines).rstrip() + "\n"


def render(version_dir: Path = VERSION_DIR) -> str:
    return Schemas(version_dir).render()


def write_product(output: Path, text: str, *, check: bool, script: str) -> int:
    """Write a generated file, or with `check` only say (exit status 1) that the committed one is stale."""
    current = output.read_text(encoding="utf-8") if output.exists() else None
    if current == text:
        return 0
    if check:
        print(f"stale: {output.relative_to(ROOT)}; run `python scripts/{script}`", file=sys.stderr)
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote: {output.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/reference.md is stale")
    args = parser.parse_args(argv)
    return write_product(OUTPUT, render(), check=args.check, script="docs.py")


if __name__ == "__main__":
    sys.exit(main())
