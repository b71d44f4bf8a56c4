"""How apps call RingCentral, as ``plan scan`` reads it: which calls send a request, with which
method and path, and what the official SDKs mean by theirs.

- A call named after its verb (``platform.get(url)``, ``rc.post(...)``, ``requests.delete``,
  ``PostAsync``), or one that names the method among its arguments (``send({method, url})``,
  ``request('POST', url)``, ``http.NewRequest(http.MethodPost, url, body)``,
  ``new HttpRequestMessage(HttpMethod.Post, url)``, ``fetch(url, {method: 'POST'})``).
- Declarative clients: an interface's method annotated with its verb and path (Retrofit's
  ``@GET("...")`` and ``@HTTP(method = ..., path = ...)``, Refit's ``[Get("...")]``).
- The typed SDKs' fluent chains (RingCentral.Net, ringcentral-java, ringcentral-extensible, the Go
  and Kotlin clients), generated from the spec: each link a path segment, an argument its id, the
  last link the method. ``list()`` is the collection (``extension().list()`` is
  ``GET .../extension``), ``get()`` the record, with the account and extension ids defaulting to
  ``~`` (the SDKs' own default).
- Event filters, set through each SDK's own call: JS ``setEventFilters`` and
  ``subscribe({events})``, PHP ``addEvents([...])`` then ``register()``, Python ``add_events``,
  C# and Java ``eventFilters``, or a body's ``eventFilters`` key. They are a subscription, not calls.
- Paths the SDKs accept short (``/account/~/...`` is ``/restapi/v1.0/account/~/...``), without a
  leading slash (Ruby's ``@client.http.get 'account/~/extension/~'``), and legacy spellings the
  servers still route (``/ringout`` is ``/ring-out``; ``/restapi/v1.0/glip/...`` is
  ``/team-messaging/v1/...``).
- URIs an app takes from an answer and fetches: a message attachment's ``uri`` or a message's
  ``contentUri`` is the message content, a recording's ``contentUri`` the recording content, an
  extension's ``profileImage.uri`` its profile image (the spec's MessageAttachmentInfo,
  CallLogRecordingInfo and ProfileImageInfo).

This module knows RingCentral's SDKs, not the syntax of any language: ``scan_values`` reads that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.plan import scan_lang as lang
from runner.plan.scan_values import Call, Evaluator, FileIndex, Hole, Node, Value, literal, name_of
from runner.rc.catalog import Operation

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SHORT_PREFIX = "/restapi/v1.0"
# Calls named after their verb; the suffixes are the HTTP clients' (GetAsync, getForObject, get_json).
_VERB_CALL = re.compile(
    r"(?i)^(get|post|put|patch|delete|del)(async|_async|forobject|forentity|json|_json|raw|_raw|request)?$"
)
# An argument or key that is a method: 'POST', HttpMethod.Post, http.MethodPost, Method.POST, :post.
_METHOD_TEXT = re.compile(r"(?i)^(?:[\w.\\]*[.:]|:)?(?:method)?(get|post|put|patch|delete)$")
_METHOD_KEYS = ("method", "http_method", "httpMethod", "verb", "Method", "type")
_PATH_KEYS = ("url", "uri", "path", "endpoint", "resource", "Url", "Uri", "Path", "RequestUri", "url_path")
# Calls that take a method and a URL as arguments (the HTTP clients' own; any other call counts
# only when an argument is a method literal).
_REQUEST_CALLS = frozenset(
    {
        "send",
        "request",
        "fetch",
        "sendrequest",
        "createrequest",
        "do",
        "newrequest",
        "newrequestwithcontext",
        "httprequestmessage",
        "exchange",
        "execute",
        "axios",
        "call",
        "api",
        "apicall",
        "sendasync",
        "requestasync",
        "send_request",
        "make_request",
        "urlopen",
    }
)
CHAIN_VERBS = {
    "get": "GET",
    "list": "GET",
    "post": "POST",
    "put": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
}
_EVENT_CALL = re.compile(
    r"(?i)^(set_?event_?filters|add_?event_?filters|add_?events|set_?events|event_?filters|subscribe|with_?events)$"
)
EVENT_KEY = re.compile(r"(?i)^(event_?filters?|events)$")
_EMPTY_ID = re.compile(r"""^\s*(?:["']{2}|["']~["']|null|nil|None|)\s*$""")
LEGACY_SEGMENTS = {"ringout": "ring-out"}  # the old spelling, still routed
# Glip's paths before Team Messaging: the same resources, groups renamed chats.
LEGACY_ROOTS = (
    ("/restapi/v1.0/glip/groups/", "/team-messaging/v1/chats/"),
    ("/restapi/v1.0/glip/", "/team-messaging/v1/"),
)

# (pattern over the expression an app fetches, operation template, certain?)
ANSWER_URIS = (
    (
        re.compile(r"(?i)recording\w*\W+\w*contenturi|recording.*\.uri"),
        "/restapi/v1.0/account/~/recording/{{recordingId}}/content",
        True,
    ),
    (re.compile(r"(?i)profile_?image"), "/restapi/v1.0/account/~/extension/~/profile-image", True),
    (
        re.compile(r"(?i)attachment\w*(\[\w*\])?\W+\w*uri|message\w*\W+\w*contenturi"),
        "/restapi/v1.0/account/~/extension/~/message-store/{{messageId}}/content/{{attachmentId}}",
        True,
    ),
    (
        re.compile(r"(?i)content_?uri"),
        "/restapi/v1.0/account/~/extension/~/message-store/{{messageId}}/content/{{attachmentId}}",
        False,
    ),
)


@dataclass
class Request:
    """One call that sends a request: its methods (a Hole when the method is a parameter; empty when
    the scan cannot tell) and the node holding its URL."""

    call: Call
    methods: list[str | Hole]
    path: Node | None


def request_of(call: Call, evaluator: Evaluator, index: FileIndex) -> Request | None:
    name = call.name.lower()
    verb = _VERB_CALL.match(call.name)
    if verb is not None and (call.args or call.kwargs):
        method = verb.group(1).upper()
        return Request(call, ["DELETE" if method == "DEL" else method], _path_argument(call, None))
    objects = [a for a in call.args if a.type in lang.OBJECTS]
    for options in objects:  # send({method, url}), axios({method, url}), fetch(url, {method})
        keys = _object_keys(options)
        if "method" in keys or ("url" in keys and name in _REQUEST_CALLS):
            methods: list[str | Hole] = ["GET"]
            if "method" in keys:
                methods = _methods(evaluator, index, keys.get("method"))
            path = keys.get("url") or keys.get("uri") or keys.get("path")
            if path is None and call.args and call.args[0] is not options:
                path = call.args[0]
            return Request(call, methods, path)
    method_node = next((call.kwargs[k] for k in _METHOD_KEYS if k in call.kwargs), None)
    if method_node is None:
        method_node = next((a for a in call.args if _METHOD_TEXT.match(_plain(a))), None)
    if method_node is None and name in _REQUEST_CALLS and len(call.args) >= 2:
        # request(method, url): a method held in a variable or a parameter
        first = call.args[0]
        if first.type in lang.NAMES and (name_of(first) or "").lower() in (
            "method",
            "verb",
            "http_method",
            "httpmethod",
        ):
            method_node = first
    if method_node is not None:
        return Request(call, _methods(evaluator, index, method_node), _path_argument(call, method_node))
    if name in ("fetch", "urlopen") and call.args:
        return Request(call, ["GET"], call.args[0])
    if (
        name == "request"
        and len(call.args) == 1
        and any(link.name.lower() == "createmultipartbuilder" for link in call.chain())
    ):  # ringcentral-php: $rcsdk->createMultipartBuilder()->...->request('/fax') builds a POST
        return Request(call, ["POST"], call.args[0])
    return None


def annotation_request(call: Call, evaluator: Evaluator, index: FileIndex) -> Request | None:
    """A declarative client's method (Retrofit, Refit, Micronaut): its annotation names the verb and
    the path. A bare ``@GET`` (JAX-RS, or Retrofit's ``@Url``) names no path and is not read."""
    verb = call.name.upper()
    if verb in METHODS and call.args:
        return Request(call, [verb], call.args[0])
    if verb == "HTTP" and "method" in call.kwargs and "path" in call.kwargs:  # Retrofit's @HTTP
        return Request(call, _methods(evaluator, index, call.kwargs["method"]), call.kwargs["path"])
    return None


def _path_argument(call: Call, method_node: Node | None) -> Node | None:
    for key in _PATH_KEYS:
        if key in call.kwargs:
            return call.kwargs[key]
    for argument in call.args:
        if argument is not method_node and argument.type not in lang.OBJECTS:
            return argument
    return None


def _object_keys(node: Node) -> dict[str, Node]:
    keys: dict[str, Node] = {}
    for child in node.named_children:
        if child.type == "pair":
            key = name_of(child.child_by_field_name("key"))
            value = child.child_by_field_name("value")
            if key and value is not None:
                keys[key] = value
        elif child.type in ("shorthand_property_identifier",):
            keys[lang.text(child)] = child
    return keys


def _plain(node: Node) -> str:
    if node.type in lang.STRINGS:
        return "".join(p for p in lang.string_parts(node, "") if isinstance(p, str))
    return lang.text(node)


def _methods(evaluator: Evaluator, index: FileIndex, node: Node | None) -> list[str | Hole]:
    if node is None:
        return []
    found = _METHOD_TEXT.match(_plain(node))
    if found:
        return [found.group(1).upper()]
    out: list[str | Hole] = []
    for value in evaluator.values(index, node):
        if len(value) == 1 and isinstance(value[0], Hole) and value[0].param is not None:
            out.append(value[0])
        elif value and all(isinstance(p, str) for p in value):
            match = _METHOD_TEXT.match(literal(value).strip())
            if match:
                out.append(match.group(1).upper())
    return list(dict.fromkeys(out))


def chain_path(call: Call, segments: dict[str, str]) -> tuple[str, str] | None:
    """A typed SDK's fluent call as (method, path): ``rc.Restapi().Account().Extension().Sms().Post()``
    is ``POST /restapi/v1.0/account/~/extension/~/sms``."""
    verb = CHAIN_VERBS.get(call.name.lower().removesuffix("async"))
    if verb is None:
        return None
    links = list(call.chain())[1:]
    links.reverse()
    if not links or links[0].name.lower() not in (
        "restapi",
        "teammessaging",
        "scim",
        "rcvideo",
        "webinar",
        "ai",
        "analytics",
    ):
        return None
    path = ""
    count = 0
    for position, link in enumerate(links):
        segment = segments.get(link.name.replace("_", "").lower())
        if segment is None:
            return None
        argument = link.args[0] if link.args else None
        empty = argument is None or _EMPTY_ID.match(lang.text(argument)) is not None
        last = position == len(links) - 1
        path += "/" + segment
        if position == 0 and segment == "restapi":
            version = _plain(argument).strip() if argument is not None and not empty else "v1.0"
            path += "/" + (version if re.match(r"^v[\d.]+$", version) else "v1.0")
        elif segment in ("account", "extension"):
            if not empty:
                count += 1
                path += f"/{{{{id{count}}}}}"
            elif not (last and call.name.lower() == "list"):
                path += "/~"  # the SDKs' default: the authorised user's own
        elif not empty:
            count += 1
            path += f"/{{{{id{count}}}}}"
    return verb, path


def generated_operation(call: Call, operation_ids: dict[str, Operation]) -> Operation | None:
    """A call of a client generated from the spec, named by operationId on a per-tag API object
    (go-ringcentral-client's ``client.PushNotificationsApi.CreateSubscription(ctx, req)``)."""
    if call.receiver is None or not re.search(r"(?i)api$", lang.text(call.receiver)):
        return None
    return operation_ids.get(call.name.lower())


def event_filter_nodes(call: Call) -> list[Node]:
    """The expressions a call sets event filters with, when it is one of the SDKs' ways to."""
    nodes = [v for k, v in call.kwargs.items() if EVENT_KEY.match(k)]
    if _EVENT_CALL.match(call.name):
        nodes += call.args
        nodes += [
            v for k, v in call.kwargs.items() if not EVENT_KEY.match(k) and k.lower() in ("events", "filters")
        ]
    return nodes


def answer_uri(node: Node) -> tuple[str, bool] | None:
    """The operation a URI taken from an answer names, and whether the scan can be sure of it."""
    text = lang.text(node)
    if not re.search(r"(?i)uri\b|uri['\"]\]|profile_?image", text):
        return None
    for pattern, template, certain in ANSWER_URIS:
        if pattern.search(text):
            return template, certain
    return None


def normalise(path: str) -> str:
    for old, new in LEGACY_ROOTS:
        if path.startswith(old):
            path = new + path[len(old) :]
    return "/".join(LEGACY_SEGMENTS.get(s, s) for s in path.split("/"))


# What may stand before an API path in a URL: nothing (the path alone, or after a base URL the scan
# cannot know), a scheme and host with perhaps a path of their own, or a bare host. Anything else
# ("answers:GET:/restapi/...", a cache key or a log line) is not a URL.
_BASE_URL = re.compile(
    r"(?:[a-zA-Z][\w+.-]*://[^\s/]*(?:/[^\s/]+)*|[\w.-]+\.[a-zA-Z]{2,}(?::\d+)?|localhost(?::\d+)?)?"
)


def _base_url(prefix: str) -> bool:
    return _BASE_URL.fullmatch(prefix) is not None


def api_start(value: Value, roots: tuple[str, ...], short: frozenset[str], *, relaxed: bool) -> Value | None:
    """The API path inside a value (from its root on), or None: full paths under the catalog's roots,
    even after a host or a base URL the scan cannot know; short paths the SDKs complete; with
    ``relaxed`` (the URL argument of a call), paths without the leading slash."""
    for index, part in enumerate(value):
        if not isinstance(part, str):
            continue
        for root in roots:
            at = part.find(root)
            while at >= 0:
                end = at + len(root)
                bounded = end == len(part) or part[end] in "/?"
                if bounded and _base_url(part[:at]):
                    return (part[at:], *value[index + 1 :])
                at = part.find(root, at + 1)
            if relaxed and part.startswith(root[1:] + "/") and index == 0:
                return ("/" + part, *value[index + 1 :])
        if "://" in part:  # a host, then a path that is not an API path
            continue
        leading_holes = all(isinstance(p, Hole) for p in value[:index])
        if not leading_holes or (index > 0 and not relaxed):
            return None
        candidate = part if part.startswith("/") else ("/" + part if relaxed and index == 0 else "")
        first = candidate[1:].split("/", 1)[0].split("?", 1)[0]
        if candidate and first in short and ("/" in candidate[1:] or len(value) > index + 1 or relaxed):
            return (SHORT_PREFIX + candidate, *value[index + 1 :])
        return None
    return None
