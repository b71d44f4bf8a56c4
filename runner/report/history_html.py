"""The window's history as self-contained HTML: a page per app and the fleet's index.

Charts are inline SVG drawn here: horizontal positions in percent and vertical ones in pixels, so
a chart fills any width (a 390 px phone or a desktop) while its text keeps its size. No script, no
font, no stylesheet or image from anywhere else: a page opens offline and can be attached to a
ticket. Every value from the plan or the ledger (app names, endpoint paths, scopes) is escaped, and
first passed through ``redact``. This module returns strings; it never writes a file, reads the
ledger or the environment, and never shows anything that is not in the ``History`` it is given.
"""

from __future__ import annotations

import datetime as dt
import html as _html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from runner.errors import one_line
from runner.redact import redact
from runner.report.history_console import MONTHS, next_apply_day, relative_day
from runner.verdict.criteria import Criterion
from runner.verdict.history import DayHistory, History
from runner.verdict.subject import Subject

GUTTER = 7.0  # percent of a chart's width kept on the right for its scale's labels
GREEN, LIGHT_GREEN, RED, AMBER, GREY, INK = "#2e7d32", "#a5d6a7", "#c62828", "#f9a825", "#bdbdbd", "#263238"
APPLY_KEYS = (
    (GREEN, "met all day"),
    (LIGHT_GREEN, "met by the day's end only"),
    (RED, "not met"),
    ("#eeeeee", "no traffic"),
    ("dashed:#ffffff:#263238", "today, so far"),
    ("dashed:#e8f5e9:#2e7d32", "next apply day that meets all day"),
    ("dashed:#ffffff:#66bb6a", "would meet by its end"),
    ("dashed:#ffffff:#9e9e9e", "would not meet yet"),
)
SERIES = (("2xx", GREEN), ("4xx", AMBER), ("429", RED), ("5xx", "#6a1b9a"))  # stacking order, bottom up

_CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fff;
margin:0 auto;max-width:1000px;padding:1rem 1.25rem 3rem}
h1{font-size:1.5rem;margin:.4rem 0;overflow-wrap:anywhere}h2{font-size:1.15rem;margin:2rem 0 .4rem}
a{color:#1565c0}.name{overflow-wrap:anywhere}code{overflow-wrap:break-word;font:13px ui-monospace,Menlo,Consolas,monospace}
.muted{color:#666}.small{font-size:13px}
.badge{display:inline-block;white-space:nowrap;padding:.1rem .55rem;border-radius:1rem;color:#fff;font-weight:600;font-size:13px}
.badge.met{background:#2e7d32}.badge.notmet{background:#c62828}
.subject{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.6rem 0;font-size:14px}
.subject dt{color:#666}.subject dd{margin:0;overflow-wrap:anywhere}
.callout{border-left:4px solid #2e7d32;background:#f1f8e9;padding:.5rem .8rem;margin:.6rem 0}
.callout.bad{border-color:#c62828;background:#fdecea}
svg{display:block;width:100%;overflow:visible}svg text{font-family:system-ui,sans-serif}
.legend{font-size:13px;color:#444;margin:.3rem 0 0}.legend span{white-space:nowrap;margin-right:.9rem}
.key{display:inline-block;width:.85em;height:.85em;border-radius:2px;vertical-align:-.05em;margin-right:.25em}
.key.dashed{border:2px dashed}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:.4rem 1.6rem}
.chart{margin:.5rem 0}.grid .chart{display:flex;flex-direction:column;justify-content:flex-end}
.chart .title{font-size:14px;margin:0 0 .1rem}.chart .title span{color:#666;font-size:12px;display:block}
.scope{display:grid;grid-template-columns:minmax(7rem,12rem) 1fr;align-items:center;gap:.6rem;font-size:14px}
ul.fails{padding-left:1.2rem}ul.fails li{margin:.2rem 0}
table{border-collapse:collapse;font-size:14px;margin:.5rem 0;width:100%}
th,td{border-bottom:1px solid #e0e0e0;padding:.3rem .45rem;text-align:right;vertical-align:top}
th{font-weight:600;background:#fafafa}th.l,td.l{text-align:left}
.scroll{overflow-x:auto}details summary{cursor:pointer;margin:.5rem 0}
@media (max-width:640px){
body{padding:.75rem .75rem 2rem;font-size:14px}h1{font-size:1.3rem}
.scope{grid-template-columns:1fr;gap:0}
table.fleet thead{display:none}table.fleet,table.fleet tbody,table.fleet tr,table.fleet td{display:block;width:100%}
table.fleet tr{border:1px solid #e0e0e0;border-radius:6px;margin:.6rem 0;padding:.3rem .5rem}
table.fleet td{border:0;text-align:left;padding:.15rem 0}
table.fleet td[data-label]::before{content:attr(data-label) ": ";color:#666}
}
"""


def _e(value: object) -> str:
    """Escaped for HTML text and attributes, secrets masked, control characters shown, one line."""
    return _html.escape(one_line(redact(str(value))), quote=True)


def _name(value: object) -> str:
    """A name from the plan or the ledger: escaped, and isolated so right-to-left text cannot
    reorder the page around it."""
    return f'<bdi class="name">{_e(value)}</bdi>'


# ------------------------------------------------------------------------------------------ charts


class _Columns:
    """N equal columns over the chart's width less the gutter, positions in percent."""

    def __init__(self, n: int) -> None:
        self.n = max(n, 1)
        self.span = (100.0 - GUTTER) / self.n

    def x(self, i: int, frac: float = 0.0) -> str:
        return f"{(i + frac) * self.span:.3f}%"

    def width(self, frac: float) -> str:
        return f"{frac * self.span:.3f}%"


def _svg(height: int, label: str, body: Iterable[str]) -> str:
    return f'<svg height="{height}" role="img" aria-label="{_e(label)}">' + "".join(body) + "</svg>"


def _text(
    x: str,
    y: float,
    text: str,
    *,
    size: int = 11,
    anchor: str = "middle",
    fill: str = "#444",
    bold: bool = False,
) -> str:
    """An SVG label; ``text`` is a number or a glyph of ours, never a value from a plan or the ledger."""
    weight = ' font-weight="700"' if bold else ""
    return f'<text x="{x}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{weight}>{text}</text>'


def _date_axis(
    cols: _Columns, days: Sequence[dt.date], y: float, today: dt.date | None = None, *, months: bool = True
) -> list[str]:
    """Day numbers under the columns, and the month's name below where one starts."""
    out = []
    for i, day in enumerate(days):
        bold = day == today
        out.append(_text(cols.x(i, 0.5), y, str(day.day), size=10, fill=INK if bold else "#666", bold=bold))
        if months and (i == 0 or day.day == 1):
            out.append(_text(cols.x(i, 0.5), y + 12, MONTHS[day.month - 1], size=10, fill="#666"))
    return out


def _day_title(day: DayHistory) -> str:
    when = "so far" if not day.complete else "at the day's end"
    if day.met:
        extra = "" if day.met_at_start else "; not yet at the day's start (the day before alone fell short)"
        return f"{day.day.isoformat()}: an application would have met ({when}){extra}"
    failing = ", ".join(c.name for c in day.verdict.failed)
    return f"{day.day.isoformat()}: not met ({when}): {failing}"


def _idle(day: DayHistory) -> bool:
    """No response at all in the day's two-day window: nothing to judge, nothing went wrong."""
    return not any(e.total for e in day.verdict.endpoints)


def apply_day_strip(history: History) -> str:
    """A square per day: past days as judged, today so far, then the days the outlook tried."""
    past = list(history.days)
    outlook = history.outlook
    ahead = [day for day, _ in outlook.warmups if day > history.today.day]
    days = [d.day for d in past] + ahead
    cols = _Columns(len(days))
    parts = []
    for i, d in enumerate(past):
        if d.met:
            fill, glyph, ink = (GREEN, "✓", "#fff") if d.met_at_start else (LIGHT_GREEN, "✓", "#1b5e20")
        elif _idle(d):
            fill, glyph, ink = "#eeeeee", "–", "#9e9e9e"
        else:
            fill, glyph, ink = RED, "✗", "#fff"
        dash = ' stroke="#263238" stroke-width="2" stroke-dasharray="3 2"' if not d.complete else ""
        parts.append(
            f'<rect x="{cols.x(i, 0.08)}" y="4" width="{cols.width(0.84)}" height="28" rx="4" fill="{fill}"{dash}>'
            f"<title>{_e(_day_title(d))}</title></rect>"
        )
        parts.append(_text(cols.x(i, 0.5), 23, glyph, size=13, fill=ink, bold=True))
    for j, day in enumerate(ahead, start=len(past)):
        if day == outlook.apply_day:
            stroke, fill, glyph = GREEN, "#e8f5e9", "✓"
            title = f"{day.isoformat()}: the next apply day that meets all day, if the warm-up keeps running"
        elif outlook.by_end is not None and day >= outlook.by_end:
            stroke, fill, glyph = "#66bb6a", "#ffffff", "✓"
            title = f"{day.isoformat()}: would meet by the day's end only, with the warm-up"
        else:
            stroke, fill, glyph = "#9e9e9e", "#ffffff", "?"
            title = f"{day.isoformat()}: would not meet yet, even with the warm-up"
        parts.append(
            f'<rect x="{cols.x(j, 0.08)}" y="4" width="{cols.width(0.84)}" height="28" rx="4" fill="{fill}"'
            f' stroke="{stroke}" stroke-width="2" stroke-dasharray="4 3"><title>{_e(title)}</title></rect>'
        )
        parts.append(_text(cols.x(j, 0.5), 23, glyph, size=13, fill=stroke, bold=True))
    if ahead:
        x = cols.x(len(past), 0.0)
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="36" stroke="#90a4ae" stroke-width="1"/>')
    parts.extend(_date_axis(cols, days, 48, history.today.day))
    return _svg(64, "apply days: met or not, per day", parts)


def _scale(peak: float, floor: float) -> float:
    return max(peak, floor) or 1.0


def endpoint_chart(history: History, key: str) -> str:
    """Daily 2xx of one endpoint against the threshold (dashed)."""
    days = history.days
    cols = _Columns(len(days))
    values = [d.successes.get(key, 0) for d in days]
    threshold = history.threshold
    top, base = 16.0, 62.0
    scale = _scale(max(values, default=0) * 1.0, threshold * 1.6)
    parts = []
    for i, (d, n) in enumerate(zip(days, values, strict=True)):
        if n == 0:
            parts.append(
                f'<rect x="{cols.x(i, 0.2)}" y="{base - 1.5:.1f}" width="{cols.width(0.6)}" height="1.5" fill="{GREY}">'
                f"<title>{_e(d.day.isoformat())}: no 2xx</title></rect>"
            )
            continue
        h = max((base - top) * n / scale, 2.0)
        colour = GREEN if n >= threshold else AMBER
        opacity = "" if d.complete else ' fill-opacity="0.6"'
        parts.append(
            f'<rect x="{cols.x(i, 0.2)}" y="{base - h:.1f}" width="{cols.width(0.6)}" height="{h:.1f}" fill="{colour}"{opacity}>'
            f"<title>{_e(d.day.isoformat())}: {n} 2xx{'' if d.complete else ' so far'}</title></rect>"
        )
        parts.append(_text(cols.x(i, 0.5), base - h - 3, _compact(n), size=10, fill="#333"))
    y = base - (base - top) * threshold / scale
    parts.append(
        f'<line x1="0" y1="{y:.1f}" x2="{100 - GUTTER:.1f}%" y2="{y:.1f}" stroke="{INK}" stroke-width="1" stroke-dasharray="4 3"/>'
    )
    parts.append(_text("100%", y + 4, str(threshold), size=10, anchor="end", fill=INK))
    parts.append(f'<line x1="0" y1="{base}" x2="{100 - GUTTER:.1f}%" y2="{base}" stroke="#9e9e9e"/>')
    parts.extend(_date_axis(cols, [d.day for d in days], base + 12, history.today.day, months=False))
    return _svg(int(base + 16), f"2xx per day of {key}", parts)


def ratio_chart(history: History) -> str:
    """The day's 4xx share of responses (429 included) against the bar, and the day's 429s above."""
    days = history.days
    cols = _Columns(len(days))
    bar = history.max_4xx_ratio
    top, base = 40.0, 112.0
    scale = min(_scale(max((d.ratio_4xx for d in days), default=0.0) * 1.1, bar * 2.5), 1.0)
    parts = [_text("100%", 20, "429", size=10, anchor="end", fill=RED, bold=True)]
    for i, d in enumerate(days):
        if d.errors_429:
            parts.append(
                f'<circle cx="{cols.x(i, 0.5)}" cy="16" r="9" fill="{RED}"><title>{_e(d.day.isoformat())}:'
                f" {d.errors_429} × 429</title></circle>"
            )
            parts.append(_text(cols.x(i, 0.5), 19.5, _compact(d.errors_429), size=10, fill="#fff", bold=True))
        else:
            parts.append(f'<circle cx="{cols.x(i, 0.5)}" cy="16" r="2" fill="{GREY}"/>')
        if not d.responses:
            parts.append(_text(cols.x(i, 0.5), base - 4, "·", size=12, fill="#9e9e9e"))
            continue
        ratio = d.ratio_4xx
        h = (base - top) * ratio / scale
        colour = RED if ratio >= bar else "#78909c"
        title = f"{d.day.isoformat()}: {d.errors_4xx} 4xx of {d.responses} responses ({ratio:.1%})"
        if ratio > 0:
            parts.append(
                f'<rect x="{cols.x(i, 0.2)}" y="{base - max(h, 1.5):.1f}" width="{cols.width(0.6)}"'
                f' height="{max(h, 1.5):.1f}" fill="{colour}"><title>{_e(title)}</title></rect>'
            )
        parts.append(_text(cols.x(i, 0.5), base - max(h, 1.5) - 3, _percent(ratio), size=10, fill="#333"))
    y = base - (base - top) * bar / scale
    parts.append(
        f'<line x1="0" y1="{y:.1f}" x2="{100 - GUTTER:.1f}%" y2="{y:.1f}" stroke="{RED}" stroke-width="1" stroke-dasharray="4 3"/>'
    )
    parts.append(_text("100%", y + 4, f"{bar:.0%}", size=10, anchor="end", fill=RED))
    parts.append(f'<line x1="0" y1="{base}" x2="{100 - GUTTER:.1f}%" y2="{base}" stroke="#9e9e9e"/>')
    parts.extend(_date_axis(cols, [d.day for d in days], base + 13, history.today.day))
    return _svg(int(base + 30), "4xx ratio and 429s per day", parts)


def volume_chart(history: History) -> str:
    """Responses per day, stacked by status class."""
    days = history.days
    cols = _Columns(len(days))
    top, base = 16.0, 96.0
    scale = _scale(max((d.responses for d in days), default=0), 1)
    parts = []
    for i, d in enumerate(days):
        ok = d.responses - d.errors_4xx - d.errors_5xx
        values = (ok, d.errors_4xx - d.errors_429, d.errors_429, d.errors_5xx)
        y = base
        for (label, colour), n in zip(SERIES, values, strict=True):
            if n <= 0:
                continue
            h = max((base - top) * n / scale, 1.0)
            y -= h
            parts.append(
                f'<rect x="{cols.x(i, 0.2)}" y="{y:.1f}" width="{cols.width(0.6)}" height="{h:.1f}" fill="{colour}">'
                f"<title>{_e(d.day.isoformat())}: {n} × {label}</title></rect>"
            )
        if d.responses:
            parts.append(_text(cols.x(i, 0.5), y - 3, _compact(d.responses), size=10, fill="#333"))
    parts.append(f'<line x1="0" y1="{base}" x2="{100 - GUTTER:.1f}%" y2="{base}" stroke="#9e9e9e"/>')
    parts.extend(_date_axis(cols, [d.day for d in days], base + 13, history.today.day))
    return _svg(int(base + 30), "responses per day by status class", parts)


def scope_strip(history: History, scope: str) -> str:
    days = history.days
    cols = _Columns(len(days))
    parts = []
    for i, d in enumerate(days):
        used = scope in d.scopes
        title = f"{d.day.isoformat()}: {'a 2xx under' if used else 'no 2xx under'} {scope}"
        shape = (
            f'<circle cx="{cols.x(i, 0.5)}" cy="11" r="7" fill="{GREEN}">'
            if used
            else f'<circle cx="{cols.x(i, 0.5)}" cy="11" r="6" fill="none" stroke="{GREY}" stroke-width="1.5">'
        )
        parts.append(f"{shape}<title>{_e(title)}</title></circle>")
    return _svg(22, f"days with a 2xx under {scope}", parts)


def day_axis(history: History) -> str:
    """The days alone, under a stack of strips."""
    cols = _Columns(len(history.days))
    return _svg(28, "days", _date_axis(cols, [d.day for d in history.days], 11, history.today.day))


def mini_strip(history: History) -> str:
    """The index's 14 small squares: met, met by the day's end, not met, idle."""
    days = history.days
    cols = _Columns(len(days))
    parts = []
    for i, d in enumerate(days):
        fill = (GREEN if d.met_at_start else LIGHT_GREEN) if d.met else ("#eeeeee" if _idle(d) else RED)
        parts.append(
            f'<rect x="{cols.x(i, 0.1)}" y="2" width="{cols.width(0.8)}" height="14" rx="2" fill="{fill}">'
            f"<title>{_e(_day_title(d))}</title></rect>"
        )
    return _svg(18, "the last 14 days, met or not", parts)


def _compact(n: int) -> str:
    if n < 1000:
        return str(n)
    if n < 10_000:
        return f"{n / 1000:.1f}k"
    return f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}M"


def _percent(ratio: float) -> str:
    if ratio == 0:
        return "0"
    return f"{ratio * 100:.1f}" if ratio < 0.1 else f"{ratio * 100:.0f}"


def _legend(entries: Iterable[tuple[str, str]]) -> str:
    """Keys and their words; a colour written ``dashed:#fill:#line`` is drawn as a dashed outline."""
    keys = []
    for colour, text in entries:
        if colour.startswith("dashed:"):
            _, fill, line = colour.split(":")
            key = f'<i class="key dashed" style="background:{fill};border-color:{line}"></i>'
        else:
            key = f'<i class="key" style="background:{colour}"></i>'
        keys.append(f"<span>{key}{_e(text)}</span>")
    return '<p class="legend">' + "".join(keys) + "</p>"


def _endpoint(key: str) -> str:
    """``METHOD /path``, the path free to wrap after each slash and nowhere else."""
    method, _, path = key.partition(" ")
    return f"<b>{_e(method)}</b> " + "/<wbr>".join(_e(part) for part in path.split("/"))


def _endpoint_note(history: History, key: str) -> str:
    permission = history.permissions.get(key) or "no known permission"
    return permission if key in history.planned else f"{permission}; not in the plan, but the console sees it"


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# ------------------------------------------------------------------------------------------ text


def _failures(criteria: Sequence[Criterion]) -> str:
    if not criteria:
        return ""
    return (
        '<ul class="fails">'
        + "".join(f"<li><b>{_e(c.name)}</b>: {_e(c.detail)}</li>" for c in criteria)
        + "</ul>"
    )


def _subject(subject: Subject | None) -> str:
    if subject is None:
        return ""
    rows = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in subject.lines())
    return f'<dl class="subject">{rows}</dl>'


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        # Nothing may load: no script, no remote asset, even if a value slipped through unescaped.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def render_app(
    history: History, app: str, subject: Subject | None = None, *, index: str = "index.html"
) -> str:
    """One app's page."""
    now_met = history.current.met
    met_count = len(history.met_days)
    o = history.outlook
    first, last = history.days[0].day, history.today.day
    badge = (
        '<span class="badge met">met now</span>'
        if now_met
        else '<span class="badge notmet">not met now</span>'
    )
    run_at = dt.datetime.fromtimestamp(history.now, tz=dt.UTC).strftime("%H:%M")
    assumption = (
        f"Assumes {o.assumption} (the warm-up tops each day up to {o.daily} 2xx per endpoint and to the"
        f" totals and scopes the criteria ask for, as <code>rcgrad warmup</code> does; it runs at {run_at} UTC)."
    )
    warmups = ", ".join(f"{day.isoformat()}: {n} calls" for day, n in o.warmups if n)
    earlier = ""
    if o.by_end is not None and o.by_end != o.apply_day:
        day = relative_day(o.by_end, last)
        earlier = (
            f" {day[:1].upper()}{day[1:]} meets by the day's end, once that day's warm-up"
            " has run; a reviewer looking earlier that day would not see it met."
        )
    calls = f" Warm-up calls on the way: {warmups}." if warmups else ""
    if o.apply_day is not None:
        callout = (
            f'<div class="callout"><b>Next apply day that meets: {_e(next_apply_day(history))}</b>, whenever'
            f" the reviewer looks that day.{_e(earlier)}"
            f'<br><span class="small">{assumption}{_e(calls)}</span></div>'
        )
    else:
        callout = (
            f'<div class="callout bad"><b>No day within {len(o.warmups)} meets all day, even with the daily'
            f" warm-up.</b>{_e(earlier)} What would still fail:{_failures(o.failing)}"
            f'<span class="small">{assumption}{_e(calls)}</span></div>'
        )
    blockers = ""
    if o.blockers:
        blockers = (
            '<p class="small">What the warm-up cannot fix on its own:</p><ul class="fails small">'
            + "".join(f"<li>{_e(b)}</li>" for b in o.blockers)
            + "</ul>"
        )
    now_fails = _failures(history.current.failed)
    endpoint_charts = "".join(
        f'<div class="chart"><p class="title"><bdi><code>{_endpoint(key)}</code></bdi>'
        f"<span>{_e(_endpoint_note(history, key))}</span></p>{endpoint_chart(history, key)}</div>"
        for key in history.endpoints
    )
    scopes = "".join(
        f'<div class="scope"><span>{_name(scope)}</span>{scope_strip(history, scope)}</div>'
        for scope in history.scopes
    )
    rows = "".join(_number_row(d) for d in reversed(history.days))
    body = f"""<p class="small"><a href="{_e(index)}">&larr; all apps</a></p>
<h1>{_name(app)}</h1>
<p>{badge} &nbsp;met on <b>{met_count}</b> of the last {len(history.days)} UTC days
({_e(first.isoformat())} to {_e(last.isoformat())}).</p>
{_subject(subject)}
<h2>Apply days</h2>
<p class="small muted">Apply day D judges D-1 and D, here as at D's last second (23:59:59 UTC); today as of
{_e(_when(history.now))}. The squares after the line are the days ahead, if the warm-up keeps running.</p>
{apply_day_strip(history)}
{_legend(APPLY_KEYS)}
{callout}
{blockers}
{"<p><b>Failing now:</b></p>" + now_fails if now_fails else ""}
<h2>Successes per endpoint and day</h2>
<p class="small muted">2xx per UTC day. Dashed: {history.threshold}, the 2xx each endpoint needs over
an apply day and the day before; a day at or above it carries the endpoint on its own. Today is
still running (paler bar).</p>
<div class="grid">{endpoint_charts}</div>
{_legend([(GREEN, f"{history.threshold}+ 2xx"), (AMBER, f"1 to {history.threshold - 1}"), (GREY, "none")])}
<h2>4xx ratio and 429s per day</h2>
<p class="small muted">The day's 4xx (429 included) as a share of its responses, in %; dashed: the
{history.max_4xx_ratio:.0%} bar, met strictly below (the criterion reads the two days together).
Red circles: 429 responses that day; a single one fails the two apply days that include it.</p>
<div class="chart">{ratio_chart(history)}</div>
<h2>Responses per day</h2>
<div class="chart">{volume_chart(history)}</div>
{_legend([(colour, label) for label, colour in SERIES])}
<h2>Scopes exercised</h2>
<p class="small muted">A filled dot: at least one 2xx under the scope that day.</p>
{scopes + f'<div class="scope"><span></span>{day_axis(history)}</div>' if scopes else '<p class="muted">The plan declares no scope.</p>'}
<h2>The numbers</h2>
<details><summary>Per day, newest first</summary><div class="scroll"><table>
<thead><tr><th class="l">day</th><th>2xx</th><th>responses</th><th>4xx</th><th>429</th><th>4xx %</th>
<th class="l">an application that day</th></tr></thead><tbody>{rows}</tbody></table></div></details>
<p class="small muted">From the ledger alone by rcgrad: no request was sent. Endpoint counts leave out
OAuth calls and requests that got no response, as the criteria do.</p>"""
    return _page(f"rcgrad history: {_e(app)}", body)


def _number_row(d: DayHistory) -> str:
    if d.met:
        verdict = "met" if d.met_at_start else "met by the day's end"
    else:
        verdict = "not met: " + ", ".join(c.name for c in d.verdict.failed)
    label = d.day.isoformat() + ("" if d.complete else " (so far)")
    return (
        f'<tr><td class="l">{_e(label)}</td><td>{d.calls}</td><td>{d.responses}</td><td>{d.errors_4xx}</td>'
        f'<td>{d.errors_429}</td><td>{d.ratio_4xx:.1%}</td><td class="l">{_e(verdict)}</td></tr>'
    )


@dataclass(frozen=True, slots=True)
class FleetEntry:
    app: str
    page: str  # the app page's file name, relative to the index
    history: History


def render_index(entries: Sequence[FleetEntry], *, now: float) -> str:
    """The fleet: an app per row, the ones not met now first (in the order given otherwise)."""
    ordered = sorted(entries, key=lambda e: e.history.current.met)
    met_now = sum(e.history.current.met for e in entries)
    rows = []
    for entry in ordered:
        h = entry.history
        badge = (
            '<span class="badge met">met</span>'
            if h.current.met
            else '<span class="badge notmet">not met</span>'
        )
        failing = ", ".join(c.name for c in h.current.failed) or "-"
        rows.append(
            f'<tr><td class="l"><a href="{_e(entry.page)}">{_name(entry.app)}</a></td>'
            f'<td class="l" data-label="now">{badge}</td>'
            f'<td class="l strip" data-label="last {len(h.days)} days">{mini_strip(h)}'
            f'<span class="small muted">met on {len(h.met_days)} of {len(h.days)} days</span></td>'
            f'<td class="l" data-label="next apply day">{_e(next_apply_day(h))}</td>'
            f'<td class="l small" data-label="failing now">{_e(failing)}</td></tr>'
        )
    body = f"""<h1>rcgrad: the window's history</h1>
<p><b>{met_now}</b> of {len(entries)} apps meet the criteria now. The last 14 UTC days to
{_e(_when(now))}, from the ledger alone; apps not met now come first.</p>
{_legend([(GREEN, "met all day"), (LIGHT_GREEN, "met by the day's end only"), (RED, "not met"), ("#eeeeee", "no traffic")])}
<table class="fleet"><thead><tr><th class="l">app</th><th class="l">now</th><th class="l" style="min-width:170px">last 14 days</th>
<th class="l">next apply day (warm-up running)</th><th class="l">failing now</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>"""
    return _page("rcgrad: the window's history", body)
