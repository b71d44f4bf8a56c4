"""``rcgrad report``'s pages in a real browser: headless Chromium opens each one at a phone's width
(390 px) and a desktop's, logs no console message (a blocked fetch, a script, a CSP violation would
all log one), lays it out without sideways scrolling, and its screenshot shows every chart.

Without Chromium the test skips with how to install it, except under CI=true, where it fails
(``.ci/run`` installs it). Chromium runs with networking features off and a fresh profile: the
pages must need nothing beyond themselves.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from runner.cli import main
from tests import png
from tests.history_support import fortnight, write_plans

pytestmark = pytest.mark.subprocess

WIDTHS = (390, 1280)
INSTALL = "chromium not found: install it with `apt-get install -y chromium` (Debian's package)"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--enable-logging=stderr",
    "--v=0",
)
# Headless Chromium lays a window out at least 500 px wide, whatever --window-size says, so a
# phone's width is given to the page by a frame of that width (its media queries see the frame).
# The page goes in by srcdoc: it keeps its own CSP, and the frame's parent may measure it.
FRAME = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{{margin:0}}iframe{{border:0;display:block}}'
    '</style></head><body><iframe width="{width}" height="{height}" srcdoc="{page}"></iframe>{probe}</body></html>'
)
# Measures the laid-out page from outside it (the page runs no script; its CSP forbids one).
PROBE = """<script>
addEventListener('load', () => {
  const doc = document.querySelector('iframe').contentDocument;
  const boxes = [...doc.querySelectorAll('svg')].map(s => {
    const b = s.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; });
  const out = document.createElement('pre'); out.id = 'rcgrad-layout';
  out.textContent = JSON.stringify({viewport: doc.defaultView.innerWidth, width: doc.documentElement.scrollWidth,
    height: Math.ceil(doc.body.getBoundingClientRect().bottom), svgs: boxes});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL)
        pytest.skip(INSTALL)
    return found


def run_chromium(binary: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="rcgrad-chromium-") as profile:
        return subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def framed(page: Path, width: int, height: int, work: Path, *, probe: bool) -> Path:
    frame = work / f"{page.stem}-{width}-{'probe' if probe else 'shot'}.html"
    text = html.escape(page.read_text(encoding="utf-8"), quote=True)
    frame.write_text(FRAME.format(width=width, height=height, page=text, probe=PROBE if probe else ""))
    return frame


def layout(binary: str, page: Path, width: int, work: Path) -> dict:
    probe = framed(page, width, 8000, work, probe=True)
    done = run_chromium(binary, f"--window-size={max(width, 500)},900", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="rcgrad-layout">(.*?)</pre>', done.stdout, re.S)
    assert found, f"{page.name} at {width}px: no layout from chromium\n{done.stderr[-2000:]}"
    box = json.loads(html.unescape(found.group(1)))
    assert box["viewport"] == width
    return box


def inked(image: png.Image, box: list[float]) -> int:
    """Pixels inside ``box`` that are not the page's white."""
    x0, y0, w, h = (round(v) for v in box)
    count = 0
    for y in range(max(y0, 0), min(y0 + h, image.height)):
        row = image.rows[y]
        for x in range(max(x0, 0), min(x0 + w, image.width)):
            if row[3 * x : 3 * x + 3] != b"\xff\xff\xff":
                count += 1
    return count


def test_each_page_opens_cleanly_in_chromium_and_shows_its_charts(tmp_path: Path, capsys):
    binary = chromium()
    healthy, troubled = write_plans(tmp_path / "plans")
    fortnight(healthy)
    fortnight(troubled, trouble=True)
    site = tmp_path / "site"
    assert main(["report", str(healthy), str(troubled), "--html", str(site), "-q"]) == 0
    capsys.readouterr()
    shots = Path(os.environ.get("RCGRAD_SCREENSHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    pages = sorted(site.glob("*.html"))
    assert [p.name for p in pages] == ["healthy.html", "index.html", "troubled.html"]
    for page in pages:
        # The page itself, as a user opens it from disk: not one console message.
        done = run_chromium(
            binary, "--window-size=1280,900", f"--screenshot={tmp_path / 'direct.png'}", page.as_uri()
        )
        assert (tmp_path / "direct.png").exists(), done.stderr[-2000:]
        assert console_messages(done.stderr) == [], f"{page.name}: the console said something"
        for width in WIDTHS:
            where = f"{page.name} at {width}px"
            box = layout(binary, page, width, tmp_path)
            assert box["width"] <= width, f"{where}: {box['width']}px wide, it scrolls sideways"
            shot = shots / f"{page.stem}-{width}.png"
            height = min(box["height"] + 16, 8000)
            frame = framed(page, width, height, tmp_path, probe=False)
            done = run_chromium(
                binary, f"--window-size={max(width, 500)},{height}", f"--screenshot={shot}", frame.as_uri()
            )
            assert shot.exists(), f"{where}: no screenshot\n{done.stderr[-2000:]}"
            assert console_messages(done.stderr) == [], f"{where}: the console said something"
            image = png.read(shot)
            assert image.width >= width
            charts = box["svgs"]
            assert len(charts) >= (2 if page.name == "index.html" else 5), where
            for i, chart in enumerate(charts):
                if page.name != "index.html":
                    assert chart[2] >= 280, f"{where}: chart {i} is only {chart[2]}px wide"
                ink = inked(image, chart)
                assert ink >= 60, f"{where}: chart {i} at {chart} is blank in the screenshot ({ink} pixels)"
