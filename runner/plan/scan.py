"""``rcgrad plan scan``: the RingCentral REST calls an app's source tree makes, found by reading it.

It reads Python, JavaScript/TypeScript, Java, C#, PHP and Go files as text, finds ``/restapi/...``
paths in string literals and template strings (interpolations such as ``${id}``, ``{ext_id}``,
``" + id + "``, ``$id``, ``%s`` and ``:id`` become placeholders), guesses the HTTP method from the same or
the previous lines, and maps each to its catalog operation. It must never execute, import or
modify the code it reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runner.plan.init import body_for, plan_top
from runner.rc.catalog import Catalog, Operation, load_catalog

EXTENSIONS = {".py", ".js", ".jsx", ".mjs", ".ts", ".tsx", ".java", ".kt", ".cs", ".php", ".go"}
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "vendor", "dist", "build", "__pycache__", "bin", "obj"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A quote, then " + expr + " (or the same with single quotes / backticks): string concatenation.
_CONCAT = re.compile(r"""(["'`])\s*\+\s*[\w.\[\]()"'$]+?\s*\+\s*\1""")
_INTERPOLATION = re.compile(r"\$\{[^}]*\}|\{[^}/]*\}|\$[A-Za-z_]\w*|%[sdv]|(?<=/):[A-Za-z_]\w*|\+\s*\w+\s*$")
_PATH = re.compile(r"/restapi/(?:v1\.0|v2)/[^\s\"'`)\],;]*")
_METHOD_HINT = re.compile(
    r"(?i)(?:\.|->)(get|post|put|patch|delete)\s*[(<]|method\s*[:=]\s*['\"](get|post|put|patch|delete)['\"]"
    r"|HttpMethod\.(get|post|put|patch|delete)|http\.Method(get|post|put|patch|delete)|['\"](GET|POST|PUT|PATCH|DELETE)['\"]"
)


@dataclass(frozen=True)
class Found:
    file: str
    line: int
    method: str
    path: str  # with {{placeholders}} for the interpolated ids
    operation: Operation


@dataclass(frozen=True)
class Unmatched:
    file: str
    line: int
    text: str


def scan_tree(root: Path, catalog: Catalog | None = None) -> tuple[list[Found], list[Unmatched]]:
    catalog = catalog or load_catalog()
    found: list[Found] = []
    unmatched: list[Unmatched] = []
    for path in sorted(_sources(root)):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        relative = str(path.relative_to(root))
        for number, line in enumerate(lines, start=1):
            joined = _CONCAT.sub("{x}", line)
            for match in _PATH.finditer(joined):
                raw = match.group(0).split("?", 1)[0]
                template = _placeholders(raw)
                method = _method(lines, number - 1)
                hit = _resolve(catalog, method, template)
                if hit is None:
                    unmatched.append(Unmatched(relative, number, raw))
                else:
                    found.append(Found(relative, number, hit[0], template, hit[1]))
    return found, unmatched


def _sources(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in root.rglob("*"):
        if path.suffix in EXTENSIONS and path.is_file() and not SKIP_DIRS & set(path.relative_to(root).parts):
            yield path


def _placeholders(raw: str) -> str:
    count = 0

    def name(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"{{{{id{count}}}}}"

    path = _INTERPOLATION.sub(name, raw).rstrip("/")
    return path


def _method(lines: list[str], index: int) -> str:
    for line in (lines[index], *reversed(lines[max(0, index - 2) : index])):
        hint = _METHOD_HINT.search(line)
        if hint:
            return next(g for g in hint.groups() if g).upper()
    return "GET"


def _resolve(catalog: Catalog, method: str, template: str) -> tuple[str, Operation] | None:
    probe = re.sub(r"\{\{[^}]*\}\}", "1", template)
    match = catalog.match(method, probe)
    if match is not None:
        return method, match.value
    others = [(m, hit.value) for m in METHODS if m != method and (hit := catalog.match(m, probe)) is not None]
    return others[0] if len(others) == 1 else None


def scopes_needed(found: list[Found]) -> list[str]:
    """The permissions the found calls need, sorted."""
    return sorted({f.operation.permission for f in found if f.operation.permission})


def render(found: list[Found], *, name: str, server: str = "local") -> str:
    lines = [
        "# Written by `rcgrad plan scan`: the RingCentral calls found in the source, where each came from.",
        "# Ids the code builds at run time are {{placeholders}}: capture them in a setup step or put them in",
        "# vars:, then remove the todo: line. `rcgrad check` refuses the plan until then.",
        *plan_top(name=name, scopes=scopes_needed(found), server=server),
    ]
    places: dict[tuple[str, str], list[Found]] = {}
    for hit in found:  # one item per operation, with every place that calls it
        places.setdefault((hit.method, hit.operation.path), []).append(hit)
    for hits in places.values():
        hit = hits[0]
        where = ", ".join(f"{h.file}:{h.line}" for h in hits)
        body, body_todo = body_for(hit.operation)  # a body the spec accepts, or a todo
        todo = (
            "fill in the ids: capture them in a setup step or set them in vars:" if "{{" in hit.path else None
        )
        if todo or body is not None or body_todo:
            lines += [
                f'  - name: "{hit.method} {hit.path}"    # {where}',
                f"    request: {hit.method} {hit.path}",
            ]
            lines += [f"    json: {json.dumps(body)}"] if body is not None else []
            lines += [f"    todo: {json.dumps(todo or body_todo)}"] if todo or body_todo else []
        else:
            lines.append(f"  - {hit.method} {hit.path}    # {where}")
    return "\n".join(lines) + "\n"
