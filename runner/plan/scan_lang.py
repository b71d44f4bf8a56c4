"""The languages ``plan scan`` reads, and how each one's syntax tree spells the few things it needs.

Each source file is parsed by tree-sitter with its language's grammar; the rest of the scanner never
names a grammar's node types, only what this module makes of them: string literals as text and
interpolated expressions, calls as a name, a receiver and arguments, definitions, functions and
their parameters, returns, comments, annotations, the marks of an entry point. The grammars are
imported on first use, so that commands other than ``plan scan`` never pay for them. This module
must never execute the code it reads.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from functools import cache
from typing import Any

# suffix -> (language, grammar module, function returning the grammar)
LANGUAGES = {
    ".py": ("python", "tree_sitter_python", "language"),
    ".js": ("javascript", "tree_sitter_javascript", "language"),
    ".jsx": ("javascript", "tree_sitter_javascript", "language"),
    ".mjs": ("javascript", "tree_sitter_javascript", "language"),
    ".cjs": ("javascript", "tree_sitter_javascript", "language"),
    ".ts": ("typescript", "tree_sitter_typescript", "language_typescript"),
    ".mts": ("typescript", "tree_sitter_typescript", "language_typescript"),
    ".tsx": ("tsx", "tree_sitter_typescript", "language_tsx"),
    ".cs": ("csharp", "tree_sitter_c_sharp", "language"),
    ".java": ("java", "tree_sitter_java", "language"),
    ".kt": ("kotlin", "tree_sitter_kotlin", "language"),
    ".kts": ("kotlin", "tree_sitter_kotlin", "language"),
    ".php": ("php", "tree_sitter_php", "language_php"),
    ".go": ("go", "tree_sitter_go", "language"),
    ".rb": ("ruby", "tree_sitter_ruby", "language"),
}

Node = Any  # tree_sitter.Node: typed loosely so that importing this module does not import tree-sitter


@cache
def parser_for(suffix: str) -> Any:
    """The parser for a file suffix. tree-sitter is imported here, on the first file, and not at
    module level: ``rcgrad --help`` and ``check`` must not pay for nine grammars they never use."""
    import tree_sitter

    _, module, function = LANGUAGES[suffix]
    grammar = getattr(importlib.import_module(module), function)()
    return tree_sitter.Parser(tree_sitter.Language(grammar))


def parse(suffix: str, source: bytes) -> Node:
    return parser_for(suffix).parse(source).root_node


Kinds = tuple[tuple[str, frozenset[str]], ...]  # (group name, node kinds); no kind in two groups


def captures(suffix: str, root: Node, kinds: Kinds) -> list[tuple[str, Node]]:
    """The nodes of the given kinds under ``root``, each with its group's name, in document order
    (an enclosing node before the nodes inside it). Found by a tree-sitter query, which walks the
    tree in C: walking every node in Python was most of a scan's time."""
    import tree_sitter

    found = tree_sitter.QueryCursor(_query(suffix, kinds)).captures(root)
    out = [(node.start_byte, -node.end_byte, name, node) for name, nodes in found.items() for node in nodes]
    out.sort(key=lambda row: row[:2])
    return [(name, node) for _, _, name, node in out]


@cache
def _query(suffix: str, kinds: Kinds) -> Any:
    """One query per language for the groups: the kinds its grammar does not have are left out."""
    import tree_sitter

    grammar = parser_for(suffix).language
    patterns = []
    for name, group in kinds:
        present = sorted(k for k in group if grammar.id_for_node_kind(k, True))
        if present:
            patterns.append("[" + " ".join(f"({k})" for k in present) + f"] @{name}")
    return tree_sitter.Query(grammar, "\n".join(patterns))


# --- node kinds, across the nine grammars -------------------------------------------------------

STRINGS = frozenset(
    {
        "string",  # Python, JavaScript, PHP (single-quoted), Ruby
        "template_string",  # JavaScript, TypeScript
        "string_literal",  # C#, Java, Kotlin
        "verbatim_string_literal",  # C#
        "raw_string_literal",  # C#, Go
        "interpolated_string_expression",  # C#
        "interpolated_verbatim_string_expression",
        "encapsed_string",  # PHP (double-quoted)
        "interpreted_string_literal",  # Go
        "text_block",  # Java
        "concatenated_string",  # Python's "a" "b"
    }
)
_TEXT = frozenset(
    {
        "string_content",
        "string_fragment",
        "string_literal_content",
        "interpreted_string_literal_content",
        "raw_string_literal_content",
        "string_value",
    }
)
_DELIMITERS = frozenset(
    {"string_start", "string_end", "interpolation_start", "interpolation_brace", "interpolation_quote"}
)
_INTERPOLATIONS = frozenset({"interpolation", "template_substitution"})
_ESCAPES = frozenset({"escape_sequence", "character_escape"})

CALLS = frozenset(
    {
        "call",  # Python, Ruby
        "call_expression",  # JavaScript, TypeScript, Kotlin, Go
        "new_expression",  # JavaScript
        "invocation_expression",  # C#
        "object_creation_expression",  # C#, Java, PHP
        "method_invocation",  # Java
        "member_call_expression",  # PHP
        "nullsafe_member_call_expression",
        "scoped_call_expression",
        "function_call_expression",
    }
)
MEMBERS = frozenset(
    {
        "attribute",  # Python
        "member_expression",  # JavaScript
        "member_access_expression",  # C#, PHP
        "field_access",  # Java
        "navigation_expression",  # Kotlin
        "selector_expression",  # Go
        "class_constant_access_expression",  # PHP
        "scoped_property_access_expression",
        "scope_resolution",  # Ruby
        "qualified_name",
        "subscript_expression",
        "subscript",
        "element_access_expression",
        "element_reference",
        "index_expression",
        "indexing_expression",
    }
)
NAMES = frozenset(
    {
        "identifier",
        "constant",  # Ruby
        "name",  # PHP
        "variable_name",
        "instance_variable",
        "class_variable",
        "global_variable",
        "simple_identifier",
        "property_identifier",
        "shorthand_property_identifier",
        "field_identifier",
    }
)
BINARY = frozenset(
    {"binary_operator", "binary_expression", "binary", "additive_expression", "multiplicative_expression"}
)
CONDITIONAL = frozenset(
    {"conditional_expression", "ternary_expression", "conditional", "if_expression", "elvis_expression"}
)
WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "await_expression",
        "argument",
        "value_argument",
        "as_expression",
        "non_null_expression",
        "type_assertion",
        "satisfies_expression",
        "cast_expression",
        "expression_list",
        "interpolation",
        "template_substitution",
        "parenthesized_statements",
        "expression_statement",
        "checked_expression",
        "postfix_expression",
        "unary_expression",
        "prefix_expression",
    }
)
FUNCTIONS = frozenset(
    {
        "function_definition",  # Python, PHP
        "function_declaration",  # JavaScript, TypeScript, Kotlin, Go
        "generator_function_declaration",
        "method_definition",  # JavaScript
        "function_expression",
        "arrow_function",
        "method_declaration",  # C#, Java, PHP, Go
        "constructor_declaration",
        "local_function_statement",
        "func_literal",
        "lambda",
        "method",  # Ruby
        "singleton_method",
        "anonymous_function",
        "lambda_expression",
    }
)
CLASSES = frozenset(
    {
        "class_definition",
        "class_declaration",
        "class",
        "object_declaration",
        "companion_object",
        "module",
        "interface_declaration",
        "class_body",
    }
)
COMMENTS = frozenset({"comment", "line_comment", "block_comment", "multiline_comment"})
# Annotations on a declaration: Java's and Kotlin's @GET("..."), C#'s and PHP's [Get("...")] (Python's
# "attribute" is a member access: its decorators are calls)
ANNOTATIONS = frozenset({"annotation", "attribute"})
# What marks a declaration as called from outside the app's own code: decorators, annotations and
# attributes on it, modifiers that hold "public", "override" or an annotation, and the nodes a
# function sits in when a framework or an importer calls it (a decorated definition, an export, an
# object literal's method).
ENTRY_MARKS = frozenset({"decorator", "attribute_list", "annotation", "marker_annotation", "attribute"})
MODIFIERS = frozenset(
    {"modifiers", "modifier", "member_modifier", "visibility_modifier", "accessibility_modifier"}
)
ENTRY_HOLDERS = frozenset({"decorated_definition", "export_statement", "object", "pair"})
ARRAYS = frozenset(
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
        "string_array",
        "collection_literal",
    }
)
OBJECTS = frozenset({"object", "dictionary", "hash", "anonymous_object_creation_expression"})


def string_parts(node: Node, language: str) -> Iterator[str | Node]:
    """A string literal as its text and the expressions interpolated in it, in order."""
    if node.type == "concatenated_string":
        for child in node.named_children:
            yield from string_parts(child, language)
        return
    if node.child_count == 0 or (
        node.type in ("verbatim_string_literal", "raw_string_literal")
        and not any(c.type in _TEXT for c in node.children)
    ):
        yield _unquote(text(node))
        return
    if language == "python" and not _f_string(node):
        # Only an f-string interpolates: "{id}" in a plain string is text (str.format fills it later).
        for child in node.children:
            if child.type in _TEXT or child.type in _ESCAPES:
                yield _unescape(text(child))
            elif child.type == "interpolation":
                yield text(child)
        return
    for child in node.children:
        kind = child.type
        if kind in _TEXT:
            yield text(child)
        elif kind in _ESCAPES:
            yield _unescape(text(child))
        elif not child.is_named or kind in _DELIMITERS:
            continue
        elif kind in _INTERPOLATIONS:
            inner = [c for c in child.named_children if c.type not in _DELIMITERS and c.type not in COMMENTS]
            if inner:
                yield inner[0]
        else:  # PHP's "$id" and "{$this->id}": the expression itself
            yield child


def _f_string(node: Node) -> bool:
    start = node.child(0)
    return start is not None and "f" in text(start).lower()


def _unquote(value: str) -> str:
    for prefix in ('@"', '$"', '"""', "'''", '"', "'", "`"):
        if value.startswith(prefix):
            end = prefix[-1] * (3 if len(prefix) == 3 else 1)
            return value[len(prefix) : -len(end)] if value.endswith(end) else value[len(prefix) :]
    return value


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("\\") and len(value) == 2 and not value[1].isalnum() else value


def text(node: Node) -> str:
    return node.text.decode("utf-8", "replace")


def line(node: Node) -> int:
    return int(node.start_point[0]) + 1
