"""The verdict as one self-contained HTML page: tables plus an inline SVG chart of calls per hour.

No external asset (no script, font, stylesheet or image URL): the page opens offline and can be
attached to a ticket. Every value is escaped. Must never add anything that is not in the verdict.
"""

from __future__ import annotations

import html as _html

from runner.report.console import format_number
from runner.verdict.criteria import HOUR, Verdict, iso

# Status class -> bar colour; the order is the stacking order, bottom up.
SERIES = (("2xx", "#2e7d32"), ("4xx", "#f9a825"), ("429", "#c62828"), ("5xx", "#6a1b9a"))

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem}.met{color:#2e7d32}.notmet{color:#c62828}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child,td.l{text-align:left}.ok{color:#2e7d32}.fail{color:#c62828;font-weight:bold}
.confirm{color:#b26a00}svg{border:1px solid #ddd;background:#fafafa}.legend span{margin-right:1rem}
.rehearsal{background:#fff3cd;border:2px solid #b26a00;color:#6b4000;padding:.5rem 1rem;font-size:1.2rem;font-weight:bold}
"""


def _e(value: object) -> str:
    return _html.escape(str(value), quote=True)


def chart(verdict: Verdict, width: int = 960, height: int = 220) -> str:
    """Stacked bars, one per hour from now - 48 h to now, by status class."""
    first = int(verdict.window.rolling_start // HOUR)
    last = int(verdict.now // HOUR)
    hours = list(range(first, last + 1))
    by_hour = {int(b.start // HOUR): (b.ok, b.errors_4xx, b.errors_429, b.errors_5xx) for b in verdict.hourly}
    peak = max((sum(v) for v in by_hour.values()), default=0) or 1
    pad_left, pad_bottom = 40, 20
    plot_w, plot_h = width - pad_left - 10, height - pad_bottom - 10
    bar_w = plot_w / len(hours)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img"'
        f' aria-label="calls per hour by status class">',
        f'<text x="4" y="14" font-size="11">{peak}</text><text x="4" y="{10 + plot_h}" font-size="11">0</text>',
    ]
    for i, hour in enumerate(hours):
        x = pad_left + i * bar_w
        y = float(10 + plot_h)
        for (label, colour), n in zip(SERIES, by_hour.get(hour, (0, 0, 0, 0)), strict=True):
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{_e(iso(hour * HOUR))} {label}: {n}</title></rect>"
            )
        if hour % 24 == 0:  # UTC midnight: the UTC-day boundary the criteria use
            parts.append(
                f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{10 + plot_h}" stroke="#555" stroke-dasharray="3"/>'
                f'<text x="{x + 2:.1f}" y="{height - 5}" font-size="11">{_e(iso(hour * HOUR)[:10])}</text>'
            )
    parts.append("</svg>")
    legend = "".join(f'<span style="color:{c}">&#9632; {label}</span>' for label, c in SERIES)
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def render(verdict: Verdict) -> str:
    win = verdict.window
    status = "met" if verdict.met else "notmet"
    rows = []
    for c in verdict.criteria:
        mark = ("fail", "✗") if not c.met else (("confirm", "confirm") if c.needs_human else ("ok", "✓"))
        rows.append(
            f"<tr><td>{_e(c.name)}</td><td>{_e(format_number(c.value))}</td><td>{_e(format_number(c.threshold))}</td>"
            f'<td>{_e(format_number(c.margin))}</td><td class="{mark[0]}">{mark[1]}</td><td class="l">{_e(c.detail)}</td></tr>'
        )
    ep_rows = "".join(
        f"<tr><td>{_e(e.key)}{'' if e.in_plan else ' (not in plan)'}</td><td class=l>{_e(e.permission or '-')}</td>"
        f"<td class=l>{_e(e.group or '-')}</td><td>{e.yesterday}</td><td>{e.today}</td><td>{e.last_48h}</td>"
        f"<td>{e.errors_4xx}</td><td>{e.total}</td></tr>"
        for e in verdict.endpoints
    )
    scope_rows = "".join(
        f"<tr><td>{_e(s.scope)}</td><td>{s.successes}</td>"
        f'<td class="{"ok" if s.exercised else "fail"}">{"✓" if s.exercised else "✗"}</td></tr>'
        for s in verdict.scopes
    )
    t = verdict.tokens
    caveats = "".join(f"<li>{_e(n)}</li>" for n in verdict.caveats)
    subject = ""
    if verdict.subject is not None:
        subject = (
            "<table>"
            + "".join(
                f'<tr><th class="l">{_e(label)}</th><td class="l">{_e(value)}</td></tr>'
                for label, value in verdict.subject.lines()
            )
            + "</table>"
        )
    outcome = "Criteria met" if verdict.met else "Criteria not met"
    app = verdict.subject.app if verdict.subject is not None else ""
    rehearsal = verdict.subject is not None and verdict.subject.rehearsal
    # As prominent as the verdict: a green "met" on a rehearsal is no production verdict.
    banner = (
        '<p class="rehearsal">REHEARSAL on the local sandbox: no real traffic was judged</p>'
        if rehearsal
        else ""
    )
    title = " - ".join(part for part in (app, "REHEARSAL" if rehearsal else "", outcome) if part)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rcgrad: {_e(title)} ({_e(iso(verdict.now))})</title>
<style>{_CSS}</style></head><body>
{banner}
<h1 class="{status}">{_e(app) + ": " if app else ""}{outcome}{" (rehearsal)" if rehearsal else ""}</h1>
{subject}
<p>For an application on <b>{_e(verdict.judged_day)}</b> (UTC). Profile <b>{_e(verdict.profile)}</b>, judged at {_e(iso(verdict.now))}. UTC days from {_e(iso(win.yesterday_start))};
48 h from {_e(iso(win.rolling_start))}.</p>
<h2>Criteria</h2>
<table><tr><th>criterion</th><th>value</th><th>threshold</th><th>margin</th><th></th><th>detail</th></tr>
{"".join(rows)}</table>
<h2>Calls per hour (last 48 h)</h2>
{chart(verdict)}
<h2>Endpoints</h2>
<table><tr><th>endpoint</th><th>permission</th><th>group</th><th>yesterday 2xx</th><th>today 2xx</th>
<th>48 h 2xx</th><th>4xx</th><th>responses</th></tr>{ep_rows}</table>
<h2>Scopes</h2>
<table><tr><th>scope</th><th>2xx</th><th>exercised</th></tr>{scope_rows}</table>
<h2>Tokens</h2>
<p>{t.logins} login(s), {t.relogins} re-login(s), {t.refreshes} proactive refresh(es), {t.refresh_on_401}
refresh(es) after a 401, {t.expired_401} 401(s) from expired tokens.</p>
<h2>Caveats</h2><ul>{caveats}</ul>
</body></html>
"""
