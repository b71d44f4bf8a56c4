"""``plan scan`` over a generated repository of 5,000 source files in the nine languages (target
< 10 s), twice: one file in ten calls RingCentral (constants, helpers, typed chains) and the rest is
ordinary code that the scan must pass over quickly; then every file calls it, so that every file is
parsed, indexed and followed (an SDK's own repository, or an app that is nothing but API calls)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from runner.plan.scan import scan_source

N_FILES = 5_000
TARGET_S = 10.0
PLAIN = {
    ".py": "def f{i}(items, limit={i}):\n    out = [x * 2 for x in items if x > limit]\n    return sorted(out)\n",
    ".js": "function f{i}(items) {{\n  return items.filter((x) => x > {i}).map((x) => x * 2)\n}}\n",
    ".ts": "export function f{i}(items: number[]): number[] {{\n  return items.filter((x) => x > {i})\n}}\n",
    ".java": "class C{i} {{ int f(int[] xs) {{ int s = 0; for (int x : xs) s += x * {i}; return s; }} }}\n",
    ".kt": "fun f{i}(xs: List<Int>): Int = xs.filter {{ it > {i} }}.sum()\n",
    ".cs": "class C{i} {{ int F(int[] xs) {{ var s = 0; foreach (var x in xs) s += x * {i}; return s; }} }}\n",
    ".php": "<?php\nfunction f{i}($xs) {{ return array_map(fn($x) => $x * {i}, $xs); }}\n",
    ".go": "package p\n\nfunc F{i}(xs []int) int {{\n\ts := 0\n\tfor _, x := range xs {{\n\t\ts += x * {i}\n\t}}\n\treturn s\n}}\n",
    ".rb": "def f{i}(xs)\n  xs.select {{ |x| x > {i} }}.map {{ |x| x * 2 }}\nend\n",
}
CALLING = {
    ".py": 'BASE = "/restapi/v1.0/account/~/extension"\n\ndef call{i}(platform, ext):\n    platform.get(f"{{BASE}}/{{ext}}/presence")\n    platform.post(BASE + "/~/sms", {{}})\n',
    ".js": "const BASE = '/restapi/v1.0/account/~/call-queues'\nasync function q{i} (platform, id) {{\n  return platform.get(`${{BASE}}/${{id}}/members`)\n}}\n",
    ".ts": "export const q{i} = (rc: any) => rc.restapi().account().extension().list()\n",
    ".java": "class R{i} {{ Object f(RestClient rc) throws Exception {{ return rc.restapi().account().extension().callLog().list(); }} }}\n",
    ".kt": 'const val P{i} = "/restapi/v1.0/account/~/extension/~/sms"\nfun s{i}(rc: RestClient, m: Any) {{ rc.post(P{i}, m) }}\n',
    ".cs": "class R{i} {{ async Task F(RestClient rc) {{ await rc.Restapi().Account().CallQueues().List(); }} }}\n",
    ".php": "<?php\n$platform->post('/account/~/extension/~/ringout', array());\n",
    ".go": 'package p\n\nfunc R{i}(c *Client) {{ c.Get(fmt.Sprintf("/restapi/v1.0/account/%s/active-calls", "~")) }}\n',
    ".rb": "def r{i}(client)\n  client.http.get 'account/~/extension/~'\nend\n",
}


def _repository(root: Path, every: int) -> None:
    """``N_FILES`` files of about 120 lines; one in ``every`` calls the API."""
    suffixes = list(PLAIN)
    for i in range(N_FILES):
        suffix = suffixes[i % len(suffixes)]
        folder = root / f"pkg{i % 50}"
        folder.mkdir(exist_ok=True)
        body = (CALLING if i % every == 0 else PLAIN)[suffix].format(i=i)
        # about 120 lines a file: the same shape repeated, as ordinary code is
        filler = "".join(
            PLAIN[suffix].replace("<?php\n", "").replace("package p\n\n", "").format(i=i * 100 + k)
            for k in range(20)
        )
        (folder / f"m{i}{suffix}").write_text(body + filler)


def main() -> None:
    for every, share in ((10, "1 in 10"), (1, "every one")):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            _repository(root, every)
            start = time.perf_counter()
            scan = scan_source(root)
            took = time.perf_counter() - start
        print(
            f"plan scan of {N_FILES:,} source files, {share + ' calling the API:':27} {took:6.2f} s"
            f"  target {TARGET_S:.0f} s  ratio {took / TARGET_S:.2f}  ({len(scan.found)} calls found)"
        )
