"""``rcgrad plan scan``: the RingCentral REST calls an app's source tree makes, found by reading it.

It reads Python, JavaScript/TypeScript, Java, C#, PHP and Go files as text and finds API paths in
string literals and template strings: full paths under any of the catalog's roots (``/restapi/v1.0``,
``/team-messaging/v1``, ...), the short paths the official SDKs accept (``/account/~/...``) and the
typed SDKs' fluent chains (``rc.restapi().account().extension().sms().post(...)``, named after the
spec's own path segments).
Interpolations (``${id}``, ``{ext_id}``, ``" + id + "``, ``$id``, ``%s``, ``:id``) become
placeholders; the account and extension ids become ``~``, the authorised user's own. The HTTP
method comes from the call on the same or the previous lines; when the code chooses it at run time
(``isUpdate ? 'PUT' : 'POST'``) both candidates are named in a todo. Paths in comments, in test and
fixture trees, and in subscription event filters are not calls: they are counted and skipped (event
filters become the subscription's own calls). It must never execute, import or modify the code it
reads.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from runner.plan.init import body_for, plan_top
from runner.rc.catalog import Catalog, Operation, load_catalog

EXTENSIONS = {".py", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".java", ".kt", ".cs", ".php", ".go"}
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
    "*Test.java",
    "*Tests.java",
    "*Test.cs",
    "*Tests.cs",
    "*Test.php",
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SHORT_PREFIX = "/restapi/v1.0"
OWN_IDS = ("accountId", "extensionId")
# A quote, then " + expr + " (or the same with single quotes / backticks): string concatenation.
_CONCAT = re.compile(r"""(["'`])\s*\+\s*[\w.\[\]()"'$]+?\s*\+\s*\1""")
_INTERPOLATION = re.compile(r"\$\{[^}]*\}|\{[^}/]*\}|\$[A-Za-z_]\w*|%[sdv]|(?<=/):[A-Za-z_]\w*|\+\s*\w+\s*$")
_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|`([^`]*)`')
_METHOD_HINT = re.compile(
    r"(?i)(?:\.|->)(get|post|put|patch|delete)(?:async)?\s*[(<]|method\s*[:=]\s*['\"](get|post|put|patch|delete)['\"]"
    r"|HttpMethod\.(get|post|put|patch|delete)|http\.Method(get|post|put|patch|delete)|['\"](GET|POST|PUT|PATCH|DELETE)['\"]"
)
_METHOD_WORD = re.compile(r"""['"](GET|POST|PUT|PATCH|DELETE)['"]""", re.IGNORECASE)
_EVENT_FILTER = re.compile(r"(?i)event_?filters?")
_PROSE_PATH = re.compile(r"/restapi/v[\d.]+/[\w~{$][^\s\"'`)\],;]*")
SUBSCRIPTION = "/restapi/v1.0/subscription"
_OWN_FILTER = re.compile(r"/(account|extension)/\{\{[^}]*\}\}")


@dataclass(frozen=True)
class Found:
    file: str
    line: int
    method: str
    path: str  # with {{placeholders}} for the interpolated ids, ~ for the user's own
    operation: Operation
    candidates: tuple[str, ...] = ()  # methods the code chooses between at run time


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
    roots, short = _roots(catalog)
    segments = _segment_names(catalog)
    scan = Scan()
    for path, relative in sorted(_sources(root), key=lambda pair: pair[1]):
        if _excluded(relative, options.exclude):
            continue
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        testish = _is_test(relative)
        marked = list(_lines_with_comments(lines, path.suffix))
        code = [line if comment is None else line[:comment] for _, line, comment in marked]  # for hints
        for number, line, comment in marked:
            joined = _CONCAT.sub("{x}", line)
            for text, start in _literals(joined):
                raw = _api_path(text, roots, short)
                if raw is None:
                    continue
                if comment is not None and start >= comment:
                    scan.skipped[(relative, "comment")] += 1
                    continue
                if testish and not options.include_tests:
                    scan.skipped[(relative, "test or fixture")] += 1
                    continue
                if _EVENT_FILTER.search(" ".join(lines[max(0, number - 4) : number])):
                    scan.event_filters.append((relative, number, raw))
                    scan.skipped[(relative, "event filter (a subscription)")] += 1
                    continue
                template = _placeholders(raw.split("?", 1)[0])
                hits = _resolve_all(catalog, _methods(code, number - 1), template)
                if not hits:
                    scan.unmatched.append(Unmatched(relative, number, raw))
                    continue
                method, op = hits[0]
                dynamic = tuple(m for m, _ in hits) if len(hits) > 1 else ()
                scan.found.append(Found(relative, number, method, _own_ids(template, op), op, dynamic))
                scan.files[relative] += 1
            for chain_path, chain_methods in _chains(code[number - 1], segments):
                hits = _resolve_all(catalog, chain_methods, chain_path)
                if hits:
                    method, op = hits[0]
                    scan.found.append(Found(relative, number, method, _own_ids(chain_path, op), op))
                    scan.files[relative] += 1
                else:
                    scan.unmatched.append(Unmatched(relative, number, chain_path))
            if comment is not None:
                # Paths written in prose (Javadoc examples, "calls GET /restapi/..."): never calls.
                quoted = [start for _, start in _literals(joined) if start >= comment]
                for match in _PROSE_PATH.finditer(line, comment):
                    if not any(start <= match.start() for start in quoted):
                        scan.skipped[(relative, "comment")] += 1
    return scan


def _roots(catalog: Catalog) -> tuple[tuple[str, ...], frozenset[str]]:
    """Path roots from the catalog (``/restapi/v1.0``, ``/team-messaging/v1``...) and the first segments
    under ``/restapi/v1.0`` that the SDKs let an app write without it (``account``, ``subscription``)."""
    roots: set[str] = set()
    short: set[str] = set()
    for op in catalog.operations:
        parts = op.path.split("/")
        if len(parts) > 3 and "{" not in parts[2] and not op.path.startswith("/restapi/oauth"):
            roots.add("/".join(parts[:3]))
        if op.path.startswith(SHORT_PREFIX + "/") and len(parts) > 3 and "{" not in parts[3]:
            short.add(parts[3])
    return tuple(sorted(roots, key=len, reverse=True)), frozenset(short)


def _segment_names(catalog: Catalog) -> dict[str, str]:
    """The typed SDKs' method names for path segments, from the spec's own paths: ``callLog``,
    ``CallLog`` and ``call_log`` all name ``call-log``. No table per SDK: they are generated from it."""
    names: dict[str, str] = {}
    for op in catalog.operations:
        for segment in op.path.split("/"):
            if segment and "{" not in segment:
                names.setdefault(re.sub(r"[-_.]", "", segment).lower(), segment)
    return names


_CHAIN = re.compile(r"(?i)\brestapi\s*\(([^()]*)\)((?:\s*\.\s*[A-Za-z]\w*\s*\([^()]*\))+)")
_LINK = re.compile(r"\.\s*([A-Za-z]\w*)\s*\(([^()]*)\)")
_VERBS = {"get": "GET", "list": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
_EMPTY_ARG = re.compile(r"""^\s*(?:["']{2}|["']~["']|null|nil|None)?\s*$""")


def _chains(line: str, segments: dict[str, str]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Fluent calls of the typed SDKs (``rc.restapi().account().extension().sms().post(...)``) as a path
    and the method: each link is a segment, an argument an id (the account's and extension's
    default to ``~``), and the last link the HTTP method."""
    for match in _CHAIN.finditer(line):
        version = match.group(1).strip().strip("\"'")
        path = "/restapi/" + (version if version and version not in ("~",) else "v1.0")
        links = _LINK.findall(match.group(2))
        if not links or links[-1][0].lower() not in _VERBS:
            continue
        count = 0
        for name, argument in links[:-1]:
            segment = segments.get(name.replace("_", "").lower())
            if segment is None:
                break
            path += "/" + segment
            if segment in ("account", "extension"):
                path += "/~" if _EMPTY_ARG.match(argument) else f"/{{{{id{(count := count + 1)}}}}}"
            elif not _EMPTY_ARG.match(argument):
                count += 1
                path += f"/{{{{id{count}}}}}"
        else:
            yield path, (_VERBS[links[-1][0].lower()],)


def _api_path(text: str, roots: tuple[str, ...], short: frozenset[str]) -> str | None:
    text = text.strip()
    if "://" in text:  # an absolute URL: its path
        text = "/" + text.split("://", 1)[1].split("/", 1)[-1] if "/" in text.split("://", 1)[1] else ""
    if not text.startswith("/"):
        return None
    for root in roots:
        if text == root or text.startswith(root + "/"):
            return text
    first = text[1:].split("/", 1)[0].split("?", 1)[0]
    if first in short:
        return SHORT_PREFIX + text
    return None


def _literals(line: str) -> Iterator[tuple[str, int]]:
    for match in _LITERAL.finditer(line):
        text = (
            next(g for g in match.groups() if g is not None)
            if any(g is not None for g in match.groups())
            else ""
        )
        yield text, match.start()


def _lines_with_comments(lines: list[str], suffix: str) -> Iterator[tuple[int, str, int | None]]:
    """Each line with where a comment starts in it (None: no comment); a line inside a block comment or
    a docstring is all comment (0)."""
    hash_comments = suffix in (".py", ".php")
    slash_comments = suffix != ".py"
    in_block: str | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if in_block is not None:
            if in_block in line:
                in_block = None
            yield number, line, 0
            continue
        if slash_comments and stripped.startswith("/*"):
            if "*/" not in stripped[2:]:
                in_block = "*/"
            yield number, line, 0
            continue
        if slash_comments and stripped.startswith("*"):  # a Javadoc / JSDoc continuation line
            yield number, line, 0
            continue
        if suffix == ".py" and stripped[:3] in ('"""', "'''"):
            quote = stripped[:3]
            if stripped.count(quote) == 1:
                in_block = quote
            yield number, line, 0
            continue
        yield number, line, _comment_start(line, slash=slash_comments, hash_=hash_comments)


def _comment_start(line: str, *, slash: bool, hash_: bool) -> int | None:
    quote: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif (slash and line.startswith("//", i) and line[max(0, i - 1) : i] != ":") or (hash_ and ch == "#"):
            return i
        i += 1
    return None


def _sources(root: Path) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        yield root, root.name
        return
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if path.suffix in EXTENSIONS and path.is_file() and not SKIP_DIRS & set(parts):
            yield path, PurePosixPath(*parts).as_posix()


def _is_test(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    if {p.lower() for p in parts[:-1]} & TEST_DIRS:
        return True
    return any(fnmatch.fnmatch(parts[-1], pattern) for pattern in TEST_FILES)


def _excluded(relative: str, patterns: tuple[str, ...]) -> bool:
    parts = PurePosixPath(relative).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pattern) for pattern in patterns for p in prefixes)


def _placeholders(raw: str) -> str:
    count = 0

    def name(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"{{{{id{count}}}}}"

    return _INTERPOLATION.sub(name, raw).rstrip("/")


def _own_ids(path: str, op: Operation) -> str:
    """The account and extension ids as ``~``: the authorised user's own, which always exist."""
    written, template = path.split("/"), op.path.split("/")
    if len(written) != len(template):
        return path
    return "/".join(
        "~" if tpl[1:-1] in OWN_IDS and seg.startswith("{{") else seg
        for seg, tpl in zip(written, template, strict=True)
    )


def _methods(lines: list[str], index: int) -> tuple[str, ...]:
    """The method (or, when the code picks one at run time, the candidates) of the call at ``index``:
    from its line, the two before, or, for a URL kept in a variable, the few after it."""
    nearby = (lines[index], *reversed(lines[max(0, index - 2) : index]), *lines[index + 1 : index + 6])
    for line in nearby:
        words = list(dict.fromkeys(m.upper() for m in _METHOD_WORD.findall(line)))
        if len(words) > 1:
            return tuple(words)
        hint = _METHOD_HINT.search(line)
        if hint:
            return (next(g for g in hint.groups() if g).upper(),)
    return ("GET",)


def _resolve_all(catalog: Catalog, methods: tuple[str, ...], template: str) -> list[tuple[str, Operation]]:
    """The operations the path can be with the methods the code names; failing those, the one
    operation it can be with any method (a call whose method the scan could not see)."""
    probe = re.sub(r"\{\{[^}]*\}\}", "1", template)
    named = [(m, hit.value) for m in methods if (hit := catalog.match(m, probe)) is not None]
    if named:
        return named
    others = [
        (m, hit.value) for m in METHODS if m not in methods and (hit := catalog.match(m, probe)) is not None
    ]
    return others if len(others) == 1 else []


_LAST_ID = re.compile(r"^(?P<listing>[^{]*)/\{\{(?P<name>id\d+)\}\}$")


def _list_capture(hit: Found) -> tuple[str, str] | None:
    """For a read of one record whose id the code builds: the list call to capture it from (as
    ``plan init`` does), when the catalog has one. Never for a write: changing or deleting whichever
    record comes first is not a test, it is damage."""
    found = _LAST_ID.match(hit.path)
    if hit.method != "GET" or found is None:
        return None
    parent = hit.operation.path.rsplit("/", 1)[0]
    listing = load_catalog().by_key("GET", parent)
    return (found.group("listing"), found.group("name")) if listing is not None else None


def scopes_needed(found: list[Found]) -> list[str]:
    """The permissions the found calls need, sorted."""
    return sorted({f.operation.permission for f in found if f.operation.permission})


def render(
    found: list[Found],
    *,
    name: str,
    server: str = "local",
    event_filters: list[tuple[str, int, str]] | None = None,
) -> str:
    lines = [
        "# Written by `rcgrad plan scan`: the RingCentral calls found in the source, where each came from.",
        "# Ids the code builds at run time are {{placeholders}}: capture them in a setup step or put them in",
        "# vars:, then remove the todo: line. `rcgrad check` refuses the plan until then.",
        *plan_top(name=name, scopes=scopes_needed(found), server=server),
    ]
    if event_filters:  # the code's own subscription create is the subscription item below
        found = [hit for hit in found if not (hit.method == "POST" and hit.operation.path == SUBSCRIPTION)]
    places: dict[tuple[str, str], list[Found]] = {}
    for hit in found:  # one item per operation, with every place that calls it
        places.setdefault((hit.method, hit.operation.path), []).append(hit)
    for hits in places.values():
        hit = hits[0]
        where = ", ".join(f"{h.file}:{h.line}" for h in hits)
        body, body_todo = body_for(hit.operation)  # a body the spec accepts, or a todo
        todos = []
        capture = _list_capture(hit)
        if "{{" in hit.path and capture is None:
            todos.append("fill in the ids: capture them in a setup step or set them in vars:")
        if hit.candidates:
            todos.append(
                f"the code chooses the method at run time ({' or '.join(hit.candidates)}): keep the one to test"
            )
        if body_todo:
            todos.append(body_todo)
        if capture is not None:
            listing, name = capture
            lines += [
                f'  - name: "{hit.method} {hit.path}"    # {where}',
                "    setup:",
                f"      - request: GET {listing}    # the newest record: an id that exists",
                f"        save: {{{name}: '$.records[0].id'}}",
                f"    request: {hit.method} {hit.path}",
            ]
            lines += [f"    todo: {json.dumps('; '.join(todos))}"] if todos else []
        elif todos or body is not None:
            lines += [
                f'  - name: "{hit.method} {hit.path}"    # {where}',
                f"    request: {hit.method} {hit.path}",
            ]
            lines += [f"    json: {json.dumps(body)}"] if body is not None else []
            lines += [f"    todo: {json.dumps('; '.join(todos))}"] if todos else []
        else:
            lines.append(f"  - {hit.method} {hit.path}    # {where}")
    if event_filters:
        where = ", ".join(f"{f}:{n}" for f, n, _ in event_filters)
        filters = sorted({_OWN_FILTER.sub(r"/\1/~", _placeholders(p)) for _, _, p in event_filters})
        lines += [
            f"  # Event filters ({where}) are a subscription, not calls: create, renew, delete it. A webhook",
            "  # needs the SubscriptionWebhook scope and a WebSocket the WebSocket one, which the console grants.",
            '  - name: "subscription"',
            "    setup:",
            f"      - request: POST {SUBSCRIPTION}",
            f"        json: {json.dumps({'eventFilters': filters, 'deliveryMode': {'transportType': 'WebHook', 'address': 'https://example.invalid/hook'}})}",
            "        save: {subscription_id: $.id}",
            f"    request: POST {SUBSCRIPTION}/{{{{subscription_id}}}}/renew",
            "    teardown:",
            f"      - request: DELETE {SUBSCRIPTION}/{{{{subscription_id}}}}",
            '    todo: "set deliveryMode.address to a webhook URL the app owns"',
        ]
    return "\n".join(lines) + "\n"
