"""Terminal views of the verdicts: the `levels` table and the `explain` story."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine import Check, Verdict

if TYPE_CHECKING:
    from .build import Project

ARROWS = {"up": "↑ up", "down": "↓ down", "same": "= same", "new": "new"}


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def levels_table(project: Project) -> str:
    header = ("account", "owner", "level", "move", "TQ", "insights")
    rows = [header]
    for v in project.verdicts:
        tq = f"{v.trust.tq:.1f}" if v.trust.tq is not None else "—"
        rows.append((v.account.slug, v.account.meta.owner, v.level.key, ARROWS[v.movement], tq,
                     ", ".join(i.key for i in v.insights) or "—"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = [f"{project.model.title}, {project.quarter}"]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
    return "\n".join(lines)


def _check_line(check: Check) -> str:
    mark = "✓" if check.holds else "✗"
    values = ", ".join(f"{name} = {fmt(value)}" for name, value in check.values)
    return f"  {mark} {check.text}    ({values})"


def explain_text(v: Verdict) -> str:
    w = v.window
    out = [
        f"{v.account.name} ({v.account.slug}), {v.quarter}: {v.level.key} — {v.level.title}",
        f"model: {v.model.title}; window {w.start} to {w.end} ({v.model.window} quarter(s))",
    ]
    if v.level.wins_work_by:
        out.append(f"wins work by: {v.level.wins_work_by}")
    if v.level.summary:
        out.append(v.level.summary)
    out += ["", f"Why {v.level.key}:"] + [_check_line(c) for c in v.finding.checks]
    if v.finding.evidence:
        out += ["", "Notes behind it:"] + [f"  {s.path}:{s.line} ({s.date or 'account'})" for s in v.finding.evidence]
    for level, checks in v.higher:
        failed = [c for c in checks if not c.holds]
        out += ["", f"Not {level.key}, because:"] + [_check_line(c) for c in failed]
    nxt = v.next_level
    if nxt is not None and nxt.key != v.level.key:
        out += ["", f"What would have to change to reach {nxt.key}:", f"  {v.level.move or nxt.move}"]
        if nxt.behaviour:
            out.append(f"  Act like the level you want: {nxt.behaviour}")
    out += ["", "History: " + ", ".join(f"{h.quarter} {h.level.key}" for h in v.history)]
    t = v.trust
    if t.tq is not None:
        factors = ", ".join(f"{f} {fmt(getattr(t, f))}" for f in
                            ("reliability", "credibility", "intimacy", "character", "self_orientation")
                            if getattr(t, f) is not None)
        out.append(f"Trust: TQ {t.tq:.2f}" + (f", TQ+ {t.tq_plus:.2f}" if t.tq_plus else "") + f" ({factors});"
                   f" work on: {t.weakest}")
    if t.reliability_kept is not None:
        out.append(f"Firm commitments kept on time: {t.reliability_kept:.0%}")
    if v.insights:
        out += ["", "Insights:"]
        for i in v.insights:
            out.append(f"  [{i.severity}] {i.key}: {i.message}")
            if i.move:
                out.append(f"      move: {i.move}")
            out += [f"      {s.path}:{s.line}" for s in i.evidence[:8]]
            if len(i.evidence) > 8:
                out.append(f"      … and {len(i.evidence) - 8} more")
    return "\n".join(out)
