"""What a string expression in an app's source can hold: the values ``plan scan`` follows.

A file is indexed once (its definitions, functions, calls and comments); an expression is then
evaluated to the few strings it can be, each a sequence of literal text and holes (an id, a
parameter, anything the scan cannot know). It follows constants and variables within a function,
a class, a file and across the project's modules, template and f-strings, concatenation, ``+=``,
``format``/``%``/``sprintf``, conditionals, and small functions that build a path from their
arguments. A hole that is a parameter of the enclosing function stays symbolic, so that each call
of a helper can fill it with its own arguments. It must never execute the code it reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from runner.plan import scan_lang as lang
from runner.plan.scan_lang import Node

MAX_VALUES = 6  # alternatives kept per expression: enough for a conditional, bounded for a loop
MAX_DEPTH = 14  # nested look-ups per evaluation: a cycle or a deep chain ends in a hole
MAX_INLINE = 3  # helper functions evaluated inside each other


@dataclass(frozen=True)
class Hole:
    """A part of a string the scan cannot know: ``label`` is what the code calls it; ``param`` is set
    when it is a parameter of the function it was found in (key: that function's node id)."""

    label: str
    param: str | None = None
    function: int | None = None


Part = str | Hole
Value = tuple[Part, ...]


def concat(left: Value, right: Value) -> Value:
    if left and right and isinstance(left[-1], str) and isinstance(right[0], str):
        return (*left[:-1], left[-1] + right[0], *right[1:])
    return (*left, *right)


def literal(value: Value) -> str:
    return "".join(p for p in value if isinstance(p, str))


def params_in(value: Value) -> list[Hole]:
    return [p for p in value if isinstance(p, Hole) and p.param is not None]


@dataclass
class Definition:
    name: str
    value: Node | None
    node: Node
    scope: int | None  # the enclosing function's node id; None at module or class level
    op: str  # "=" or "+="
    member: bool  # written as obj.name, a key in an object literal, or a field


@dataclass
class Function:
    name: str
    node: Node
    returns: list[Node] = field(default_factory=list)
    file: FileIndex | None = None
    owner: int | None = None  # the node id of the class it is a method of
    _signature: tuple[list[str], dict[str, Node]] | None = None

    @property
    def params(self) -> list[str]:
        return self._parameters()[0]

    @property
    def defaults(self) -> dict[str, Node]:
        return self._parameters()[1]

    def _parameters(self) -> tuple[list[str], dict[str, Node]]:
        """Its parameters' names and default values, read on first use: most functions a scan
        indexes are never looked into."""
        if self._signature is None:
            python = self.file is not None and self.file.language == "python"
            self._signature = _signature(self.node, python)
        return self._signature


@dataclass
class FileIndex:
    relative: str
    suffix: str
    language: str
    source: bytes
    root: Node
    defs: dict[str, list[Definition]] = field(default_factory=dict)
    functions: dict[str, list[Function]] = field(default_factory=dict)
    by_node: dict[int, Function] = field(default_factory=dict)
    calls: list[Node] = field(default_factory=list)
    comments: list[Node] = field(default_factory=list)
    arrays: list[Node] = field(default_factory=list)
    annotations: list[Node] = field(default_factory=list)

    @property
    def stem(self) -> str:
        return PurePosixPath(self.relative).stem


def name_of(node: Node | None) -> str | None:
    """The plain name a node ends in: ``self.base`` -> ``base``, ``$url`` -> ``url``, ``@base`` -> ``base``."""
    if node is None:
        return None
    kind = node.type
    if kind in lang.NAMES or kind in ("type_identifier", "simple_symbol", "hash_key_symbol"):
        return lang.text(node).lstrip("$@:")
    if kind == "generic_name":  # C#'s Get<T>
        return name_of(node.named_children[0]) if node.named_children else None
    if kind in lang.MEMBERS or kind in ("scoped_identifier", "qualified_identifier"):
        for field_name in ("property", "attribute", "name", "field", "index", "subscript"):
            child = node.child_by_field_name(field_name)
            if child is not None:
                if child.type in lang.STRINGS:
                    return "".join(p for p in lang.string_parts(child, "") if isinstance(p, str))
                return name_of(child)
        named = node.named_children
        return name_of(named[-1]) if named else None
    if kind in lang.STRINGS:
        return "".join(p for p in lang.string_parts(node, "") if isinstance(p, str)) or None
    if kind in ("variable_declaration", "expression_list", "value_argument") and node.named_children:
        return name_of(node.named_children[0])
    return None


_FUNCTION_PARAMS = (
    "parameters",
    "formal_parameters",
    "parameter_list",
    "function_value_parameters",
    "method_parameters",
    "lambda_parameters",
    "lambda_parameter",
)
_ASSIGNMENTS = frozenset(
    {
        "assignment",
        "augmented_assignment",
        "assignment_expression",
        "augmented_assignment_expression",
        "operator_assignment",
        "assignment_statement",
    }
)
_DECLARATORS = frozenset(
    {
        "variable_declarator",
        "property_declaration",
        "property_element",
        "const_element",
        "const_spec",
        "var_spec",
        "short_var_declaration",
        "field_definition",
        "public_field_definition",
        "pair",
        "keyed_element",
        "array_element_initializer",
        "enum_member_declaration",
    }
)
_RETURNS = frozenset({"return_statement", "return", "return_expression"})


_KINDS: lang.Kinds = (
    ("comment", lang.COMMENTS),
    ("function", lang.FUNCTIONS),
    ("call", lang.CALLS),
    ("return", _RETURNS),
    ("definition", _ASSIGNMENTS | _DECLARATORS),
    ("array", lang.ARRAYS),
    ("class", lang.CLASSES),
)
_PYTHON_KINDS: lang.Kinds = (*_KINDS, ("statement", frozenset({"expression_statement"})))  # docstrings
_OTHER_KINDS: lang.Kinds = (*_KINDS, ("annotation", lang.ANNOTATIONS))


def index_file(relative: str, suffix: str, source: bytes) -> FileIndex:
    language = lang.LANGUAGES[suffix][0]
    root = lang.parse(suffix, source)
    index = FileIndex(relative, suffix, language, source, root)
    # The nodes come in document order: the functions and classes open around them are stacks,
    # innermost last.
    open_functions: list[Function] = []
    open_classes: list[Node] = []
    skip_to = -1  # the end of a comment or docstring: nothing inside it is code
    for group, node in lang.captures(suffix, root, _PYTHON_KINDS if language == "python" else _OTHER_KINDS):
        start = node.start_byte
        if start < skip_to:
            continue
        while open_functions and open_functions[-1].node.end_byte <= start:
            open_functions.pop()
        while open_classes and open_classes[-1].end_byte <= start:
            open_classes.pop()
        function = open_functions[-1] if open_functions else None
        if group == "comment":
            index.comments.append(node)
            skip_to = node.end_byte
        elif group == "class":
            if node.parent is not None:  # Python's whole file is a "module", as Ruby's modules are
                open_classes.append(node)
        elif group == "function":
            created = _function(node, index, function)
            created.owner = open_classes[-1].id if open_classes else None
            open_functions.append(created)
        elif group == "call":
            index.calls.append(node)
        elif group == "return":
            value = [c for c in node.named_children if c.type not in lang.COMMENTS]
            if value and function is not None:
                function.returns.append(value[0])
        elif group == "definition":
            _definitions(node, index, function)
        elif group == "array":
            index.arrays.append(node)
        elif group == "annotation":
            index.annotations.append(node)
        elif node.named_child_count == 1:
            only = node.named_children[0]
            if only.type == "string":  # a docstring: prose, as a comment is
                index.comments.append(only)
                skip_to = node.end_byte
    return index


def _function(node: Node, index: FileIndex, outer: Function | None) -> Function:
    name_node = node.child_by_field_name("name")
    name = name_of(name_node) if name_node is not None else None
    if name is None and node.parent is not None:  # const f = (a) => ..., {f: function () {...}}
        parent = node.parent
        holder = (
            parent.child_by_field_name("name")
            or parent.child_by_field_name("key")
            or parent.child_by_field_name("left")
        )
        name = name_of(holder) if holder is not None else None
    function = Function(name or "", node, file=index)
    body = node.child_by_field_name("body")
    arrow = node.type in ("arrow_function", "lambda", "lambda_expression")
    if body is not None and arrow and body.type not in ("statement_block", "block"):
        function.returns.append(body)  # an expression body is its return value
    if index.language == "ruby" and body is not None and body.named_children:
        function.returns.append(body.named_children[-1])  # Ruby returns its last expression
    if name:
        index.functions.setdefault(name, []).append(function)
    index.by_node[node.id] = function
    return function


def _signature(node: Node, python: bool) -> tuple[list[str], dict[str, Node]]:
    params: list[str] = []
    defaults: dict[str, Node] = {}
    container = node.child_by_field_name("parameters")
    if container is None:
        container = next((c for c in node.named_children if c.type in _FUNCTION_PARAMS), None)
    if container is not None:
        for param in container.named_children if container.type != "identifier" else [container]:
            if param.type in lang.COMMENTS:
                continue
            pname = _param_name(param)
            if pname is None:
                continue
            params.append(pname)
            default = param.child_by_field_name("value") or param.child_by_field_name("default_value")
            if default is not None:
                defaults[pname] = default
    if python and params and params[0] in ("self", "cls"):
        params = params[1:]
    return params, defaults


def _param_name(param: Node) -> str | None:
    if param.type in lang.NAMES:
        return name_of(param)
    for field_name in ("name", "pattern"):
        child = param.child_by_field_name(field_name)
        if child is not None:
            return name_of(child) or _first_name(child)
    return _first_name(param)


def _first_name(node: Node) -> str | None:
    for child in node.named_children:
        if child.type in lang.NAMES:
            return name_of(child)
    return None


def _definitions(node: Node, index: FileIndex, function: Function | None) -> None:
    kind = node.type
    scope = function.node.id if function is not None else None
    pairs: list[tuple[Node | None, Node | None]] = []
    op = "="
    member = False
    if kind in _ASSIGNMENTS:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left is None and node.named_child_count >= 2:
            left, right = node.named_children[0], node.named_children[-1]
        op_text = lang.text(operator) if operator is not None else "="
        if kind in ("augmented_assignment", "augmented_assignment_expression", "operator_assignment"):
            op_text = op_text if operator is not None else "+="
        if op_text in ("+=", ".=", "<<"):
            op = "+="
        elif op_text not in ("=", ":="):
            return
        if left is not None and left.type == "expression_list":
            lefts = left.named_children
            rights = (
                right.named_children if right is not None and right.type == "expression_list" else [right]
            )
            pairs = list(zip(lefts, rights, strict=False)) if len(lefts) == len(rights) else []
        else:
            pairs = [(left, right)]
        member = left is not None and left.type in lang.MEMBERS
    elif kind in ("short_var_declaration",):
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return
        pairs = list(zip(left.named_children, right.named_children, strict=False))
    elif kind in ("const_spec", "var_spec"):
        names = [c for c in node.children_by_field_name("name")]
        value = node.child_by_field_name("value")
        values = value.named_children if value is not None and value.type == "expression_list" else [value]
        pairs = list(zip(names, values, strict=False)) if len(names) == len(values) else []
    elif kind in ("pair", "keyed_element", "array_element_initializer"):
        named = [c for c in node.named_children if c.type not in lang.COMMENTS]
        key = node.child_by_field_name("key") or (named[0] if len(named) == 2 else None)
        value = node.child_by_field_name("value") or (named[-1] if len(named) == 2 else None)
        if key is not None and key.type == "literal_element" and key.named_children:
            key = key.named_children[0]
        if value is not None and value.type == "literal_element" and value.named_children:
            value = value.named_children[0]
        pairs = [(key, value)]
        member = True
    else:
        name_node = node.child_by_field_name("name") or node.child_by_field_name("property")
        value = node.child_by_field_name("value") or node.child_by_field_name("default_value")
        if name_node is None:
            declared = next(
                (c for c in node.named_children if c.type in ("variable_declaration", *lang.NAMES)), None
            )
            name_node = declared
        if value is None:  # C#, Kotlin, PHP: the expression after "="
            seen_equals = False
            for child in node.children:
                if seen_equals and child.is_named and child.type not in lang.COMMENTS:
                    value = child
                    break
                seen_equals = seen_equals or child.type == "="
        pairs = [(name_node, value)]
        member = kind in ("field_definition", "public_field_definition", "property_element")
    for left_node, value_node in pairs:
        name = name_of(left_node)
        if not name or value_node is None:
            continue
        index.defs.setdefault(name, []).append(Definition(name, value_node, node, scope, op, member))


# --- evaluation -------------------------------------------------------------------------------


@dataclass
class Frame:
    """Where an evaluation stands: the bindings of the helper functions being evaluated inline
    (function node id -> parameter -> values) and how deep it went."""

    bindings: dict[int, dict[str, list[Value]]] = field(default_factory=dict)
    depth: int = 0
    inline: int = 0
    seen: frozenset[int] = frozenset()


_FORMAT_CALLS = frozenset({"format", "sprintf", "printf", "fmt", "formatted"})
_JOIN_CALLS = frozenset({"join", "urljoin", "combine", "resolve"})
_KEEP_CALLS = frozenset(
    {
        "strip",
        "rstrip",
        "lstrip",
        "trim",
        "trimend",
        "trimstart",
        "tostring",
        "to_s",
        "lower",
        "tolowercase",
        "replace",
        "replaceall",
        "encode",
        "string",
        "concat",
        "valueof",
        "str",
        "interpolate",
        "freeze",
        "dup",
        "intern",
    }
)
_PATH_MODULES = frozenset({"path", "os.path", "posixpath", "Path", "urllib.parse", "parse"})
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[-+0-9.]*[sdvfiq]|\{(\d*|[A-Za-z_]\w*)(?::[^{}]*)?\}")


class Evaluator:
    """Evaluates expressions across a project's indexed files."""

    def __init__(self, files: Iterable[FileIndex]) -> None:
        self.files = {f.relative: f for f in files}
        self.functions: dict[str, list[Function]] = {}
        self.top_defs: dict[str, list[tuple[FileIndex, Definition]]] = {}
        for index in self.files.values():
            for name, functions in index.functions.items():
                self.functions.setdefault(name, []).extend(functions)
            for name, defs in index.defs.items():
                for definition in defs:
                    if definition.scope is None or definition.member:
                        self.top_defs.setdefault(name, []).append((index, definition))
        self._enclosing: dict[int, Function | None] = {}

    # -- where a node stands

    def enclosing(self, index: FileIndex, node: Node) -> Function | None:
        parent = node.parent
        while parent is not None:
            found = index.by_node.get(parent.id)
            if found is not None:
                return found
            parent = parent.parent
        return None

    # -- values

    def values(self, index: FileIndex, node: Node | None, frame: Frame | None = None) -> list[Value]:
        if node is None:
            return [()]
        frame = frame or Frame()
        if frame.depth > MAX_DEPTH or node.id in frame.seen:
            return [(Hole(_label(node)),)]
        inner = Frame(frame.bindings, frame.depth + 1, frame.inline, frame.seen | {node.id})
        found = self._values(index, node, inner)
        unique = list(dict.fromkeys(found))
        return unique[:MAX_VALUES] or [(Hole(_label(node)),)]

    def _values(self, index: FileIndex, node: Node, frame: Frame) -> list[Value]:
        kind = node.type
        if kind in lang.STRINGS:
            return self._string(index, node, frame)
        if kind in lang.WRAPPERS:
            named = [c for c in node.named_children if c.type not in lang.COMMENTS]
            if not named:
                return [(Hole(_label(node)),)]
            return self.values(index, named[-1] if kind != "expression_list" else named[0], frame)
        if kind in lang.BINARY:
            return self._binary(index, node, frame)
        if kind in lang.CONDITIONAL:
            return self._conditional(index, node, frame)
        if kind in (
            "identifier",
            "constant",
            "variable_name",
            "name",
            "simple_identifier",
            "shorthand_property_identifier",
        ):
            return self.lookup(index, node, name_of(node) or "", frame, member=False)
        if kind in ("instance_variable", "class_variable") or kind in lang.MEMBERS:
            name = name_of(node)
            if name:
                return self.lookup(index, node, name, frame, member=True)
        if kind in lang.CALLS:
            return self._call(index, node, frame)
        if kind in ("integer", "number", "integer_literal", "decimal_integer_literal", "int_literal"):
            return [(Hole(lang.text(node)),)]
        return [(Hole(_label(node)),)]

    def _string(self, index: FileIndex, node: Node, frame: Frame) -> list[Value]:
        results: list[Value] = [()]
        parts: list[str | Node] = []
        for part in lang.string_parts(node, index.language):
            if isinstance(part, str) and parts and isinstance(parts[-1], str):
                parts[-1] += part  # Kotlin splits "$name" into "$" and "name..."
            else:
                parts.append(part)
        for part in parts:
            if isinstance(part, str):
                if index.language == "kotlin" and "$" in part:
                    results = self._kotlin_template(index, node, part, results, frame)
                    continue
                results = [concat(r, (part,)) for r in results]
            else:
                results = [concat(r, v) for r in results for v in self.values(index, part, frame)]
            results = results[:MAX_VALUES]
        return results

    def _kotlin_template(
        self, index: FileIndex, node: Node, text: str, results: list[Value], frame: Frame
    ) -> list[Value]:
        """Kotlin's "$name" (the grammar leaves it in the text): the name's value, looked up here."""
        position = 0
        for match in re.finditer(r"\$([A-Za-z_]\w*)", text):
            results = [concat(r, (text[position : match.start()],)) for r in results]
            named = self.lookup(index, node, match.group(1), frame, member=False)
            results = [concat(r, v) for r in results for v in named][:MAX_VALUES]
            position = match.end()
        return [concat(r, (text[position:],)) for r in results]

    def _binary(self, index: FileIndex, node: Node, frame: Frame) -> list[Value]:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left is None or right is None:
            named = node.named_children
            if len(named) != 2:
                return [(Hole(_label(node)),)]
            left, right = named
        op = lang.text(operator) if operator is not None else _middle_operator(node)
        if op in ("+", "."):
            return [
                concat(a, b)
                for a in self.values(index, left, frame)
                for b in self.values(index, right, frame)
            ][:MAX_VALUES]
        if op == "%":  # Python's and Ruby's "…%s…" % args
            args = right.named_children if right.type in ("tuple", "array", "list") else [right]
            return self._format(index, self.values(index, left, frame), args, frame)
        if op in ("or", "||", "??", "?:"):
            return self.values(index, left, frame) + self.values(index, right, frame)
        return [(Hole(_label(node)),)]

    def _conditional(self, index: FileIndex, node: Node, frame: Frame) -> list[Value]:
        branches = [
            node.child_by_field_name(name) for name in ("consequence", "alternative", "body", "condition")
        ]
        if node.type == "conditional_expression" and index.language == "python":
            named = node.named_children  # a if cond else b
            candidates = [named[0], named[-1]] if len(named) == 3 else []
        elif branches[0] is not None and branches[1] is not None:
            candidates = [branches[0], branches[1]]
        else:
            named = [c for c in node.named_children if c.type not in lang.COMMENTS]
            candidates = named[1:] if len(named) >= 3 else named
        out: list[Value] = []
        for candidate in candidates:
            out.extend(self.values(index, candidate, frame))
        return out

    def _format(
        self, index: FileIndex, templates: list[Value], args: list[Node], frame: Frame
    ) -> list[Value]:
        """A format string with its arguments put in: ``%s``, ``{}``, ``{0}``, ``{name}``."""
        arg_values = [self.values(index, a, frame)[0] for a in args if a.type not in lang.COMMENTS]
        out: list[Value] = []
        for template in templates:
            counter = 0
            value: Value = ()
            for part in template:
                if isinstance(part, Hole):
                    value = concat(value, (part,))
                    continue
                position = 0
                for match in _PLACEHOLDER.finditer(part):
                    value = concat(value, (part[position : match.start()],))
                    key = match.group(2)
                    if key and key.isdigit() and int(key) < len(arg_values):
                        filled = arg_values[int(key)]
                    elif not key and counter < len(arg_values) and not match.group(1):
                        filled = arg_values[counter]
                        counter += 1
                    else:
                        filled = (Hole(match.group(1) or key or "arg"),)
                    value = concat(value, filled)
                    position = match.end()
                value = concat(value, (part[position:],))
            out.append(value)
        return out

    def _call(self, index: FileIndex, node: Node, frame: Frame) -> list[Value]:
        call = call_parts(node)
        lowered = call.name.lower()
        receiver_strings = call.receiver is not None and call.receiver.type in lang.STRINGS
        if lowered in _FORMAT_CALLS:
            if receiver_strings:
                return self._format(index, self.values(index, call.receiver, frame), call.args, frame)
            if call.receiver is not None:  # TEMPLATE.format(id): the receiver holds the template
                templates = self.values(index, call.receiver, frame)
                if any(literal(t) for t in templates):
                    return self._format(index, templates, call.args, frame)
            if call.args:
                return self._format(index, self.values(index, call.args[0], frame), call.args[1:], frame)
        path_join = (
            lowered == "join" and call.receiver is not None and lang.text(call.receiver) in _PATH_MODULES
        )
        if call.args and (path_join or (lowered in _JOIN_CALLS and lowered != "join")):
            joined: list[Value] = [()]
            for i, arg in enumerate(call.args[:4]):
                parts = self.values(index, arg, frame)
                joined = [
                    concat(concat(j, ("/",) if i and not literal(p).startswith("/") else ()), p)
                    for j in joined
                    for p in parts
                ][:MAX_VALUES]
            return joined
        if lowered in _KEEP_CALLS and call.receiver is not None:
            kept = self.values(index, call.receiver, frame)
            if any(literal(v) for v in kept):
                return kept
            if call.args and lowered in ("str", "string", "valueof", "concat"):
                return self.values(index, call.args[0], frame)
            return kept
        if call.receiver is None and lowered in ("str", "string", "strval", "encodeuricomponent", "quote"):
            if call.args:
                inner = self.values(index, call.args[0], frame)
                if all(not literal(v) for v in inner):
                    return inner
            return [(Hole(_label(node)),)]
        functions = self.resolve_function(index, call)
        if functions and frame.inline < MAX_INLINE:
            out: list[Value] = []
            for function in functions:
                if not function.returns or function.file is None:
                    continue
                bindings = self.bind(index, function, call, frame)
                inlined = Frame(
                    {**frame.bindings, function.node.id: bindings}, frame.depth, frame.inline + 1, frame.seen
                )
                for returned in function.returns[:4]:
                    out.extend(self.values(function.file, returned, inlined))
            if out:
                return out
        return [(Hole(_label(node)),)]

    def resolve_function(self, index: FileIndex, call: Call) -> list[Function]:
        """The app's own functions a call can be: by name, this file's first, then a unique one (or
        those in the modules this file names) elsewhere in the project. A call on another object
        (``self._cache.get(key)``) is never a method of the class it is made in: that would be
        ``self.get``."""
        if not call.name:
            return []
        foreign = None
        if call.receiver is not None and lang.text(call.receiver) not in _OWN_RECEIVERS:
            foreign = _enclosing_class(call.node)
        local = [f for f in index.functions.get(call.name, []) if foreign is None or f.owner != foreign]
        if local:
            return local[:2]
        elsewhere = [f for f in self.functions.get(call.name, []) if foreign is None or f.owner != foreign]
        if len(elsewhere) <= 1:
            return elsewhere
        text = index.source
        named = [f for f in elsewhere if f.file is not None and f.file.stem.encode() in text]
        return named[:2]

    def bind(self, index: FileIndex, function: Function, call: Call, frame: Frame) -> dict[str, list[Value]]:
        bindings: dict[str, list[Value]] = {}
        for position, pname in enumerate(function.params):
            argument = call.kwargs.get(pname)
            if argument is None and position < len(call.args):
                argument = call.args[position]
            if argument is not None:
                bindings[pname] = self.values(index, argument, frame)
            elif pname in function.defaults and function.file is not None:
                bindings[pname] = self.values(function.file, function.defaults[pname], frame)
        return bindings

    def lookup(self, index: FileIndex, node: Node, name: str, frame: Frame, *, member: bool) -> list[Value]:
        receiver = _receiver_text(node) if member else ""
        own = member and (receiver in _OWN_RECEIVERS or receiver == "")
        function = self.enclosing(index, node)
        if not member or own:
            scope = function
            while scope is not None:
                bound = frame.bindings.get(scope.node.id, {}).get(name)
                local = self._local(index, node, name, scope, frame)
                if local is not None:
                    return local
                if bound is not None:
                    return bound
                if name in scope.params:  # its default, if any, is the caller's to apply (bind)
                    return [(Hole(name, name, scope.node.id),)]
                scope = self.enclosing(index, scope.node)
        top = [d for d in index.defs.get(name, []) if d.scope is None and (member or not d.member)]
        if member:  # this.x set in a constructor, obj.key of an object literal in this file
            top += [d for d in index.defs.get(name, []) if d.member or (d.scope is not None and own)]
        if top:
            return self._from_defs(index, top, frame)
        elsewhere = self.top_defs.get(name, [])
        if len(elsewhere) > 1:
            text = index.source
            preferred = [(f, d) for f, d in elsewhere if f.stem.encode() in text and f is not index]
            elsewhere = preferred or (
                elsewhere if len({lang.text(d.value) for _, d in elsewhere if d.value}) == 1 else []
            )
        out: list[Value] = []
        for other, definition in elsewhere[:3]:
            if definition.value is not None and definition.op == "=":
                out.extend(self.values(other, definition.value, frame))
        return out or [(Hole(name),)]

    def _local(
        self, index: FileIndex, node: Node, name: str, scope: Function, frame: Frame
    ) -> list[Value] | None:
        """The value of a local variable where ``node`` reads it: its last assignment before, with
        the ``+=`` that follow it."""
        defs = [
            d
            for d in index.defs.get(name, [])
            if d.scope == scope.node.id
            and d.node.start_byte < node.start_byte
            and not _contains(d.node, node)
        ]
        if not defs:
            return None
        base = max((i for i, d in enumerate(defs) if d.op == "="), default=None)
        if base is None:
            start: list[Value] = (
                [(Hole(name, name, scope.node.id),)] if name in scope.params else [(Hole(name),)]
            )
            pending = defs
        else:
            start = self.values(index, defs[base].value, frame)
            pending = defs[base + 1 :]
        for extra in pending:
            start = [concat(s, v) for s in start for v in self.values(index, extra.value, frame)][:MAX_VALUES]
        return start

    def _from_defs(self, index: FileIndex, defs: list[Definition], frame: Frame) -> list[Value]:
        assigned = [d for d in defs if d.op == "="]
        out: list[Value] = []
        for definition in assigned[-3:]:
            out.extend(self.values(index, definition.value, frame))
        for extra in [d for d in defs if d.op == "+="]:
            out = [concat(s, v) for s in out for v in self.values(index, extra.value, frame)][:MAX_VALUES]
        return out


_OWN_RECEIVERS = frozenset(
    {"self", "this", "$this", "static", "self::", "@", "this@", "cls", "super", "super()", "base"}
)


def _enclosing_class(node: Node) -> int | None:
    parent = node.parent
    while parent is not None:
        if parent.type in lang.CLASSES:
            return int(parent.id)
        parent = parent.parent
    return None


def _contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _middle_operator(node: Node) -> str:
    for child in node.children:
        if not child.is_named:
            return str(child.type)
    return ""


def _receiver_text(node: Node) -> str:
    if node.type == "instance_variable":
        return "@"
    for field_name in ("object", "expression", "operand", "scope", "receiver", "value"):
        child = node.child_by_field_name(field_name)
        if child is not None:
            return lang.text(child)
    named = node.named_children
    return lang.text(named[0]) if len(named) > 1 else ""


def _label(node: Node) -> str:
    text = lang.text(node)
    name = re.findall(r"[A-Za-z_]\w*", text)
    return name[-1] if name and len(text) > 40 else text[:40]


# --- calls --------------------------------------------------------------------------------------


@dataclass
class Call:
    node: Node
    name: str
    receiver: Node | None
    args: list[Node]
    kwargs: dict[str, Node]

    def chain(self) -> Iterator[Call]:
        """This call and the calls it is made on (``a().b().c()``: c, b, a)."""
        current: Call | None = self
        while current is not None:
            yield current
            receiver = current.receiver
            while receiver is not None and receiver.type in ("await_expression", "parenthesized_expression"):
                receiver = receiver.named_children[-1] if receiver.named_children else None
            current = call_parts(receiver) if receiver is not None and receiver.type in lang.CALLS else None


_ARGUMENT_LISTS = frozenset(
    {"arguments", "argument_list", "value_arguments", "call_suffix", "attribute_argument_list"}
)


def annotation_parts(node: Node) -> Call:
    """An annotation read as a call of its name: ``@GET("p")``, ``[Get("p")]``, ``@HTTP(method = "DELETE",
    path = "p")`` (Java's arguments list, C#'s attribute arguments, Kotlin's constructor invocation)."""
    inner = next((c for c in node.named_children if c.type == "constructor_invocation"), node)
    name_node = inner.child_by_field_name("name") or next(
        (c for c in inner.named_children if c.type in ("user_type", "identifier", "name", "qualified_name")),
        None,
    )
    if name_node is not None and name_node.type == "user_type" and name_node.named_children:
        name_node = name_node.named_children[-1]
    arguments = inner.child_by_field_name("arguments") or next(
        (
            c
            for c in inner.named_children
            if c.type in _ARGUMENT_LISTS or c.type in ("annotation_argument_list", "arguments")
        ),
        None,
    )
    args: list[Node] = []
    kwargs: dict[str, Node] = {}
    for child in arguments.named_children if arguments is not None else []:
        _argument(child, args, kwargs)
    return Call(node, name_of(name_node) or "", None, args, kwargs)


def callee(node: Node) -> tuple[str, Node | None]:
    """A call's name and the expression it is made on (``a.b.get(x)``: ``get``, ``a.b``)."""
    receiver: Node | None = None
    name = ""
    if node.type in ("method_invocation", "member_call_expression", "nullsafe_member_call_expression"):
        receiver = node.child_by_field_name("object")
        name = name_of(node.child_by_field_name("name")) or ""
    elif node.type == "scoped_call_expression":
        receiver = node.child_by_field_name("scope")
        name = name_of(node.child_by_field_name("name")) or ""
    elif node.type == "call" and node.child_by_field_name("method") is not None:
        receiver = node.child_by_field_name("receiver")
        name = name_of(node.child_by_field_name("method")) or ""
    else:
        function = (
            node.child_by_field_name("function")
            or node.child_by_field_name("constructor")
            or node.child_by_field_name("type")
        )
        if function is None and node.named_children:
            function = node.named_children[0]
        if function is not None:
            if function.type in lang.MEMBERS:
                receiver = (
                    function.child_by_field_name("object")
                    or function.child_by_field_name("expression")
                    or function.child_by_field_name("operand")
                    or (function.named_children[0] if function.named_children else None)
                )
            name = name_of(function) or ""
    return name, receiver


def call_parts(node: Node) -> Call:
    name, receiver = callee(node)
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        arguments = next((c for c in node.named_children if c.type in _ARGUMENT_LISTS), None)
    args: list[Node] = []
    kwargs: dict[str, Node] = {}
    if arguments is not None:
        if arguments.type == "call_suffix":
            arguments = next((c for c in arguments.named_children if c.type == "value_arguments"), arguments)
        for child in arguments.named_children:
            _argument(child, args, kwargs)
    initializer = node.child_by_field_name("initializer")
    if initializer is not None:  # C#'s new T { Key = value }
        for child in initializer.named_children:
            _argument(child, args, kwargs)
    return Call(node, name, receiver, args, kwargs)


def _argument(child: Node, args: list[Node], kwargs: dict[str, Node]) -> None:
    kind = child.type
    if kind in lang.COMMENTS:
        return
    if kind in ("keyword_argument", "pair", "assignment_expression", "named_argument", "element_value_pair"):
        key = (
            child.child_by_field_name("name")
            or child.child_by_field_name("key")
            or child.child_by_field_name("left")
        )
        value = child.child_by_field_name("value") or child.child_by_field_name("right")
        key_name = name_of(key)
        if key_name and value is not None:
            kwargs[key_name] = value
            return
    if kind in ("argument", "value_argument", "attribute_argument"):
        named = [c for c in child.named_children if c.type not in lang.COMMENTS]
        name_node = child.child_by_field_name("name")
        if name_node is None and len(named) == 2 and any(c.type == "=" for c in child.children):
            name_node = named[0]
        if name_node is not None and named:
            key_name = name_of(name_node)
            if key_name:
                kwargs[key_name] = named[-1]
                return
        if named:
            args.append(named[-1])
        return
    args.append(child)
