"""The stable JSON form of the verdicts (`allyreport levels --json`, `output/levels.json`).

The schema is documented in docs/output.md; keys here are a contract.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..rules.engine import Check, Verdict
from ..rules.metrics import RATED, Source
from ..rules.people import ClientTrust, Person
from ..rules.ruleset import Level
from ..rules.trust import Trust


def source_json(source: Source) -> dict[str, Any]:
    return {"path": source.path, "line": source.line, "date": source.date.isoformat() if source.date else None}


def r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def trust_json(trust: Trust) -> dict[str, Any]:
    return {
        "reliability": r(trust.reliability),
        "credibility": r(trust.credibility),
        "intimacy": r(trust.intimacy),
        "character": r(trust.character),
        "self_orientation": r(trust.self_orientation),
        "tq": r(trust.tq),
        "tq_plus": r(trust.tq_plus),
        "reliability_kept": r(trust.reliability_kept),
        "weakest": trust.weakest,
        "readings": trust.readings,
    }


def client_json(c: ClientTrust) -> dict[str, Any]:
    return {
        "readings": c.readings,
        "client": {**{f: r(c.client[f]) for f in RATED}, "tq": r(c.client_tq)},
        "ours": {f: r(c.ours[f]) for f in RATED},
        "gaps": {f: r(c.gap_of(f)) for f in RATED},
        "gap": r(c.gap),
        "gap_factor": c.gap_factor,
    }


def account_client_json(v: Verdict) -> dict[str, Any] | None:
    if v.client_trust is None:
        return None
    history = [{"quarter": str(q), **client_json(c)} for q, c in v.client_history]
    return {**client_json(v.client_trust), "history": history}


def day(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def whitespace_json(v: Verdict) -> dict[str, Any] | None:
    ws = v.whitespace
    if ws is None:
        return None
    return {"offerings": list(ws.offerings),
            "people": [{"name": p.name, "held": dict(zip(ws.offerings, counts, strict=True))} for p, counts in ws.rows]}


def person_json(p: Person) -> dict[str, Any]:
    s = p.stakeholder
    return {
        "name": p.name, "listed": p.listed, "role": p.role or None, "influence": p.influence,
        "current": p.current, "joined": day(s.joined if s else None), "left": day(s.left if s else None),
        "successor": s.successor if s else None,
        "level": p.level.key, "target": p.target.key if p.target else None, "below_target": p.below_target,
        "move": p.level.move or None,
        "cadence": p.cadence, "contact": p.contact, "last_contact": day(p.last), "days_since_contact": p.days,
        "met_window": p.met_window, "met_total": p.met_total, "business_share": round(p.business_share, 4),
        "trust": trust_json(p.trust), "client_trust": client_json(p.client),
        "evidence": [source_json(e) for e in p.evidence],
    }


def _value(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def check_json(check: Check) -> dict[str, Any]:
    found = {"condition": check.text, "holds": check.holds, "values": {n: _value(v) for n, v in check.values}}
    return {**found, "reason": check.reason} if check.reason else found


def metrics_json(v: Verdict) -> dict[str, Any]:
    """Every metric of the review window, by name (docs/rules.md lists them)."""
    return {name: _value(value) for name, value in sorted(v.window.values.items())}


def level_json(level: Level | None) -> dict[str, Any] | None:
    if level is None:
        return None
    return {"key": level.key, "title": level.title, "wins_work_by": level.wins_work_by or None,
            "behaviour": level.behaviour or None}


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "slug": v.account.slug,
        "name": v.account.name,
        "owner": v.account.meta.owner,
        "model": v.model.key,
        "quarter": str(v.quarter),
        "as_of": v.as_of.isoformat(),
        "so_far": v.so_far,
        "level": v.level.key,
        "level_title": v.level.title,
        "wins_work_by": v.level.wins_work_by or None,
        "movement": v.movement,
        "previous": v.previous.key if v.previous else None,
        "target": v.target.key if v.target else None,
        "move": v.move or None,
        "next_level": level_json(v.next_level),
        "window": {"start": v.window.start.isoformat(), "end": v.window.end.isoformat(), "quarters": v.model.window},
        "history": [{"quarter": str(h.quarter), "level": h.level.key, "notes": h.notes} for h in v.history],
        "trust": trust_json(v.trust),
        "client_trust": account_client_json(v),
        "people": [person_json(p) for p in v.people],
        "whitespace": whitespace_json(v),
        "referred": v.referred,
        "introduced_by": v.account.meta.introduced_by.model_dump() if v.account.meta.introduced_by else None,
        "metrics": metrics_json(v),
        "explanation": {
            "conditions": [check_json(c) for c in v.finding.checks],
            "evidence": [source_json(s) for s in v.finding.evidence],
            "not_higher": [
                {"level": lv.key, "failed": [check_json(c) for c in checks if not c.holds]} for lv, checks in v.higher
            ],
        },
        "insights": [
            {
                "key": i.key,
                "title": i.title,
                "severity": i.severity,
                "message": i.message,
                "move": i.move or None,
                "evidence": [source_json(s) for s in i.evidence],
                "conditions": [check_json(c) for c in i.checks],
            }
            for i in v.insights
        ],
    }
