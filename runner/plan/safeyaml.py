"""Reading a plan's YAML without letting the file decide how much memory or time that takes.

A plan is a few kilobytes. A hostile one is not: ``/dev/zero``, a 1 KB nest of aliases that expands
to 10^9 nodes, an alias that contains itself. This module reads at most ``MAX_BYTES``, composes the
node graph (aliases stay shared, so composing is cheap), then measures the graph as the loader will
walk it, aliases expanded, and refuses more than ``MAX_NODES`` or a cycle. It must never construct
Python objects from an unmeasured graph, and never read a file whole before knowing its size.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from runner.fileio import NotText, read_regular_file, utf8_text

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
# No number in a plan needs more digits; past 4,300 Python refuses to read one at all.
MAX_DIGITS = 30
_INT_TAG = "tag:yaml.org,2002:int"


class YamlRefused(ValueError):
    """Why the text cannot be a plan, and the 1-based line where that shows (None: the whole file)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def read_text(path: Path) -> str:
    """The file as UTF-8 text, refused past ``MAX_BYTES`` or when it is not a regular file."""
    try:
        data = read_regular_file(path, MAX_BYTES)
    except ValueError as exc:
        raise YamlRefused(f"{exc}; a plan is a few KB of YAML") from None
    try:
        return utf8_text(data)
    except NotText as exc:
        raise YamlRefused(str(exc), exc.line) from None


def compose(text: str) -> yaml.Node | None:
    """The single document's node graph, measured: at most ``MAX_NODES`` once aliases are
    expanded, and no alias inside its own anchor."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is not None:
        _measure(root)
    return root


def _measure(root: yaml.Node) -> None:
    """Expanded size of the graph, iteratively and memoised per node (shared nodes are measured
    once, counted every time they are used), refusing a cycle."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > MAX_NODES:
                raise YamlRefused(
                    f"more than {MAX_NODES} values once aliases are expanded (nested aliases?)",
                    node.start_mark.line + 1,
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if node.tag == _INT_TAG and len(node.value) > MAX_DIGITS:
            raise YamlRefused(
                f"a number of {len(node.value)} digits; at most {MAX_DIGITS}", node.start_mark.line + 1
            )
        if key in open_nodes:
            raise YamlRefused("an alias refers to the value that contains it", node.start_mark.line + 1)
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                raise YamlRefused("an alias refers to the value that contains it", child.start_mark.line + 1)
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
