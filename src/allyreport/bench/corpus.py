"""A seeded, deterministic corpus of notes in the real format, for benchmarks and smoke tests.

`python -m allyreport.bench.corpus OUT --accounts 2000 --notes 40` writes N accounts with M
interaction notes each: realistic bodies, trust scores, actions and stakeholders.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

FIRST = ["Dana", "Tom", "Priya", "Lars", "Mei", "Omar", "Ines", "Kofi", "Sara", "Jonas", "Ana", "Raj", "Eva", "Luca"]
LAST = ["Reyes", "Okafor", "Raman", "Berg", "Chen", "Haddad", "Costa", "Mensah", "Novak", "Weber", "Silva", "Iyer"]
ROLES = ["CEO", "CFO", "COO", "CIO", "Head of Procurement", "VP Operations", "Chief Risk Officer", "Head of Strategy"]
INDUSTRIES = ["banking", "insurance", "logistics", "food manufacturing", "pharma", "retail", "energy", "telecoms"]
NOUNS = ["warehouse network", "pricing model", "claims backlog", "cloud migration", "supplier base", "board agenda",
         "cost programme", "customer churn", "data platform", "acquisition", "regulatory review", "product launch"]
VERBS = ["walked us through", "raised", "asked about", "worried aloud about", "wanted our view on", "revisited"]
SIGNALS = ["reference-given", "referral-made", "coaching", "advocacy", "planning-invite", "early-warning",
           "strategy-input", "personal-confidence", "feedback-asked", "feedback-given", "competitive-bid"]
CONTEXTS = ["service", "problem", "strategy", "social"]


def sentence(rng: random.Random, people: list[str]) -> str:
    return (f"{rng.choice(people).split()[0]} {rng.choice(VERBS)} the {rng.choice(NOUNS)} and "
            f"how it affects the {rng.choice(NOUNS)} over the next {rng.randint(2, 8)} quarters.")


def body(rng: random.Random, people: list[str]) -> str:
    paragraphs = [" ".join(sentence(rng, people) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(1, 3))]
    bullets = "\n".join(f"- Follow up on the {rng.choice(NOUNS)}" for _ in range(rng.randint(0, 3)))
    return "\n\n".join(paragraphs) + ("\n\n" + bullets if bullets else "") + "\n"


def account_text(rng: random.Random, index: int, people: list[str]) -> str:
    lines = ["---", f"account: Client {index:05d} Holdings", f"owner: {rng.choice(FIRST)} {rng.choice(LAST)}",
             f"industry: {rng.choice(INDUSTRIES)}", f"since: {2010 + rng.randint(0, 14)}-0{rng.randint(1, 9)}-15",
             f"relevance: {rng.choice(['rising', 'steady', 'steady', 'declining'])}", "stakeholders:"]
    for name in people:
        lines += [f"  - name: {name}", f"    role: {rng.choice(ROLES)}", f"    concerns: [{rng.choice(NOUNS)}]"]
    lines += ["offerings: [advisory, managed service]", "plan:",
              f"  - do: Host a workshop on the {rng.choice(NOUNS)}", "    kind: invest",
              "    tests: [own-time, learn, illustrate]",
              f"  - do: Propose an extension of the {rng.choice(NOUNS)} work", "    kind: sell", "---"]
    return "\n".join(lines) + "\n" + body(rng, people)


def note_text(rng: random.Random, day: dt.date, people: list[str]) -> str:
    met = rng.sample(people, k=rng.randint(1, min(3, len(people))))
    t = [rng.randint(3, 9) for _ in range(4)] + [rng.randint(2, 7)]
    lines = ["---", f"date: {day.isoformat()}", f"with: [{', '.join(met)}]",
             f"context: {rng.choices(CONTEXTS, weights=[4, 4, 3, 1])[0]}",
             f"opened_by: {rng.choice(['client', 'us'])}", f"price: {'true' if rng.random() < 0.15 else 'false'}",
             f"signals: [{', '.join(rng.sample(SIGNALS, k=rng.choice([0, 0, 1, 2])))}]",
             f"trust: {{reliability: {t[0]}, credibility: {t[1]}, intimacy: {t[2]}, character: {t[3]}, "
             f"self_orientation: {t[4]}}}"]
    if rng.random() < 0.5:
        by = day + dt.timedelta(days=rng.randint(5, 30))
        done = by + dt.timedelta(days=rng.randint(-5, 3))
        lines += ["actions:", f"  - do: Send the {rng.choice(NOUNS)} summary", f"    by: {by.isoformat()}"]
        if rng.random() < 0.8 and done <= dt.date(2026, 9, 30):
            lines.append(f"    done: {max(done, day).isoformat()}")
    lines.append("---")
    return "\n".join(lines) + "\n" + body(rng, people)


def generate(out: Path, accounts: int, notes: int, seed: int = 7) -> None:
    """Write the corpus; the same arguments always give the same bytes."""
    start = dt.date(2024, 10, 1)
    span_days = (dt.date(2026, 9, 30) - start).days
    for index in range(accounts):
        rng = random.Random(seed * 1_000_003 + index)
        folder = out / f"client-{index:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        people = sorted({f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(2, 5))})
        (folder / "account.md").write_text(account_text(rng, index, people), "utf-8")
        days = sorted(start + dt.timedelta(days=rng.randint(0, span_days)) for _ in range(notes))
        for n, day in enumerate(days):
            (folder / f"{day.isoformat()}-n{n:03d}.md").write_text(note_text(rng, day, people), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.accounts, args.notes, args.seed)


if __name__ == "__main__":
    main()
