"""``rcgrad plan scan``: the RingCentral REST calls an app's source tree makes, found by reading it.

It parses JavaScript, TypeScript, Python, C#, Java, Kotlin, PHP, Go and Ruby with tree-sitter
(``scan_lang``), follows the values that reach each call that sends a request (``scan_values``) and
reads them with the official SDKs' semantics (``scan_sdk``). Each call site is judged by its own
verb; a helper that takes the method or the path as a parameter is judged at each of its calls.
Ids the code builds become placeholders, the account's and extension's ``~``. A call it cannot
resolve to one operation becomes a todo item naming the candidates and its file:line. Paths in
comments, in test and fixture trees and in methods nothing calls are counted and skipped; event
filters become the subscription's own calls. It must never execute, import or modify the code it reads.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from runner.plan import scan_lang as lang
from runner.plan import scan_sdk as sdk
from runner.plan.scan_lang import LANGUAGES, Node, line
from runner.plan.scan_sdk import METHODS, SHORT_PREFIX
from runner.plan.scan_values import (
    MAX_VALUES,
    Call,
    Evaluator,
    FileIndex,
    Frame,
    Function,
    Hole,
    Value,
    annotation_parts,
    call_parts,
    callee,
    index_file,
    params_in,
)
from runner.rc import wire
from runner.rc.catalog import Catalog, Operation, load_catalog

EXTENSIONS = frozenset(LANGUAGES)
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "vendor", "dist", "build", "__pycache__", "bin", "obj"}
TEST_DIRS = {
    "test",
    "tests",
    "__tests__",
    "__mocks__",
    "spec",
    "specs",
    "mock",
    "mocks",
    "fixture",
    "fixtures",
    "testdata",
}
TEST_FILES = (
    "*_test.go",
    "*.spec.*",
    "*.test.*",
    "test_*.py",
    "*_test.py",
    "*_spec.rb",
    "*Test.java",
    "*Tests.java",
    "*Test.kt",
    "*Test.cs",
    "*Tests.cs",
    "*Test.php",
)
OWN_IDS = ("accountId", "extensionId")
SUBSCRIPTION = "/restapi/v1.0/subscription"
MAX_CANDIDATES = 6  # named in a todo; more than that and the todo says how many
MAX_ALTERNATIVES = 12  # kept for a todo: past that, the candidates are a place to start, not a list
# A file is parsed only when it can hold a call: it names the API, an SDK, or a module that does.
_RELEVANT = re.compile(
    rb"restapi|/account/|account/~|subscription|ringcentral|team-messaging|ring-?out|contentUri"
    rb"|profileImage|event_?filters|addEvents|add_events|setEventFilters|/extension/",
    re.IGNORECASE,
)
_PROSE_PATH = re.compile(r"/restapi/v[\d.]+/[\w~{$][^\s\"'`)\],;]*|['\"`]/account/~[^\s\"'`]*")
OWN_FILTER = re.compile(r"/(account|extension)/\{\{[^}]*\}\}")
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")


@dataclass(frozen=True)
class Found:
    file: str
    line: int
    method: str
    path: str  # with {{placeholders}} for the interpolated ids, ~ for the user's own
    operation: Operation
    candidates: tuple[str, ...] = ()  # methods the code chooses between at run time
    # A call the scan could not resolve to one operation: the others it can be ("METHOD path"),
    # and why; the plan carries it as a todo item.
    alternatives: tuple[str, ...] = ()
    unsure: str = ""


@dataclass(frozen=True)
class Unmatched:
    file: str
    line: int
    text: str


@dataclass
class Scan:
    found: list[Found] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    event_filters: list[tuple[str, int, str]] = field(default_factory=list)  # file, line, filter path
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (file, why) -> hits
    files: Counter[str] = field(default_factory=Counter)  # file -> operations found


@dataclass(frozen=True)
class ScanOptions:
    include_tests: bool = False
    exclude: tuple[str, ...] = ()


def scan_tree(root: Path, catalog: Catalog | None = None) -> tuple[list[Found], list[Unmatched]]:
    """The calls found under ``root`` with the default options (the older two-value form)."""
    scan = scan_source(root, catalog=catalog)
    return scan.found, scan.unmatched


def scan_source(root: Path, options: ScanOptions | None = None, catalog: Catalog | None = None) -> Scan:
    catalog = catalog or load_catalog()
    options = options or ScanOptions()
    scan = Scan()
    files = list(_read(root, options, scan))
    _Scanner(catalog, files, scan, root).run()
    scan.found.sort(key=lambda f: (f.file, f.line, f.method, f.path))
    return scan


def _read(root: Path, options: ScanOptions, scan: Scan) -> Iterator[FileIndex]:
    """The files worth parsing, indexed: those that name the API or an SDK, and those that name one
    of their modules (a constant or a helper imported from it)."""
    later: list[tuple[str, str, bytes]] = []
    stems: set[str] = set()
    for path, relative in sorted(_sources(root), key=lambda pair: pair[1]):
        if _excluded(relative, options.exclude):
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if _is_test(relative) and not options.include_tests:
            hits = len(_PROSE_PATH.findall(data.decode("utf-8", "replace")))
            if hits:
                scan.skipped[(relative, "test or fixture")] += hits
            continue
        if _RELEVANT.search(data):
            stems.add(PurePosixPath(relative).stem)
            yield index_file(relative, path.suffix, data)
        else:
            later.append((relative, path.suffix, data))
    names = [s for s in stems if len(s) >= 3 and s not in ("index", "main", "app", "utils", "__init__")]
    if names and later:
        importing = re.compile(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")\b")
        for relative, suffix, data in later:
            if importing.search(data):
                yield index_file(relative, suffix, data)


@dataclass
class _Template:
    """A request made inside a helper with its method or path from the helper's parameters."""

    function: Function
    methods: list[str | Hole]
    paths: list[Value]
    file: FileIndex
    node: Node
    path_node: Node | None
    used: bool = False


class _Scanner:
    def __init__(self, catalog: Catalog, files: list[FileIndex], scan: Scan, root: Path) -> None:
        self.catalog = catalog
        self.files = files
        self.scan = scan
        self.root = root
        self._names: Counter[bytes] | None = None  # identifier -> occurrences in the sources
        self._reached: dict[int, bool] = {}
        self.roots, self.short = _roots(catalog)
        self.segments = _segment_names(catalog)
        self.evaluator = Evaluator(files)
        self.templates: dict[int, list[_Template]] = {}
        self.seen: set[tuple[str, int, str, str]] = set()
        self.calls: dict[int, Call] = {}
        self.operation_ids = {op.id.lower(): op for op in catalog.operations}

    def run(self) -> None:
        for index in self.files:
            self._comments(index)
            self._event_filter_defs(index)
            for node in index.calls:
                if _MAY_REQUEST.search(index.source, node.start_byte, node.end_byte):
                    self._direct(index, self._call(node))
            for node in index.annotations:
                request = sdk.annotation_request(annotation_parts(node), self.evaluator, index)
                if request is not None and request.path is not None:
                    if not self._declaration_called(index, node):
                        self.scan.skipped[(index.relative, "in a function nothing calls")] += 1
                        continue
                    paths = self.evaluator.values(index, request.path)
                    self._emit(index, node, [m for m in request.methods if isinstance(m, str)], paths, None)
        for _ in range(4):  # helpers of helpers: each round reaches one level further out
            if not self._instantiate():
                break
        for templates in self.templates.values():
            for template in templates:
                if not template.used:  # a helper nobody calls where the scan can see: judge it as written
                    values = [tuple(_unbind(p) for p in v) for v in template.paths]
                    methods = [m for m in template.methods if isinstance(m, str)]
                    self._emit(template.file, template.node, methods, values, template.path_node)

    def _call(self, node: Node) -> Call:
        call = self.calls.get(node.id)
        if call is None:
            call = self.calls[node.id] = call_parts(node)
        return call

    def _comments(self, index: FileIndex) -> None:
        for comment in index.comments:
            hits = len(_PROSE_PATH.findall(comment.text.decode("utf-8", "replace")))
            if hits:
                self.scan.skipped[(index.relative, "comment")] += hits

    def _event_filter_defs(self, index: FileIndex) -> None:
        for name, defs in index.defs.items():
            if sdk.EVENT_KEY.match(name):
                for definition in defs:
                    self._filters(index, definition.value)

    def _filters(self, index: FileIndex, node: Node | None) -> None:
        if node is None:
            return
        elements = [node]
        if _is_array(node) or (node.named_child_count and node.type in ("argument", "value_argument")):
            elements = list(_array_elements(node))
        for element in elements:
            for value in self.evaluator.values(index, element):
                start = sdk.api_start(value, self.roots, self.short, relaxed=True)
                if start is None:
                    continue
                template = _template(start)
                key = (index.relative, line(element), "FILTER", template)
                if key not in self.seen:
                    self.seen.add(key)
                    self.scan.event_filters.append((index.relative, line(element), template))
                    self.scan.skipped[(index.relative, "event filter (a subscription)")] += 1

    def _direct(self, index: FileIndex, call: Call) -> None:
        generated = sdk.generated_operation(call, self.operation_ids)
        if generated is not None:
            self._resolve(index, call.node, [generated.method], _tildes(generated.path))
            return
        chain = sdk.chain_path(call, self.segments)
        if chain is not None:
            method, path = chain
            self._resolve(index, call.node, [method], path)
            return
        for node in sdk.event_filter_nodes(call):
            self._filters(index, node)
        request = sdk.request_of(call, self.evaluator, index)
        if request is None:
            return
        paths = self.evaluator.values(index, request.path) if request.path is not None else []
        self._judge(index, call.node, request.methods, paths, request.path)

    def _judge(
        self,
        index: FileIndex,
        node: Node,
        methods: list[str | Hole],
        paths: list[Value],
        path_node: Node | None,
    ) -> None:
        """A request at ``node``: a template of its function when a parameter decides it, else a call."""
        function = self.evaluator.enclosing(index, node)
        holes = [h for v in paths for h in params_in(v)] + [m for m in methods if isinstance(m, Hole)]
        if function is not None and any(h.function == function.node.id for h in holes):
            resolved = [m for m in methods if isinstance(m, str)]
            if resolved and not [m for m in methods if isinstance(m, Hole)] and self._resolvable(paths):
                self._emit(index, node, resolved, paths, path_node)  # only ids come from parameters
                return
            self.templates.setdefault(function.node.id, []).append(
                _Template(function, methods, paths, index, node, path_node)
            )
            return
        self._emit(index, node, [m for m in methods if isinstance(m, str)], paths, path_node)

    def _resolvable(self, paths: list[Value]) -> bool:
        """Whether the paths name operations with only ids unknown (no path tail from a parameter)."""
        for value in paths:
            start = sdk.api_start(value, self.roots, self.short, relaxed=True)
            if start is None:
                return False
            if isinstance(start[-1], Hole) and start[-1].param is not None and _tail_like(start[-1].label):
                return False
        return bool(paths)

    def _instantiate(self) -> bool:
        grew = False
        helpers = {t.function.name for templates in self.templates.values() for t in templates}
        for index in self.files:
            for node in index.calls:
                if callee(node)[0] not in helpers:
                    continue
                call = self._call(node)
                for function in self.evaluator.resolve_function(index, call):
                    for template in list(self.templates.get(function.node.id, ())):
                        key = (index.relative, node.id, "TEMPLATE", str(id(template)))
                        if key in self.seen:
                            continue
                        self.seen.add(key)
                        template.used = True
                        bindings = self.evaluator.bind(index, function, call, Frame())
                        methods: list[str | Hole] = []
                        for method in template.methods:
                            if isinstance(method, Hole) and method.function == function.node.id:
                                for value in bindings.get(method.param or "", []):
                                    methods += sdk_methods(value)
                            else:
                                methods.append(method)
                        paths = [
                            v for value in template.paths for v in _substitute(value, function, bindings)
                        ][:MAX_VALUES]
                        before = sum(len(t) for t in self.templates.values())
                        self._judge(index, node, list(dict.fromkeys(methods)), paths, None)
                        grew = grew or sum(len(t) for t in self.templates.values()) > before
        return grew

    def _emit(
        self, index: FileIndex, node: Node, methods: list[str], paths: list[Value], path_node: Node | None
    ) -> None:
        resolved_any = False
        for value in paths:
            start = sdk.api_start(value, self.roots, self.short, relaxed=True)
            if start is None:
                continue
            resolved_any = True
            # a path with a part built at run time that is not an id: its end is unknown
            open_end = any(isinstance(part, Hole) and not _id_like(part.label) for part in start)
            self._resolve(index, node, methods, _template(start), open_end=open_end)
        if not resolved_any and path_node is not None:
            answer = sdk.answer_uri(path_node)
            if answer is not None:
                template, certain = answer
                self._resolve(
                    index,
                    node,
                    methods or ["GET"],
                    template,
                    unsure=""
                    if certain
                    else (f"the URL is taken from an answer ({_short(path_node)}): check which record it is"),
                )

    def _resolve(
        self,
        index: FileIndex,
        node: Node,
        methods: list[str],
        template: str,
        unsure: str = "",
        *,
        open_end: bool = False,
    ) -> None:
        where = line(node)
        if not self._reachable(index, node):
            key = (index.relative, where, "UNREACHED", template)
            if key not in self.seen:
                self.seen.add(key)
                self.scan.skipped[(index.relative, "in a function nothing calls")] += 1
            return
        template = sdk.normalise(template)
        probe = _PLACEHOLDER.sub("1", template)
        named = [(m, hit.value) for m in dict.fromkeys(methods) if (hit := self.catalog.match(m, probe))]
        if named:
            dynamic = tuple(m for m, _ in named) if len(named) > 1 else ()
            method, op = named[0]
            self._add(Found(index.relative, where, method, _own_ids(template, op), op, dynamic, (), unsure))
            return
        others = [(m, hit.value) for m in METHODS if (hit := self.catalog.match(m, probe)) is not None]
        if len(others) == 1 and not methods:
            method, op = others[0]
            self._add(Found(index.relative, where, method, _own_ids(template, op), op, (), (), unsure))
            return
        candidates = others if not methods else []
        why = "the scan cannot see the method"
        if not candidates and open_end:
            candidates = self._by_prefix(methods, template)
            why = "part of the path is built at run time"
        if candidates:
            method, op = candidates[0]
            if len(candidates) > MAX_ALTERNATIVES:
                known = template.split("{{", 1)[0].rstrip("/")
                why = f"{why}: one of {len(candidates)} operations under {known}"
            rest = tuple(f"{m} {_tildes(o.path)}" for m, o in candidates[1:MAX_ALTERNATIVES])
            path = _own_ids(template, op) if op.path.count("/") == template.count("/") else _tildes(op.path)
            self._add(Found(index.relative, where, method, path, op, (), rest, why))
            return
        key = (index.relative, where, "UNMATCHED", template)
        if key not in self.seen:  # a helper's call is reached once per caller
            self.seen.add(key)
            self.scan.unmatched.append(Unmatched(index.relative, where, template))

    def _reachable(self, index: FileIndex, node: Node) -> bool:
        """Whether live code can reach a call: not when the method holding it is declared under a name
        written nowhere else in the sources (a service method nothing calls), and is no entry point
        (decorated or annotated, public by declaration, an override, exported, a lifecycle hook)."""
        function = self.evaluator.enclosing(index, node)
        while function is not None and function.node.child_by_field_name("name") is None:
            function = self.evaluator.enclosing(index, function.node)  # a lambda lives as its holder does
        if function is None or not function.name or function.owner is None:
            return True  # a plain function may be a script's, a library's or a handler named in config
        reached = self._reached.get(function.node.id)
        if reached is None:
            reached = _entry_point(function) or self._uses()[function.name.encode()] > 1
            self._reached[function.node.id] = reached
        return reached

    def _declaration_called(self, index: FileIndex, annotation: Node) -> bool:
        """Whether the app calls the method a declarative client's annotation is on: its
        annotation declares a request, it makes no entry point."""
        parent = annotation.parent
        while parent is not None and parent.id not in index.by_node:
            parent = parent.parent
        if parent is None:
            return True
        name = index.by_node[parent.id].name
        return not name or self._uses()[name.encode()] > 1

    def _uses(self) -> Counter[bytes]:
        """The names written in the repository's text files: sources (tests and excluded trees too),
        templates and components the scan does not parse (.vue, .html, .erb...), configuration."""
        if self._names is None:
            self._names = Counter()
            for path in _texts(self.root):
                try:
                    self._names.update(_IDENTIFIER.findall(path.read_bytes()))
                except OSError:
                    continue
        return self._names

    def _by_prefix(self, methods: list[str], template: str) -> list[tuple[str, Operation]]:
        """Operations a path whose end is unknown can be: those under its known beginning."""
        known = template.split("{{", 1)[0].rstrip("/")
        if known.count("/") < 3 or "{{" not in template.rsplit("/", 1)[-1]:
            return []
        wanted = methods or list(METHODS)
        prefix = [s for s in known.split("/") if s]
        out = []
        for op in self.catalog.operations:
            if op.method not in wanted:
                continue
            segments = [s for s in op.path.split("/") if s]
            if len(segments) > len(prefix) and all(
                a == b or b.startswith("{") or (a == "~" and b.startswith("{"))
                for a, b in zip(prefix, segments, strict=False)
            ):
                out.append((op.method, op))
        return out

    def _add(self, hit: Found) -> None:
        key = (hit.file, hit.line, hit.method, hit.operation.path)
        if key in self.seen:
            return
        self.seen.add(key)
        self.scan.found.append(hit)
        self.scan.files[hit.file] += 1


# What a call that sends a request, names a method or sets event filters has in its text, one way or
# another (its name, a method, a URL or path key, an SDK's word): a call without any is not read.
_MAY_REQUEST = re.compile(
    rb"(?i)get|post|put|patch|del|list|request|fetch|send|call|api|do|exec|exchange|axios|open|event"
    rb"|subscri|method|verb|type|url|uri|path|endpoint|resource|rest"
)

_ARRAY_TYPES = frozenset(
    {
        "list",
        "array",
        "array_creation_expression",
        "implicit_array_creation_expression",
        "initializer_expression",
        "collection_expression",
        "array_initializer",
        "composite_literal",
        "literal_value",
        "tuple",
        "argument",
        "value_argument",
        "collection_literal",
        "call_expression",
        "method_invocation",
        "invocation_expression",
        "function_call_expression",
    }
)


# The calls that build a list of their arguments (Arrays.asList, List.of, listOf, arrayOf, array)
_LIST_CALLS = frozenset(
    {
        "aslist",
        "of",
        "copyof",
        "listof",
        "mutablelistof",
        "arraylistof",
        "arrayof",
        "setof",
        "mutablesetof",
        "array",
    }
)


def _is_array(node: Node) -> bool:
    """An array literal or a call that builds one; any other call (format(...)) is one element."""
    if node.type in lang.CALLS:
        return call_parts(node).name.lower() in _LIST_CALLS
    return node.type in _ARRAY_TYPES


def _array_elements(node: Node) -> Iterator[Node]:
    """The elements of an array literal, through the wrappers each language puts around them
    (``new[] { ... }``, ``[]string{...}``, ``listOf(...)``, ``Arrays.asList(...)``, ``array(...)``)."""
    for child in node.named_children:
        if _is_array(child) or child.type in (
            "arguments",
            "argument_list",
            "value_arguments",
            "array_element_initializer",
            "literal_element",
            "element",
        ):
            yield from _array_elements(child)
        elif child.type not in ("comment", "type_identifier", "identifier") or node.type in (
            "array",
            "list",
            "tuple",
            "literal_value",
            "array_initializer",
            "initializer_expression",
            "collection_literal",
            "arguments",
            "argument_list",
            "value_arguments",
            "value_argument",
            "argument",
        ):
            yield child


def sdk_methods(value: Value) -> list[str | Hole]:
    if len(value) == 1 and isinstance(value[0], Hole):
        return [value[0]] if value[0].param is not None else []
    text = "".join(p for p in value if isinstance(p, str)).strip().upper()
    text = text.rsplit(".", 1)[-1].removeprefix("METHOD")
    return [text] if text in METHODS else []


def _substitute(value: Value, function: Function, bindings: dict[str, list[Value]]) -> list[Value]:
    out: list[Value] = [()]
    for part in value:
        if isinstance(part, Hole) and part.function == function.node.id:
            fills = bindings.get(part.param or "") or [(Hole(part.label),)]
            out = [o + f for o in out for f in fills][:MAX_VALUES]
        else:
            out = [(*o, part) for o in out]
    return [_merge(v) for v in out]


def _merge(value: Value) -> Value:
    merged: list[str | Hole] = []
    for part in value:
        if merged and isinstance(part, str) and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        elif part != "":
            merged.append(part)
    return tuple(merged)


def _unbind(part: str | Hole) -> str | Hole:
    return Hole(part.label) if isinstance(part, Hole) else part


_IDENTIFIER = re.compile(rb"[A-Za-z_$][\w$]*")
# Names a framework or a runtime calls: a hook never appears in the app's own calls.
_HOOKS = re.compile(
    r"^(main|run|handle|handler|lambda_handler|execute|invoke|start|setup|init|render|component[A-Z]\w*"
    r"|ng[A-Z]\w*|on[A-Z]\w*|__\w+__)$"
)


def _entry_point(function: Function) -> bool:
    """A method something outside the app may call: decorated (a route, a task), annotated (Java,
    C#, Kotlin), declared public or an override, exported (JavaScript), a method of an object
    literal (a framework's options), or a hook by its name."""
    node = function.node
    if _HOOKS.match(function.name):
        return True
    parent = node.parent
    if parent is not None and parent.type in lang.ENTRY_HOLDERS:
        return True
    for child in node.children:
        if child.type in lang.ENTRY_MARKS:
            return True
        if child.type in lang.MODIFIERS and re.search(
            r"@|\b(override|public)\b", child.text.decode("utf-8", "replace")
        ):
            return True
    return False


def _id_like(label: str) -> bool:
    """Whether a part built at run time is named as an id (``queue_id``, ``extensionId``, ``sub.id``)."""
    words = re.findall(r"[A-Za-z0-9]+", label)
    last = words[-1] if words else ""
    return bool(re.fullmatch(r"(?i)ids?|uuid|guid|\d+", last) or re.search(r"[a-z0-9](Id|ID|Ids)$", last))


def _tail_like(label: str) -> bool:
    return bool(re.search(r"(?i)path|url|uri|endpoint|route|resource|suffix|tail", label))


def _short(node: Node) -> str:
    text = node.text.decode("utf-8", "replace")
    return text if len(text) <= 40 else text[:37] + "..."


def _template(start: Value) -> str:
    """A path with its holes as ``{{idN}}``, without query or trailing slash."""
    count = 0
    out = ""
    for part in start:
        if isinstance(part, Hole):
            count += 1
            out += f"{{{{id{count}}}}}"
            continue
        if "?" in part or "#" in part or "&" in part:  # the query ("&" when "?" was built apart)
            out += _inline_placeholders(re.split(r"[?#&]", part, maxsplit=1)[0])
            break
        out += _inline_placeholders(part)
    segments = out.rstrip("/").split("/")
    renamed = []
    for segment in segments:  # a segment partly built at run time ("ext-{{id1}}") is an id
        renamed.append(
            segment if "{{" not in segment or re.fullmatch(r"\{\{id\d+\}\}", segment) else "{{id0}}"
        )
    text = "/".join(renamed)
    number = iter(range(1, 100))
    return re.sub(r"\{\{id\d+\}\}", lambda _: f"{{{{id{next(number)}}}}}", text)


def _inline_placeholders(text: str) -> str:
    """Placeholders written inside a literal (``{id}``, ``:id``, ``%s``) are ids too."""
    return re.sub(r"\{[^{}/]*\}|(?<=/):[A-Za-z_]\w*|%[sdv]|\$[A-Za-z_]\w*", "{{id0}}", text)


def _tildes(path: str) -> str:
    return re.sub(
        r"\{(accountId|extensionId)\}", "~", re.sub(r"\{(?!accountId|extensionId)([^}]*)\}", r"{{\1}}", path)
    )


def _roots(catalog: Catalog) -> tuple[tuple[str, ...], frozenset[str]]:
    """Path roots from the catalog (``/restapi/v1.0``, ``/team-messaging/v1``...) and the first segments
    under ``/restapi/v1.0`` that the SDKs let an app write without it (``account``, ``subscription``)."""
    roots: set[str] = {"/restapi/v1.0/glip"}  # the legacy root, routed to /team-messaging/v1
    short: set[str] = set()
    for op in catalog.operations:
        parts = op.path.split("/")
        if len(parts) > 3 and "{" not in parts[2] and not wire.is_oauth(op.path):
            roots.add("/".join(parts[:3]))
        if op.path.startswith(SHORT_PREFIX + "/") and len(parts) > 3 and "{" not in parts[3]:
            short.add(parts[3])
    return tuple(sorted(roots, key=len, reverse=True)), frozenset(short)


def _segment_names(catalog: Catalog) -> dict[str, str]:
    """The typed SDKs' method names for path segments, from the spec's own paths: ``callLog``,
    ``CallLog`` and ``call_log`` all name ``call-log``. No table per SDK: they are generated from it."""
    names: dict[str, str] = {"ringout": "ring-out"}
    for op in catalog.operations:
        for segment in op.path.split("/"):
            if segment and "{" not in segment:
                names.setdefault(re.sub(r"[-_.]", "", segment).lower(), segment)
    return names


def _sources(root: Path) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        yield root, root.name
        return
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if path.suffix in EXTENSIONS and not SKIP_DIRS & set(parts) and path.is_file():
            yield path, PurePosixPath(*parts).as_posix()


# Files that can name an app's functions without being parsed: components, templates, configuration.
REFERENCE_SUFFIXES = frozenset(
    {
        ".vue",
        ".svelte",
        ".html",
        ".htm",
        ".erb",
        ".haml",
        ".cshtml",
        ".razor",
        ".xml",
        ".yml",
        ".yaml",
        ".json",
        ".toml",
        ".properties",
        ".gradle",
        ".cfg",
        ".ini",
    }
)
_MAX_REFERENCE_BYTES = 1 << 20


def _texts(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in root.rglob("*"):
        suffix = path.suffix
        if (suffix in EXTENSIONS or suffix in REFERENCE_SUFFIXES) and not SKIP_DIRS & set(
            path.relative_to(root).parts
        ):
            try:
                if path.is_file() and (suffix in EXTENSIONS or path.stat().st_size <= _MAX_REFERENCE_BYTES):
                    yield path
            except OSError:
                continue


def _is_test(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    if {p.lower() for p in parts[:-1]} & TEST_DIRS:
        return True
    return any(fnmatch.fnmatch(parts[-1], pattern) for pattern in TEST_FILES)


def _excluded(relative: str, patterns: tuple[str, ...]) -> bool:
    parts = PurePosixPath(relative).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pattern) for pattern in patterns for p in prefixes)


def _own_ids(path: str, op: Operation) -> str:
    """The account and extension ids as ``~``: the authorised user's own, which always exist."""
    written, template = path.split("/"), op.path.split("/")
    if len(written) != len(template):
        return path
    path = "/".join(
        "~" if tpl[1:-1] in OWN_IDS and seg.startswith("{{") else seg
        for seg, tpl in zip(written, template, strict=True)
    )
    number = iter(range(1, 100))  # the ids left, numbered again from 1
    return re.sub(r"\{\{id\d+\}\}", lambda _: f"{{{{id{next(number)}}}}}", path)
