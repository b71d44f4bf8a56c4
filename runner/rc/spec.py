"""Read RingCentral's OpenAPI document: YAML 1.2 scalars and ``$ref`` resolution.

Used only by build-time generators (``catalog_build`` and friends). It must never be imported at
run time by the runner or the sandbox: installs carry generated files, not the spec.

The spec is written for YAML 1.2 readers, whose booleans are only ``true``/``false``. PyYAML
implements YAML 1.1, which would turn enum values such as ``On``, ``Off``, ``Yes`` and ``No``
into booleans and unquoted dates into ``date`` objects; the loader here keeps them strings.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import yaml

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.2 core schema: the only implicit bools, ints and floats.
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_REPLACED = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}


class Yaml12Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader whose implicit scalars follow YAML 1.2's core schema."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _REPLACED]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789"))


def _int_12(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith("0x") else int(text)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int_12)


def load_spec(path: Path | str) -> dict[str, Any]:
    """The OpenAPI document at ``path``, with YAML 1.2 scalars (``Off`` stays the string ``Off``)."""
    with Path(path).open("rb") as fh:
        doc = yaml.load(fh, Loader=Yaml12Loader)  # a SafeLoader subclass: no object tags
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    return doc


def lookup(ref: str, spec: dict[str, Any]) -> Any:
    """The node a local ``#/a/b`` reference points at (JSON Pointer escapes honoured)."""
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(node: Any, spec: dict[str, Any]) -> Any:
    """Follow ``$ref`` hops at the top of ``node`` only (not inside it)."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise ValueError(f"reference cycle at {ref}")
        seen.add(ref)
        node = lookup(ref, spec)
    return node


def resolve(schema: Any, spec: dict[str, Any], _stack: tuple[str, ...] = ()) -> Any:
    """``schema`` with every ``$ref`` inlined, as a fresh structure.

    A reference that points back at a schema being inlined (a tree of items, say) becomes ``{}``,
    the schema that accepts anything: it keeps the result finite, and only that recursive branch
    goes unchecked.
    """
    if isinstance(schema, list):
        return [resolve(item, spec, _stack) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref in _stack:
            return {}
        return resolve(lookup(ref, spec), spec, (*_stack, ref))
    return {key: resolve(value, spec, _stack) for key, value in schema.items()}


def generate(argv: list[str] | None, prog: str, build_from_file: Callable[[Path], str]) -> int:
    """The command line of a generator (``python -m PROG SPEC.yml OUT.json``): build from the spec,
    write the file, say how big it is."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(f"usage: python -m {prog} SPEC.yml OUT.json", file=sys.stderr)
        return 2
    text = build_from_file(Path(args[0]))
    Path(args[1]).write_text(text, encoding="utf-8")
    print(f"wrote {args[1]} ({len(text.encode()) // 1024} KiB)")
    return 0
