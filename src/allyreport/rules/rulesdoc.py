"""docs/rules.md's tables of levels and insights, generated from the rules themselves.

Each level and insight of the shipped rules says where its idea comes from (`source`) and what
it stands for (`idea`); the page shows them beside the conditions, so the documentation of a
threshold is the threshold. `make golden` rewrites the tables; a test keeps them identical.
"""

from __future__ import annotations

from collections.abc import Iterable

from .ruleset import Condition, InsightRule, LevelModel, RuleSet


def _conditions(conditions: Iterable[Condition]) -> str:
    texts = [c.text for c in conditions if c.text not in ("True", "False")]
    return ", ".join(f"`{' '.join(t.split()).replace('|', '&#124;')}`" for t in texts) or "always"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "&#124;") or "—"


def model_table(model: LevelModel) -> str:
    rows = [f"**{model.key}**: {model.title} ({model.window}-quarter window"
            + (f", looking back {model.lookback} quarters" if model.lookback != 4 else "") + ")", "",
            "| level | conditions (all must hold) | source | idea |", "|---|---|---|---|"]
    for lv in model.levels:
        when = _conditions(lv.conditions) if lv.rated or lv.conditions else "always"
        rows.append(f"| `{lv.key}` | {when if lv.rated else 'none of the above holds'} | {_cell(lv.source)} "
                    f"| {_cell(lv.idea)} |")
    if model.referral is not None:
        rows += ["", f"A referred account starts at `{model.referral.level.key}` while "
                     f"{_conditions(model.referral.conditions)} (see [a referral](#a-referral-lets-you-start-high))."]
    return "\n".join(rows) + "\n"


def _cases(rule: InsightRule) -> str:
    parts = []
    for case in rule.cases:
        said = [f"severity {case.severity}" if case.severity else "", "its own message" if case.message else "",
                "its own move" if case.move else "", "steers the plan" if case.steer else ""]
        parts.append(f"when {_conditions(case.conditions)}: " + ", ".join(s for s in said if s))
    return ("; " + "; ".join(parts)) if parts else ""


def insight_table(rules: Iterable[InsightRule]) -> str:
    rows = ["| key | severity | raised when (all hold) | source | idea |", "|---|---|---|---|---|"]
    for rule in rules:
        rows.append(f"| `{rule.key}` | {rule.severity}{_cases(rule)} | {_conditions(rule.conditions)} "
                    f"| {_cell(rule.source)} | {_cell(rule.idea)} |")
    return "\n".join(rows) + "\n"


def markdown(ruleset: RuleSet) -> str:
    """Every model's levels, then the insights every model shares, then each model's own."""
    parts = [model_table(m) for m in ruleset.models.values()]
    parts.append("**Insights of every model**\n\n" + insight_table(ruleset.insights))
    parts += [f"**Insights of the {m.key} model only** (a shared insight of the same key is replaced)\n\n"
              + insight_table(m.insights) for m in ruleset.models.values() if m.insights]
    return "\n".join(parts)
