"""The YAML plan: what an app calls, under which scopes, against which server, judged how.

A plan is small enough to write by hand in five minutes::

    app: {name: CRM sync, description: "...", scopes: [ReadCallLog, ReadPresence]}
    server: local                      # local | sandbox | production | an http(s) URL
    criteria: strict                   # or {profile: strict, max_4xx_ratio: 0.03}
    vars: {ext: "${RC_EXTENSION:-~}"}  # ${ENV} and ${ENV:-default} from the environment
    endpoints:
      - GET /restapi/v1.0/account/~/extension/~/call-log        # the short form
      - name: read a fax                                          # the long form
        request: GET /restapi/v1.0/account/~/extension/{{ext}}/message-store
        query: {messageType: Fax, perPage: 10}
        save: {message_id: $.records[0].id}                       # captures, used as {{message_id}}

``${...}`` is resolved once, at load time; ``{{...}}`` (Hurl's syntax) at run time, from ``vars`` and
captures. Every request is matched to its catalog operation at load time, so an unknown endpoint
is a plan error with the closest match suggested. Any problem raises ``InputError`` naming
``file:line``, the key and the fix; this module must never raise anything else, never touch the
network, and never print.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from runner import jsonpath, redact
from runner.errors import InputError
from runner.plan import safeyaml
from runner.plan.model import PLACEHOLDER, App, Criteria, Item, Plan, Step
from runner.rc import wire
from runner.rc.catalog import load_catalog
from runner.rc.hosts import ServerUrlError, parse_server, parse_webhook
from runner.rc.limits import DEFAULT_LIMITS, GroupLimit, Margin, default_limit, most_calls, raised
from runner.rc.scopes import UNMAPPABLE
from runner.rc.scopes import unknown as unknown_scope
from runner.settings import environment, read_dotenv
from runner.verdict.criteria import OVERRIDABLE, Profile, rules_for

SERVERS = ("local", "sandbox", "production")
# The variable a plan names its app's webhook address with. On server: local rcgrad answers the
# validation request itself, with a receiver on 127.0.0.1 whose URL replaces it for the run (and
# ``check`` judges a local plan with a loopback stand-in for it); elsewhere the plan's value is sent.
WEBHOOK_ADDRESS = "webhook_address"
LOCAL_WEBHOOK_STANDIN = "http://127.0.0.1/rcgrad/webhook"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
TOP_KEYS = ("app", "server", "criteria", "vars", "endpoints", "limits", "warmup", "credentials", "notify")
# credentials: field -> the RC_* variable it stands for; each value must come from ${ENV} or env_file.
CREDENTIAL_FIELDS = {
    "server_url": "RC_SERVER_URL",
    "client_id": "RC_APP_CLIENT_ID",
    "client_secret": "RC_APP_CLIENT_SECRET",
    "jwt": "RC_USER_JWT",
}
SECRET_FIELDS = ("client_secret", "jwt")
APP_KEYS = ("name", "description", "scopes")
STEP_KEYS = ("name", "request", "method", "path", "query", "json", "headers", "expect", "save", "todo")
ITEM_KEYS = (*STEP_KEYS, "setup", "teardown", "calls")
WARMUP_KEYS = ("daily_calls",)
# The safety margin, under limits: slots left for the app's other traffic, and extra wait at a
# window's edge (default: none, and 0.01 s or 2% of the window).
MARGIN_KEYS = ("spare", "edge_seconds")


# ------------------------------------------------------------------------------------------ loading


def load_plan(
    path: Path, *, server_override: str | None = None, env: Mapping[str, str] | None = None
) -> Plan:
    path = Path(path)
    try:
        text = safeyaml.read_text(path)
    except safeyaml.YamlRefused as exc:
        raise InputError(str(exc), file=str(path), line=exc.line, key="yaml") from None
    except FileNotFoundError:
        raise InputError(
            f"no such plan file; write one with: rcgrad plan init --scopes YOUR,SCOPES --out {path}",
            file=str(path),
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read the plan: {exc.strerror or exc.__class__.__name__}", file=str(path)
        ) from None
    # ${VAR} reads what the credentials read: the environment over .env (a cron run has only .env).
    return parse_plan(text, path, server_override=server_override, env=environment() if env is None else env)


def parse_plan(
    text: str, path: Path, *, server_override: str | None = None, env: Mapping[str, str] | None = None
) -> Plan:
    return _Loader(path, env or {}).plan(text, server_override)


@dataclass
class _Node:
    """A YAML node with its constructed value and its line, so every error can point at it."""

    node: yaml.Node
    value: Any

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1


class _Loader:
    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.file = str(path)
        self.path = path
        self.env = env
        self.catalog = load_catalog()
        self.lines: dict[str, int] = {}

    def fail(self, message: str, line: int | None, key: str) -> InputError:
        return InputError(message, file=self.file, line=line, key=key)

    # -- YAML with lines ---------------------------------------------------------------------------

    def plan(self, text: str, server_override: str | None) -> Plan:
        try:
            root = safeyaml.compose(text)
        except safeyaml.YamlRefused as exc:
            raise self.fail(str(exc), exc.line, "yaml") from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise self.fail(_yaml_in_plain_words(exc), line, "yaml") from None
        except yaml.YAMLError as exc:
            raise self.fail(f"not valid YAML: {exc.__class__.__name__}", None, "yaml") from None
        except (ValueError, RecursionError) as exc:  # odd bytes; anchors nested too deep
            raise self.fail(f"not valid YAML: {exc.__class__.__name__}", None, "yaml") from None
        if root is None:
            raise self.fail("the plan is empty; it needs app: and endpoints:", 1, "app")
        top = self.mapping(self.wrap(root), "plan", TOP_KEYS)
        for required in ("app", "endpoints"):
            if required not in top:
                raise self.fail(f"missing {required}:", self.wrap(root).line, required)
        app = self.app(top["app"])
        server_node = top.get("server")
        server = self.server(
            server_override or (self.scalar(server_node, "server", str) if server_node else "local"),
            server_node.line if server_node and not server_override else None,
        )
        variables = self.variables(top.get("vars"))
        criteria = self.criteria(top.get("criteria"))
        limits, margin = self.limits(top.get("limits"))
        warmup = self.warmup(top.get("warmup"))
        endpoints = self.endpoints(top["endpoints"], variables)
        self.check_spare(top.get("limits"), limits, margin, endpoints)
        if warmup is not None:
            most, group = most_calls(step.operation.group for item in endpoints for step in item.steps)
            if warmup > most:
                line = top["warmup"].line
                raise self.fail(
                    f"at most {most} (what {group} allows in two days)", line, "warmup.daily_calls"
                )
        credentials = self.credentials(top.get("credentials"))
        notify = self.notify(top.get("notify"))
        self.refuse_secret_names(app, endpoints)  # after credentials: every secret is registered now
        return Plan(
            path=self.path,
            app=app,
            server=server,
            criteria=criteria,
            vars=variables,
            endpoints=endpoints,
            limits=limits,
            margin=margin,
            warmup_daily=warmup,
            server_line=server_node.line if server_node else 0,
            lines=self.lines,
            credentials=credentials,
            notify=notify,
        )

    def refuse_secret_names(self, app: App, endpoints: tuple[Item, ...]) -> None:
        """A name is shown on every channel and names files and ledger partitions: one that holds a
        secret (through ${ENV}, or pasted) is refused, never derived from."""
        why = "holds a secret (from the environment or credentials:); names are shown and stored everywhere"
        if redact.contains_secret(app.name) or redact.contains_secret(self.path.name):
            raise self.fail(why, app.line, "app.name")
        for index, item in enumerate(endpoints):
            for step in item.steps:
                if redact.contains_secret(step.name):
                    raise self.fail(why, step.line, f"endpoints[{index}].name")

    def wrap(self, node: yaml.Node) -> _Node:
        if isinstance(node, yaml.MappingNode):
            return _Node(node, None)
        if isinstance(node, yaml.SequenceNode):
            return _Node(node, None)
        loader = yaml.SafeLoader("")
        try:
            return _Node(node, loader.construct_object(node, deep=True))
        except yaml.YAMLError:
            return _Node(node, node.value)
        finally:
            loader.dispose()

    def mapping(self, node: _Node, key: str, allowed: tuple[str, ...]) -> dict[str, _Node]:
        if not isinstance(node.node, yaml.MappingNode):
            raise self.fail(f"expected a mapping ({', '.join(allowed)})", node.line, key)
        out: dict[str, _Node] = {}
        for key_node, value_node in node.node.value:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            where = f"{key}.{name}" if key != "plan" else str(name)
            if not isinstance(name, str) or name not in allowed:
                hint = difflib.get_close_matches(str(name), allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(allowed)}"
                raise self.fail(f"unknown key{suggestion}", line, where)
            if name in out:
                raise self.fail("this key appears twice", line, where)
            out[name] = self.wrap(value_node)
        return out

    def free_mapping(self, node: _Node, key: str) -> dict[str, _Node]:
        if not isinstance(node.node, yaml.MappingNode):
            raise self.fail("expected a mapping", node.line, key)
        out: dict[str, _Node] = {}
        for key_node, value_node in node.node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail("keys must be plain names", key_node.start_mark.line + 1, key)
            out[str(key_node.value)] = self.wrap(value_node)
        return out

    def sequence(self, node: _Node, key: str) -> list[_Node]:
        if not isinstance(node.node, yaml.SequenceNode):
            raise self.fail("expected a list", node.line, key)
        return [self.wrap(child) for child in node.node.value]

    def scalar(self, node: _Node, key: str, kind: type) -> Any:
        if not isinstance(node.node, yaml.ScalarNode) or (isinstance(node.value, bool) and kind is not bool):
            raise self.fail(f"expected {_kind(kind)}", node.line, key)
        value = node.value
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = node.node.value  # a number written where text is expected: keep the text
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"expected {_kind(kind)}", node.line, key)
        if isinstance(value, str):
            value = self.env_text(value, node.line, key)
        return value

    def data(self, node: _Node, key: str) -> Any:
        """Free-form data (query, json, headers): any YAML value, with ${ENV} resolved in strings."""
        self.lines[key] = node.line
        if isinstance(node.node, yaml.MappingNode):
            return {k: self.data(v, f"{key}.{k}") for k, v in self.free_mapping(node, key).items()}
        if isinstance(node.node, yaml.SequenceNode):
            return [self.data(v, f"{key}[{i}]") for i, v in enumerate(self.sequence(node, key))]
        value = node.value
        if isinstance(value, str):
            return self.env_text(value, node.line, key)
        if isinstance(value, float) and not math.isfinite(value):
            # JSON has no infinity and no NaN: the request could never be sent.
            raise self.fail(
                "a number JSON cannot carry (.inf or .nan); write a finite number", node.line, key
            )
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return str(value)  # dates and timestamps: send them as written

    def env_text(self, text: str, line: int, key: str) -> str:
        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.env:
                value = self.env[name]
                if _looks_secret(name):
                    redact.register(value)  # masked from the moment it is read, before any output
                return value
            if default is not None:
                return default
            raise self.fail(f"${{{name}}} is not set; set it or write ${{{name}:-default}}", line, key)

        return ENV_REFERENCE.sub(substitute, text)

    # -- sections ----------------------------------------------------------------------------------

    def app(self, node: _Node) -> App:
        fields_ = self.mapping(node, "app", APP_KEYS)
        if "scopes" not in fields_:
            raise self.fail("missing scopes: (the permissions the app declares)", node.line, "app.scopes")
        name = self.scalar(fields_["name"], "app.name", str) if "name" in fields_ else self.path.stem
        description = (
            self.scalar(fields_["description"], "app.description", str) if "description" in fields_ else None
        )
        known = self.catalog.permissions
        scopes: list[str] = []
        lines: dict[str, int] = {}
        for index, item in enumerate(self.sequence(fields_["scopes"], "app.scopes")):
            scope = self.scalar(item, f"app.scopes[{index}]", str)
            if scope not in known and scope not in UNMAPPABLE:
                raise self.fail(unknown_scope(scope, known), item.line, f"app.scopes[{index}]")
            if scope in lines:
                raise self.fail(f"scope {scope!r} is listed twice", item.line, f"app.scopes[{index}]")
            scopes.append(scope)
            lines[scope] = item.line
        return App(
            name=name,
            scopes=tuple(scopes),
            description=description,
            line=node.line,
            scope_lines=lines,
            description_line=fields_["description"].line if "description" in fields_ else None,
        )

    def server(self, value: str, line: int | None) -> str:
        """An alias, or the one normalised reading of a URL (``hosts.parse_server``), which is what
        the consent check judges and every client is handed."""
        if value in SERVERS:
            return value
        key = "server" if line else "--server"
        if not re.match(r"(?i)https?://", value):
            close = difflib.get_close_matches(value.lower(), SERVERS, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.fail(f"server must be local, sandbox, production or an http(s) URL{hint}", line, key)
        try:
            return parse_server(value).url
        except ServerUrlError as exc:
            raise self.fail(f"the server URL {exc}", line, key) from None

    def credentials(self, node: _Node | None) -> dict[str, str]:
        """``env_file:`` (RC_* lines, relative to the plan) and/or ``${ENV}`` references per field; a
        literal secret in the plan is refused, since plans are committed and shared."""
        if node is None:
            return {}
        fields_ = self.mapping(node, "credentials", ("env_file", *CREDENTIAL_FIELDS))
        out: dict[str, str] = {}
        if "env_file" in fields_:
            file_node = fields_["env_file"]
            env_file = self.path.parent / self.scalar(file_node, "credentials.env_file", str)
            if not env_file.is_file():
                raise self.fail(f"no such file: {env_file}", file_node.line, "credentials.env_file")
            values = read_dotenv(env_file)
            out.update({name: values[name] for name in CREDENTIAL_FIELDS.values() if values.get(name)})
        for name, variable in CREDENTIAL_FIELDS.items():
            value_node = fields_.get(name)
            if value_node is None:
                continue
            key = f"credentials.{name}"
            raw = value_node.node.value if isinstance(value_node.node, yaml.ScalarNode) else ""
            if name in SECRET_FIELDS and not ENV_REFERENCE.search(str(raw)):
                raise self.fail(
                    "write a ${VARIABLE} reference (or use env_file:): a plan must not hold a secret",
                    value_node.line,
                    key,
                )
            value = self.scalar(value_node, key, str)
            if value:  # ${X:-} left empty: fall back to the RC_* variable, as if not written
                out[variable] = value
        # Masked from the moment they are read, whatever the variable or file was called.
        redact.register(*(out[v] for n, v in CREDENTIAL_FIELDS.items() if n in SECRET_FIELDS and v in out))
        return out

    def notify(self, node: _Node | None) -> str:
        """``notify: ${VARIABLE}``: the webhook URL alerts go to. Its path is the hook's key, so it is
        a secret: only a reference, never the URL itself, and masked from the moment it is read."""
        if node is None:
            return ""
        raw = node.node.value if isinstance(node.node, yaml.ScalarNode) else ""
        if not ENV_REFERENCE.search(str(raw)):
            raise self.fail(
                "write a ${VARIABLE} reference (such as ${RCGRAD_NOTIFY}): a webhook URL is a secret",
                node.line,
                "notify",
            )
        value = self.scalar(node, "notify", str).strip()
        redact.register(value)
        if value:
            try:
                parse_webhook(value)
            except ServerUrlError as exc:
                raise self.fail(f"the webhook URL {exc}", node.line, "notify") from None
        return value

    def variables(self, node: _Node | None) -> dict[str, Any]:
        if node is None:
            return {}
        out: dict[str, Any] = {}
        for name, value in self.free_mapping(node, "vars").items():
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise self.fail("a variable name is letters, digits and _", value.line, f"vars.{name}")
            out[name] = self.data(value, f"vars.{name}")
        return out

    def criteria(self, node: _Node | None) -> Criteria:
        if node is None:
            return Criteria()
        overrides: dict[str, Any] = {}
        if isinstance(node.node, yaml.ScalarNode):
            profile, line = self.scalar(node, "criteria", str), node.line
        else:
            fields_ = self.mapping(node, "criteria", ("profile", *OVERRIDABLE))
            profile = (
                self.scalar(fields_["profile"], "criteria.profile", str) if "profile" in fields_ else "strict"
            )
            line = fields_["profile"].line if "profile" in fields_ else node.line
            for key, value in fields_.items():
                if key == "profile":
                    continue
                number = value.value
                if (
                    isinstance(number, bool)
                    or not isinstance(number, (int, float))
                    or not math.isfinite(number)
                ):
                    raise self.fail("expected a finite number", value.line, f"criteria.{key}")
                if key == "max_4xx_ratio" and not 0 < number <= 1:
                    raise self.fail("a ratio between 0 and 1, e.g. 0.05", value.line, f"criteria.{key}")
                if key != "max_4xx_ratio" and (number < 0 or int(number) != number):
                    raise self.fail("a whole number, 0 or more", value.line, f"criteria.{key}")
                if key != "max_4xx_ratio" and number > MAX_CRITERION:
                    raise self.fail(f"at most {MAX_CRITERION}", value.line, f"criteria.{key}")
                overrides[key] = number
        names = [p.value for p in Profile]
        if profile not in names:
            raise self.fail(f"unknown profile {profile!r}; one of {', '.join(names)}", line, "criteria")
        rules_for(profile, overrides)
        return Criteria(profile, overrides)

    def check_spare(
        self, node: _Node | None, limits: Mapping[str, int], margin: Margin, endpoints: tuple[Item, ...]
    ) -> None:
        """Spare slots must leave rcgrad at least one request per window in every group it uses;
        otherwise the margin silently paces it to one request a window."""
        if node is None or not margin.requests:
            return
        for group in sorted({step.operation.group for item in endpoints for step in item.steps}):
            custom = limits.get(group)
            limit = GroupLimit(custom) if custom else default_limit(group)
            if limit is not None and margin.requests >= limit.limit:
                spare = self.mapping(node, "limits", (*DEFAULT_LIMITS, *MARGIN_KEYS))["spare"]
                raise self.fail(
                    f"{margin.requests} spare slots leave nothing for rcgrad in {group} "
                    f"({limit.limit} per window): at most {limit.limit - 1}",
                    spare.line,
                    "limits.spare",
                )

    def limits(self, node: _Node | None) -> tuple[dict[str, int], Margin]:
        """Group limits lower than the defaults, and the safety margin the runner paces with."""
        if node is None:
            return {}, Margin()
        out: dict[str, int] = {}
        margin = Margin()
        for key, value in self.mapping(node, "limits", (*DEFAULT_LIMITS, *MARGIN_KEYS)).items():
            if key == "spare":
                spare = self.scalar(value, "limits.spare", int)
                if not 0 <= spare <= MAX_CRITERION:
                    raise self.fail(
                        f"0 or more requests per window (at most {MAX_CRITERION})", value.line, "limits.spare"
                    )
                margin = replace(margin, requests=spare)
            elif key == "edge_seconds":
                seconds = value.value
                if (
                    isinstance(seconds, bool)
                    or not isinstance(seconds, (int, float))
                    or not 0 <= seconds <= 60
                ):
                    raise self.fail(
                        "expected a number of seconds from 0 to 60", value.line, "limits.edge_seconds"
                    )
                margin = replace(margin, seconds=float(seconds), window_fraction=0.0)
            else:
                limit = self.scalar(value, f"limits.{key}", int)
                if not 1 <= limit <= MAX_CRITERION:
                    raise self.fail(
                        f"a limit is 1 request per window or more (at most {MAX_CRITERION})",
                        value.line,
                        f"limits.{key}",
                    )
                if (default := raised(key, limit)) is not None:
                    raise self.fail(
                        f"{limit} is above RingCentral's default of {default} for {key}; limits can only be lowered",
                        value.line,
                        f"limits.{key}",
                    )
                out[key] = limit
        return out, margin

    def warmup(self, node: _Node | None) -> int | None:
        if node is None:
            return None
        fields_ = self.mapping(node, "warmup", WARMUP_KEYS)
        if "daily_calls" not in fields_:
            return None
        daily = self.scalar(fields_["daily_calls"], "warmup.daily_calls", int)
        if daily < 1:
            raise self.fail("1 or more", fields_["daily_calls"].line, "warmup.daily_calls")
        return int(daily)

    def endpoints(self, node: _Node, variables: Mapping[str, Any]) -> tuple[Item, ...]:
        items: list[Item] = []
        names: dict[str, int] = {}
        entries = self.sequence(node, "endpoints")
        if not entries:
            raise self.fail("list at least one endpoint", node.line, "endpoints")
        for index, entry in enumerate(entries):
            item = self.item(entry, f"endpoints[{index}]", variables)
            if item.name in names:
                raise self.fail(
                    f"two items are named {item.name!r}; names must be unique",
                    entry.line,
                    f"endpoints[{index}].name",
                )
            names[item.name] = entry.line
            items.append(item)
        return tuple(items)

    def item(self, node: _Node, key: str, variables: Mapping[str, Any]) -> Item:
        if isinstance(node.node, yaml.ScalarNode):
            step = self.step(node, key, variables, short=True)
            return Item(step.name, step, node.line)
        fields_ = self.mapping(node, key, ITEM_KEYS)
        main = self.step(node, key, variables, fields=fields_)
        setup = (
            tuple(
                self.step(s, f"{key}.setup[{i}]", variables)
                for i, s in enumerate(self.sequence(fields_["setup"], f"{key}.setup"))
            )
            if "setup" in fields_
            else ()
        )
        teardown = (
            tuple(
                self.step(s, f"{key}.teardown[{i}]", variables)
                for i, s in enumerate(self.sequence(fields_["teardown"], f"{key}.teardown"))
            )
            if "teardown" in fields_
            else ()
        )
        calls = None
        if "calls" in fields_:
            calls = self.scalar(fields_["calls"], f"{key}.calls", int)
            if calls < 1:
                raise self.fail("1 or more", fields_["calls"].line, f"{key}.calls")
            most, group = most_calls(step.operation.group for step in (*setup, main, *teardown))
            if calls > most:
                raise self.fail(
                    f"at most {most} (what {group} allows in two days)", fields_["calls"].line, f"{key}.calls"
                )
        return Item(main.name, main, node.line, setup, teardown, calls)

    def step(
        self,
        node: _Node,
        key: str,
        variables: Mapping[str, Any],
        *,
        short: bool = False,
        fields: dict[str, _Node] | None = None,
    ) -> Step:
        if short:
            method, path = self.request_line(self.scalar(node, key, str), node.line, key)
            return self.resolved(key, node.line, method, path, variables, name=f"{method} {path}")
        if fields is None:
            fields = self.mapping(node, key, STEP_KEYS)
        method, path, where = self.step_request(node, fields, key)
        headers = self.step_mapping(fields, key, "headers")
        if any(h.lower() == "authorization" for h in headers):
            raise self.fail(
                "rcgrad sends the Authorization header itself", fields["headers"].line, f"{key}.headers"
            )
        for name, value in headers.items():
            problem = wire.header_problem(f"{name}{value}")
            if problem:
                raise self.fail(problem, fields["headers"].line, f"{key}.headers.{name}")
        return self.resolved(
            key,
            where,
            method,
            path,
            variables,
            name=self.scalar(fields["name"], f"{key}.name", str) if "name" in fields else f"{method} {path}",
            query=self.step_mapping(fields, key, "query"),
            json=self.data(fields["json"], f"{key}.json") if "json" in fields else None,
            headers=headers,
            expect=self.step_expect(fields, key),
            save=self.step_save(fields, key),
            todo=self.scalar(fields["todo"], f"{key}.todo", str) if "todo" in fields else None,
        )

    def step_request(self, node: _Node, fields: dict[str, _Node], key: str) -> tuple[str, str, int]:
        """(method, path, line) from ``request: METHOD /path`` or from ``method:`` and ``path:``."""
        if "request" in fields:
            if "method" in fields or "path" in fields:
                raise self.fail(
                    "write either request: or method: and path:", fields["request"].line, f"{key}.request"
                )
            request = fields["request"]
            method, path = self.request_line(
                self.scalar(request, f"{key}.request", str), request.line, f"{key}.request"
            )
            return method, path, request.line
        if "method" in fields and "path" in fields:
            method = self.scalar(fields["method"], f"{key}.method", str).upper()
            if method not in METHODS:
                raise self.fail(
                    f"method must be one of {', '.join(METHODS)}", fields["method"].line, f"{key}.method"
                )
            return method, self.scalar(fields["path"], f"{key}.path", str), fields["path"].line
        raise self.fail('missing request: (e.g. "GET /restapi/v1.0/account/~")', node.line, f"{key}.request")

    def step_mapping(self, fields: dict[str, _Node], key: str, name: str) -> dict[str, Any]:
        """``query:`` or ``headers:``: a mapping, empty when absent."""
        if name not in fields:
            return {}
        value = self.data(fields[name], f"{key}.{name}")
        if not isinstance(value, dict):
            what = "query parameters" if name == "query" else name
            raise self.fail(f"expected a mapping of {what}", fields[name].line, f"{key}.{name}")
        return value

    def step_expect(self, fields: dict[str, _Node], key: str) -> int | None:
        if "expect" not in fields:
            return None
        expect = self.scalar(fields["expect"], f"{key}.expect", int)
        if not 100 <= expect <= 599:
            raise self.fail("an HTTP status, e.g. 200 or 204", fields["expect"].line, f"{key}.expect")
        return expect

    def step_save(self, fields: dict[str, _Node], key: str) -> dict[str, str]:
        """Captures: a name (letters, digits, _) to a JSONPath that parses."""
        save: dict[str, str] = {}
        if "save" not in fields:
            return save
        for capture, expression in self.free_mapping(fields["save"], f"{key}.save").items():
            text = self.scalar(expression, f"{key}.save.{capture}", str)
            if not re.fullmatch(r"[A-Za-z_]\w*", capture):
                raise self.fail(
                    "a capture name is letters, digits and _", expression.line, f"{key}.save.{capture}"
                )
            try:
                jsonpath.parse(text)
            except ValueError as exc:
                raise self.fail(str(exc), expression.line, f"{key}.save.{capture}") from None
            save[capture] = text
        return save

    def request_line(self, text: str, line: int, key: str) -> tuple[str, str]:
        parts = text.split()
        if len(parts) != 2 or parts[0].upper() not in METHODS or not parts[1].startswith("/"):
            raise self.fail(
                f'write "METHOD /path", e.g. "GET /restapi/v1.0/account/~" (got {text[:60]!r})', line, key
            )
        return parts[0].upper(), parts[1]

    def resolved(
        self, key: str, line: int, method: str, path: str, variables: Mapping[str, Any], **rest: Any
    ) -> Step:
        if "?" in path:
            raise self.fail("put query parameters under query:, not in the path", line, key)
        # Captures are unknown until run time: match with an id-shaped stand-in, vars with their values.
        probe = PLACEHOLDER.sub(lambda m: str(variables.get(m.group(1), "1")), path)
        match = self.catalog.match(method, probe)
        if match is None:
            raise self.fail(f"no {method} {path} in RingCentral's API{self.suggest(method, path)}", line, key)
        return Step(method=method, path=path, operation=match.value, line=line, **rest)

    def suggest(self, method: str, path: str) -> str:
        shape = re.sub(r"\{\{[^}]*\}\}|\b\d+\b|~", "{id}", path)
        keys = [f"{op.method} {re.sub(r'{[^}]*}', '{id}', op.path)}" for op in self.catalog.operations]
        close = difflib.get_close_matches(f"{method} {shape}", keys, n=1, cutoff=0.6)
        if not close:
            return ""
        op = self.catalog.operations[keys.index(close[0])]
        return f"; closest: {op.method} {op.path}"


# A criterion's count beyond this is a typo: no review asks for a million calls.
MAX_CRITERION = 1_000_000


def _yaml_in_plain_words(exc: yaml.MarkedYAMLError) -> str:
    """What the parser's words (``expected <block end>, but found '?'``) mean in a plan."""
    problem, context = str(exc.problem or ""), str(exc.context or "")
    if "flow" in context or "',' or '}'" in problem or "',' or ']'" in problem:
        why = (
            "a [ or { is not closed, or a value holds [ ] { } or , unquoted"
            " (quote it, e.g. save: {id: '$.records[0].id'})"
        )
    elif (
        "<block end>" in problem or "mapping values are not allowed" in problem or "block mapping" in context
    ):
        why = (
            "the indentation is off here: keys of one mapping start in the same column, and a list"
            " item's keys line up under the first one (spaces, not tabs)"
        )
    elif "\t" in problem or "tab" in problem:
        why = "a tab here; YAML indents with spaces only"
    else:
        why = problem or context
    return f"not valid YAML: {why}"


def _looks_secret(name: str) -> bool:
    """Every ``RC_*`` credential, and any variable whose name says it holds a secret."""
    return name.startswith("RC_") or redact.looks_secret(name)


def _kind(kind: type) -> str:
    return {str: "text", int: "a whole number", bool: "true or false", float: "a number"}.get(
        kind, kind.__name__
    )
