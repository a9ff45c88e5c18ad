"""Terminal views of the verdicts: the `levels` table and the `explain` story.

`explain` answers the four questions a partner asks about a level: why this one, which notes
say so, why not the one above, and what would have to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..rules.engine import Check, Insight, Verdict, not_yet_due
from ..rules.trust import Trust

if TYPE_CHECKING:
    from ..rules.judge import Project

ARROWS = {"up": "↑ up", "down": "↓ down", "same": "= same", "new": "new"}
MAX_SOURCES = 8


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
    return f"  {mark} {check.text}" + (f"    ({values})" if values else "") + (f": {check.reason}" if check.reason else "")


def explain_text(v: Verdict) -> str:
    sections = [_header(v), _why(v), *_not_higher(v), _to_change(v), _history(v), _trust(v.trust), _pending(v),
                _facts(v),
                _insights(v.insights)]
    return "\n\n".join(s for s in sections if s)


def _facts(v: Verdict) -> str:
    """The measures of the relationship as a whole that the rules read beside the conversations."""
    m = v.window.values
    out = [f"Relationship: {m['tenure_quarters']} quarter(s) a client, {m['account_quarters']} since the first "
           f"business conversation; price decided {m['price_count']} of {m['business']} business conversations",
           f"Profile reviewed: {m['reviewed_on']}" + (f" ({m['profile_age_days']} days before the window's end)"
                                                      if m['profile_reviewed'] else "")
           + f"; feedback asked: {_feedback(m, 'asked')}, given: {_feedback(m, 'given')}"]
    if m["social_signals"]:
        out.append(f"Personal rapport: {m['social_signals']} signal(s) on social notes (no level counts them)")
    if m.get("signal_referred_elsewhere"):
        out.append(f"Ally behaviour: sent the client to another firm {m['signal_referred_elsewhere']} time(s)")
    return "\n".join(out)


def _feedback(m: dict[str, Any], which: str) -> str:
    """When we last asked (or gave) candid feedback, or that no note records it: never a count
    of days that reads as if it had happened."""
    on, days = m[f"feedback_{which}_on"], m[f"days_since_feedback_{which}"]
    if on == "never":
        return f"never recorded ({days} days since the first note)" if days else "never recorded"
    return f"{on} ({days} days before the window's end)"


def _header(v: Verdict) -> str:
    w = v.window
    out = [f"{v.account.name} ({v.account.slug}), {v.quarter}: {v.level.key} — {v.level.title}",
           f"model: {v.model.title}; window {w.start} to {w.end} ({v.model.window} quarter(s))",
           f"as of {v.as_of}" + (f": {v.quarter} so far, the quarter is not over" if v.so_far else "")]
    if v.level.wins_work_by:
        out.append(f"wins work by: {v.level.wins_work_by}")
    if v.level.summary:
        out.append(v.level.summary)
    return "\n".join(out)


def _why(v: Verdict) -> str:
    named = [c for c in v.finding.checks if c.values]  # `when: true` explains nothing by itself
    out = [f"Why {v.level.key}:"]
    if v.referred:
        who = v.account.meta.introduced_by
        by = f" by {who.name}" + (f" ({who.role})" if who.role else "") if who else ""
        out.append(f"  started high through a referral{by}: rated from the first business conversation; "
                   "from the next window on, the normal rules apply")
    out += [_check_line(c) for c in named]
    if not named:
        out.append("  none of the levels above it applies (see below)")
    if v.finding.evidence:
        out += ["Notes behind it:"] + [f"  {s.path}:{s.line} ({s.date or 'account'})" for s in v.finding.evidence]
    return "\n".join(out)


def _not_higher(v: Verdict) -> list[str]:
    """For each level above, nearest first, the conditions it needed and did not get."""
    return ["\n".join([f"Not {level.key}, because:"] + [_check_line(c) for c in checks if not c.holds])
            for level, checks in reversed(v.higher)]


def _to_change(v: Verdict) -> str:
    nxt, steer = v.next_level, v.steer
    if steer is not None:
        return f"Not the same curve again ({steer.key}): {steer.move}"
    if nxt is None or nxt.key == v.level.key:
        return f"Top of the {v.model.title}." + (f" To stay here: {v.move}" if v.move else "")
    out = [f"What would have to change to reach {nxt.key}: every ✗ under 'Not {nxt.key}' would have to hold."]
    if v.move or nxt.move:
        out.append(f"  Move: {v.move or nxt.move}")
    if nxt.behaviour:
        out.append(f"  Act like the level you wish to become ({nxt.title}): {nxt.behaviour}")
    return "\n".join(out)


def _history(v: Verdict) -> str:
    steps = " → ".join(f"{h.quarter} {h.level.key}" for h in v.history)
    since = f" from {v.previous.key}" if v.previous and v.movement != "same" else ""
    return f"History: {steps}\nMovement: {v.movement}{since}"


def _trust(t: Trust) -> str:
    out = []
    if t.tq is not None:
        factors = ", ".join(f"{f} {fmt(getattr(t, f))}" for f in
                            ("reliability", "credibility", "intimacy", "character", "self_orientation")
                            if getattr(t, f) is not None)
        out.append(f"Trust: TQ {t.tq:.2f}" + (f", TQ+ {t.tq_plus:.2f}" if t.tq_plus else "") +
                   f" ({factors}; {t.readings} reading(s)); work on: {t.weakest}")
    if t.reliability_kept is not None:
        out.append(f"Firm commitments kept on time: {t.reliability_kept:.0%}")
    return "\n".join(out)


def _pending(v: Verdict) -> str:
    """The firm commitments not held against us yet: due after the as-of date, later in the quarter."""
    found = not_yet_due(v)
    return "\n".join(["Open, not yet due:"] + [f"  due {a.by}: {a.do}    {s.path}:{s.line}" for s, a in found]) \
        if found else ""


def _insights(insights: tuple[Insight, ...]) -> str:
    if not insights:
        return ""
    out = ["Insights:"]
    for i in insights:
        out.append(f"  [{i.severity}] {i.key}: {i.message}")
        if i.move:
            out.append(f"      move: {i.move}")
        out += [f"      {s.path}:{s.line}" for s in i.evidence[:MAX_SOURCES]]
        if len(i.evidence) > MAX_SOURCES:
            out.append(f"      … and {len(i.evidence) - MAX_SOURCES} more")
    return "\n".join(out)
