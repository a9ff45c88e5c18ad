"""Inline SVG charts, computed at build time: no JavaScript, no CDN, the same SVG in HTML and PDF.

Each chart is readable in greyscale print: series differ by pattern or dash as well as by
tone, and carry text labels. Output is deterministic (fixed ids, rounded coordinates).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from .engine import Trust
from .quarters import Quarter

CONTEXT_STYLE = {  # fill, pattern id: distinguishable without colour
    "strategy": ("#1f3a5f", ""),
    "problem": ("#4f7cac", "hatch"),
    "service": ("#a9c1dc", ""),
    "social": ("#e6e6e6", "dots"),
}
FACTOR_STYLE = {
    "reliability": ("#1f3a5f", ""),
    "credibility": ("#4f7cac", "6 3"),
    "intimacy": ("#7a5c99", "2 3"),
    "self_orientation": ("#b5462f", "10 3 2 3"),
}
_DEFS = (
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#4f7cac"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>'
    '<pattern id="dots" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#e6e6e6"/>'
    '<circle cx="2.5" cy="2.5" r="1" fill="#555"/></pattern></defs>'
)


def _fill(context: str) -> str:
    colour, pattern = CONTEXT_STYLE[context]
    return f"url(#{pattern})" if pattern else colour


def context_mix(quarters: Sequence[Quarter], counts: Sequence[dict[str, int]]) -> Markup:
    """Stacked bars: how many conversations of each context, per quarter."""
    width, height, left, bottom, top = 560, 200, 30, 30, 10
    peak = max([sum(c.values()) for c in counts] + [1])
    slot = (width - left) / max(len(quarters), 1)
    bar = min(36.0, slot * 0.6)
    scale = (height - bottom - top) / peak
    label = "; ".join(f"{q}: " + ", ".join(f"{c[k]} {k}" for k in CONTEXT_STYLE if c.get(k)) for q, c in zip(quarters, counts, strict=True))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + 24}" role="img" aria-label="Conversations by context per quarter. {escape(label)}">',
             f"<title>Conversations by context per quarter</title>{_DEFS}"]
    for tick in range(0, peak + 1, max(1, peak // 4)):
        y = round(height - bottom - tick * scale, 1)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{width}" y2="{y}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="11">{tick}</text>')
    for i, (q, c) in enumerate(zip(quarters, counts, strict=True)):
        x = round(left + i * slot + (slot - bar) / 2, 1)
        y = height - bottom
        for context in ("social", "service", "problem", "strategy"):
            n = c.get(context, 0)
            if n:
                h = round(n * scale, 1)
                y = round(y - h, 1)
                parts.append(f'<rect x="{x}" y="{y}" width="{round(bar, 1)}" height="{h}" fill="{_fill(context)}" '
                             f'stroke="#333" stroke-width="0.5"><title>{q}: {n} {context}</title></rect>')
        parts.append(f'<text x="{round(x + bar / 2, 1)}" y="{height - bottom + 16}" text-anchor="middle" font-size="11">{q}</text>')
    legend_x = left
    for context in ("strategy", "problem", "service", "social"):
        parts.append(f'<rect x="{legend_x}" y="{height + 8}" width="12" height="12" fill="{_fill(context)}" stroke="#333" stroke-width="0.5"/>'
                     f'<text x="{legend_x + 16}" y="{height + 18}" font-size="11">{context}</text>')
        legend_x += 90
    parts.append("</svg>")
    return Markup("".join(parts))


def trust_lines(points: Sequence[tuple[Quarter, Trust]]) -> Markup:
    """Each trust factor's quarterly mean (1-10) as a line; dashes tell them apart in greyscale."""
    width, height, left, bottom, top = 560, 200, 30, 30, 10
    slot = (width - left - 60) / max(len(points) - 1, 1)
    scale = (height - bottom - top) / 10

    def xy(i: int, value: float) -> str:
        return f"{round(left + 24 + i * slot, 1)},{round(height - bottom - value * scale, 1)}"

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + 24}" role="img" '
             f'aria-label="Trust factors per quarter, 1 to 10">', "<title>Trust factors per quarter</title>"]
    for tick in (0, 2, 4, 6, 8, 10):
        y = round(height - bottom - tick * scale, 1)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{width}" y2="{y}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="11">{tick}</text>')
    for i, (q, _) in enumerate(points):
        parts.append(f'<text x="{round(left + 24 + i * slot, 1)}" y="{height - bottom + 16}" text-anchor="middle" font-size="11">{q}</text>')
    legend_x = left
    for factor, (colour, dash) in FACTOR_STYLE.items():
        series = [(i, getattr(t, factor)) for i, (_, t) in enumerate(points) if getattr(t, factor) is not None]
        if series:
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dashes} '
                         f'points="{" ".join(xy(i, v) for i, v in series)}"><title>{factor.replace("_", "-")}</title></polyline>')
        parts.append(f'<line x1="{legend_x}" y1="{height + 14}" x2="{legend_x + 22}" y2="{height + 14}" stroke="{colour}" stroke-width="2"'
                     f'{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>'
                     f'<text x="{legend_x + 26}" y="{height + 18}" font-size="11">{factor.replace("_", "-")}</text>')
        legend_x += 130
    parts.append("</svg>")
    return Markup("".join(parts))
