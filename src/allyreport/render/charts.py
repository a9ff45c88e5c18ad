"""Inline SVG charts, computed at build time: no JavaScript, no CDN, the same SVG in HTML and PDF.

Pure functions, data in and `Markup` out. Every chart reads in greyscale print: series differ
by pattern, dash or marker shape as well as by tone, and carry text labels next to the data.
Each has a `<title>` and an `aria-label` that states the data, so a screen reader gets the
numbers, not "chart". Output is deterministic: fixed ids (prefixed, so two charts can share a
page), coordinates rounded to one decimal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from ..core.quarters import Quarter
from ..rules.engine import QuarterLevel
from ..rules.metrics import FACTORS
from ..rules.ruleset import Level
from ..rules.trust import Trust

INK, MUTED, GRID = "#1b1f24", "#515a66", "#d5d9df"
FONT = 'font-family="Open Sans, Segoe UI, Helvetica, Arial, sans-serif"'
WIDTH = 640
LINE = (34, 150, 10, 170)  # line charts: left and right margins (labels go right), top margin, plot height

# Stacked bottom to top: the business contexts from the deepest, then social (not business).
CONTEXTS = ("strategy", "problem", "service", "social")
CONTEXT_FILL = {"strategy": "#1f3a5f", "problem": "hatch", "service": "#a9c1dc", "social": "dots"}

FACTOR_STYLE = {  # tone and dash: tell the lines apart in greyscale
    "reliability": ("#1f3a5f", ""),
    "credibility": ("#3d6a9e", "7 3"),
    "intimacy": ("#6b4c8a", "2 3"),
    "character": ("#2f6b4f", "10 3 2 3"),
    "self_orientation": ("#a23b24", "4 2"),
}


def n(value: float) -> str:
    """A coordinate, rounded to one decimal, without a trailing `.0`: stable bytes across builds."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


def _label(name: str) -> str:
    return name.replace("_", "-")


def _svg(height: float, title: str, description: str, css: str, body: list[str]) -> Markup:
    head = (f'<svg class="chart {css}" viewBox="0 0 {WIDTH} {n(height)}" width="100%" role="img" '
            f'aria-label="{escape(description)}" {FONT}><title>{escape(title)}</title>')
    return Markup(head + "".join(body) + "</svg>")


def _text(at: tuple[float, float], text: str, anchor: str = "middle", size: float = 11, fill: str = MUTED,
          extra: str = "") -> str:
    x, y = at
    return (f'<text x="{n(x)}" y="{n(y)}" text-anchor="{anchor}" font-size="{n(size)}" fill="{fill}"{extra}>'
            f"{escape(text)}</text>")


def _hline(x1: float, x2: float, y: float, colour: str = GRID, width: float = 1) -> str:
    return f'<line x1="{n(x1)}" y1="{n(y)}" x2="{n(x2)}" y2="{n(y)}" stroke="{colour}" stroke-width="{n(width)}"/>'


# -- level timeline ------------------------------------------------------------------------


def level_timeline(history: Sequence[QuarterLevel], levels: Sequence[Level]) -> Markup:
    """The level held each quarter as a step line: one row per level (highest on top), one column
    per quarter. Position carries the meaning; the review quarter's marker is filled and larger."""
    left, right, top, row, bottom = 140, 16, 8, 26, 26
    height = top + row * len(levels) + bottom
    slot = (WIDTH - left - right) / max(len(history), 1)
    body: list[str] = []
    for lv in levels:
        y = top + row * lv.rank + row / 2
        body.append(_hline(left - 6, WIDTH - right, y))
        body.append(_text((left - 12, y + 4), lv.title, "end", fill=INK if lv.rated else MUTED))
    points = [(left + slot * (i + 0.5), top + row * h.level.rank + row / 2) for i, h in enumerate(history)]
    steps = []
    for i, (x, y) in enumerate(points):
        steps.append(f"{'M' if i == 0 else 'L'}{n(x - slot / 2)},{n(y)} L{n(x + slot / 2)},{n(y)}")
    if steps:
        body.append(f'<path d="{" ".join(steps)}" fill="none" stroke="#1d4e89" stroke-width="2.5"/>')
    for i, ((x, y), h) in enumerate(zip(points, history, strict=True)):
        last = i == len(points) - 1
        body.append(f'<circle cx="{n(x)}" cy="{n(y)}" r="{5.5 if last else 3.5}" fill="{"#1d4e89" if last else "#fff"}" '
                     f'stroke="#1d4e89" stroke-width="2"><title>{h.quarter}: {escape(h.level.title)}</title></circle>')
        body.append(_text((x, height - 8), str(h.quarter), size=10.5, fill=INK if last else MUTED,
                          extra=' font-weight="700"' if last else ""))
    said = ", ".join(f"{h.quarter} {h.level.title}" for h in history)
    return _svg(height, "Level by quarter", f"Level by quarter: {said}.", "level-timeline", body)


# -- context mix ---------------------------------------------------------------------------


def _defs(prefix: str) -> str:
    return (f'<defs><pattern id="{prefix}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#5b85b5"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2.2"/></pattern>'
            f'<pattern id="{prefix}-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
            '<rect width="5" height="5" fill="#eef0f3"/><circle cx="2.5" cy="2.5" r="1.1" fill="#4a525c"/></pattern></defs>')


def _fill(context: str, prefix: str) -> str:
    fill = CONTEXT_FILL[context]
    return fill if fill.startswith("#") else f"url(#{prefix}-{fill})"


def _ticks(peak: int) -> list[int]:
    """Whole-number gridlines from 0 to at least `peak`, at most five of them."""
    step = max(1, -(-peak // 4))
    return list(range(0, step * -(-peak // step) + 1, step))


def context_mix(quarters: Sequence[Quarter], counts: Sequence[dict[str, int]], prefix: str = "ctx") -> Markup:
    """Stacked bars: the conversations of each context, per quarter, with each bar's total on top."""
    left, right, top, plot, bottom = 34, 12, 18, 170, 52
    peak = max([sum(c.values()) for c in counts] + [1])
    ticks = _ticks(peak)
    scale = plot / ticks[-1] if ticks[-1] else plot
    slot = (WIDTH - left - right) / max(len(quarters), 1)
    bar = min(44.0, slot * 0.62)
    base = top + plot
    body = [_defs(prefix)]
    for tick in ticks:
        body.append(_hline(left, WIDTH - right, base - tick * scale))
        body.append(_text((left - 6, base - tick * scale + 4), str(tick), "end"))
    for i, (q, c) in enumerate(zip(quarters, counts, strict=True)):
        x, y = left + i * slot + (slot - bar) / 2, float(base)
        for context in CONTEXTS:
            if c.get(context):
                h = c[context] * scale
                y -= h
                body.append(f'<rect x="{n(x)}" y="{n(y)}" width="{n(bar)}" height="{n(h)}" fill="{_fill(context, prefix)}" '
                            f'stroke="{INK}" stroke-width="0.6"><title>{q}: {c[context]} {context}</title></rect>')
        body.append(_text((x + bar / 2, y - 4), str(sum(c.values())), size=10.5, fill=INK))
        body.append(_text((x + bar / 2, base + 16), str(q), size=10.5))
    x = left
    for context in CONTEXTS:
        body.append(f'<rect x="{n(x)}" y="{n(base + 30)}" width="14" height="14" fill="{_fill(context, prefix)}" '
                    f'stroke="{INK}" stroke-width="0.6"/>')
        body.append(_text((x + 20, base + 41), context, "start", fill=INK))
        x += 100
    said = "; ".join(f"{q}: " + (", ".join(f"{c[k]} {k}" for k in CONTEXTS if c.get(k)) or "no notes")
                     for q, c in zip(quarters, counts, strict=True))
    return _svg(base + bottom, "Conversations by context per quarter",
                f"Conversations by context per quarter. {said}.", "context-mix", body)


# -- trust ---------------------------------------------------------------------------------


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Unbroken runs of values: a quarter without a reading leaves a gap, not a line to zero."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((i, value))
    return [r for r in runs if r]


def _spread(labels: list[tuple[float, str]], gap: float, low: float, high: float) -> list[tuple[float, str]]:
    """End-of-line labels pushed apart so they never overlap (order by value kept)."""
    placed: list[tuple[float, str]] = []
    for y, text in sorted(labels):
        y = max(y, placed[-1][0] + gap) if placed else y
        placed.append((y, text))
    overflow = placed[-1][0] - high if placed else 0
    if overflow > 0:  # shift the stack up, but never above the top
        placed = [(max(low, y - overflow), t) for y, t in placed]
    return placed


def _line_chart(points: Sequence[tuple[Quarter, Trust]], series: Sequence[tuple[str, str, str, str]],
                top_value: float, ticks: Sequence[float]) -> tuple[list[str], float]:
    """Lines over quarters; `series` is (attribute, label, colour, dash). Returns the body and height."""
    left, right, top, plot = LINE
    base = top + plot
    slot = (WIDTH - left - right) / max(len(points), 1)
    body: list[str] = []
    for tick in ticks:
        body.append(_hline(left, WIDTH - right, base - tick / top_value * plot))
        body.append(_text((left - 6, base - tick / top_value * plot + 4), f"{tick:g}", "end"))
    for i, (q, _) in enumerate(points):
        body.append(_text((left + slot * (i + 0.5), base + 16), str(q), size=10.5))
    ends: list[tuple[float, str]] = []
    for attribute, label, colour, dash in series:
        values = [getattr(t, attribute) for _, t in points]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        for run in _runs(values):
            xy = " ".join(f"{n(left + slot * (i + 0.5))},{n(base - v / top_value * plot)}" for i, v in run)
            body.append(f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="2.2"{dashes}>'
                        f"<title>{escape(label)}</title></polyline>")
        if values and values[-1] is not None:
            y = base - values[-1] / top_value * plot
            body.append(f'<circle cx="{n(left + slot * (len(points) - 0.5))}" cy="{n(y)}" r="3" fill="{colour}"/>')
            ends.append((y, f"{label} {values[-1]:.1f}"))
    for y, text in _spread(ends, 13, top, base):
        body.append(_text((WIDTH - right + 8, y + 4), text, "start", fill=INK))
    return body, base + 26


def trust_lines(points: Sequence[tuple[Quarter, Trust]]) -> Markup:
    """Each trust factor's mean (1 to 10) per quarter, labelled at its end; dashes tell them apart."""
    series = [(f, _label(f), *FACTOR_STYLE[f]) for f in FACTORS]
    body, height = _line_chart(points, series, 10, (0, 2, 4, 6, 8, 10))
    last = points[-1][1] if points else None
    said = ", ".join(f"{_label(f)} {getattr(last, f):.1f}" for f in FACTORS
                     if last is not None and getattr(last, f) is not None) or "no readings"
    quarters = f"{points[0][0]} to {points[-1][0]}" if points else "no quarters"
    return _svg(height, "Trust factors per quarter", f"Trust factors per quarter, 1 to 10, {quarters}. Latest: {said}.",
                "trust-lines", body)


def tq_line(points: Sequence[tuple[Quarter, Trust]]) -> Markup:
    """The trust quotient (and TQ+ with character) per quarter, each point labelled with its value."""
    values = [v for _, t in points for v in (t.tq, t.tq_plus) if v is not None]
    ticks = _ticks(math.ceil(max([*values, 1.0])))
    series = [("tq", "TQ", "#1f3a5f", ""), ("tq_plus", "TQ+", "#6b4c8a", "6 3")]
    body, height = _line_chart(points, series, ticks[-1], ticks)
    left, right, top, plot = LINE
    base = top + plot
    slot = (WIDTH - left - right) / max(len(points), 1)
    for i, (_, t) in enumerate(points):
        if t.tq is not None:
            body.append(_text((left + slot * (i + 0.5), base - t.tq / ticks[-1] * plot - 8), f"{t.tq:.1f}",
                              size=10, fill=INK))
    said = ", ".join(f"{q} {t.tq:.1f}" if t.tq is not None else f"{q} no reading" for q, t in points)
    return _svg(height, "Trust quotient per quarter", f"Trust quotient (R + C + I) / S per quarter: {said}.",
                "tq-line", body)
