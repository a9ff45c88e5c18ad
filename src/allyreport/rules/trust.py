"""The trust quotient of a window (Maister, Green & Galford's trust equation): each factor's
mean over the notes' trust readings, TQ and TQ+, and how often firm promises were kept."""

from __future__ import annotations

from dataclasses import dataclass

from .metrics import FACTORS, Window


@dataclass(frozen=True)
class Trust:
    reliability: float | None
    credibility: float | None
    intimacy: float | None
    character: float | None
    self_orientation: float | None
    tq: float | None
    tq_plus: float | None
    reliability_kept: float | None
    readings: int

    @property
    def weakest(self) -> str | None:
        """The factor to work on: the lowest numerator factor, or self-orientation when it is high."""
        scores = {f: getattr(self, f) for f in ("reliability", "credibility", "intimacy", "character")}
        present = {f: v for f, v in scores.items() if v is not None}
        if not present:
            return None
        if self.self_orientation is not None and self.self_orientation >= 6:
            return "self_orientation"
        return min(present, key=lambda f: (present[f], f))


TRUST_READS = frozenset({*FACTORS, "trust_notes", "tq", "tq_plus", "reliability_kept", "firm_due"})  # by trust_of


def trust_of(window: Window) -> Trust:
    v = window.values
    has = bool(v["trust_notes"])
    means = {f: (float(v[f]) if has and v[f] else None) for f in FACTORS}
    return Trust(
        **means,
        tq=float(v["tq"]) if has and v["tq"] else None,
        tq_plus=float(v["tq_plus"]) if has and v["tq_plus"] else None,
        reliability_kept=float(v["reliability_kept"]) if v["firm_due"] else None,
        readings=int(v["trust_notes"]),
    )
