"""The static HTML site: portfolio, account reviews and relationship plans, opened from disk.

Pages are rendered from the judged Project with the same view data as the PDFs (`pdfdocs`),
so a page and its PDF never disagree. Everything is relative links and inline SVG: no
server, no network, no JavaScript needed to read (a small script adds sorting and filters).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from . import charts
from .diagnostics import Diagnostic
from .engine import Verdict
from .model import Note
from .pdfdocs import cited_notes, met, pdf_environment, plan_actions, recent_history, summarize, template_problem
from .quarters import Quarter
from .templating import find_asset, render_markdown

if TYPE_CHECKING:
    from .build import Options, Project

ASSETS = ("style.css", "portfolio.js")
_HEADING = re.compile(r"<(/?)h([1-6])>")


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    concerns: tuple[str, ...]
    met_window: int
    met_total: int
    last: dt.date | None
    listed: bool


def review_page(slug: str) -> str:
    return f"accounts/{slug}.html"


def plan_page(slug: str) -> str:
    return f"accounts/{slug}-plan.html"


def render_site(project: Project, options: Options, stage: Path) -> list[Diagnostic]:
    env = site_environment(options)
    try:
        pages = {name: env.get_template(f"{name}.html") for name in ("index", "review", "plan")}
        (stage / "assets").mkdir(exist_ok=True)
        for asset in ASSETS:
            shutil.copyfile(find_asset(asset, options.templates), stage / "assets" / asset)
        write(stage / "index.html", pages["index"].render(project=project, summary=summarize(project), root=""))
        (stage / "accounts").mkdir(exist_ok=True)
        for v in project.verdicts:
            context = account_context(project, v)
            write(stage / review_page(v.account.slug), pages["review"].render(**context))
            write(stage / plan_page(v.account.slug), pages["plan"].render(**context))
    except jinja2.TemplateError as exc:
        return [template_problem(exc)]
    return []


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def site_environment(options: Options) -> jinja2.Environment:
    env = pdf_environment(options.templates)
    out = options.out.resolve()
    env.filters["note_markdown"] = note_markdown
    env.globals.update(review_page=review_page, plan_page=plan_page, with_pdf=options.pdf)
    env.filters["source_href"] = lambda path: source_href(path, out / "accounts")
    return env


def source_href(path: str, page_dir: Path) -> str:
    """A relative link from a page to a note file, so it opens from disk next to the output."""
    return Path(os.path.relpath(Path(path).resolve(), page_dir)).as_posix()


def note_markdown(text: str) -> Markup:
    """A note's body, its headings moved below the page's own (h1 becomes h4)."""
    html = str(render_markdown(text))
    return Markup(_HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 3)}>", html))


def account_context(project: Project, v: Verdict) -> dict[str, object]:
    quarters = [h.quarter for h in v.history]
    counts = context_counts(v.account.notes, quarters)
    people_list = people(v)
    quarter_notes = sorted((n for n in v.account.notes if Quarter.of(n.date) == v.quarter),
                           key=lambda n: (n.date, n.path), reverse=True)
    return {
        "project": project, "v": v, "root": "../", "people": people_list,
        "actions": plan_actions(v), "met": met(v), "cited": cited_notes(v),
        "quarter_notes": quarter_notes, "history_pairs": recent_history(v),
        "context_chart": charts.context_mix(quarters[-8:], counts[-8:]),
        "trust_chart": charts.trust_lines(v.trust_history[-8:]),
        "stale": stale_profile(people_list),
    }


def context_counts(notes: tuple[Note, ...], quarters: list[Quarter]) -> list[dict[str, int]]:
    per: dict[Quarter, Counter[str]] = {q: Counter() for q in quarters}
    for n in notes:
        q = Quarter.of(n.date)
        if q in per:
            per[q][n.meta.context] += 1
    return [dict(per[q]) for q in quarters]


def people(v: Verdict) -> tuple[Person, ...]:
    """Everyone listed in account.md, and anyone met who is not listed, with how often we met."""
    window: Counter[str] = Counter()
    total: Counter[str] = Counter()
    last: dict[str, dt.date] = {}
    for n in v.account.notes:
        for name in n.meta.with_:
            total[name] += 1
            last[name] = n.date
            if v.window.start <= n.date <= v.window.end:
                window[name] += 1
    listed = [Person(s.name, s.role or "", s.concerns, window[s.name], total[s.name], last.get(s.name), True)
              for s in v.account.meta.stakeholders]
    known = {s.name for s in v.account.meta.stakeholders}
    extra = [Person(name, "", (), window[name], total[name], last.get(name), False)
             for name in sorted(total) if name not in known]
    return tuple(listed + extra)


def stale_profile(people_list: tuple[Person, ...]) -> str:
    """Why account.md looks out of date, or "" when it does not."""
    unlisted = [p.name for p in people_list if not p.listed and p.met_window]
    if unlisted:
        return f"met in the window but not listed as stakeholders: {', '.join(unlisted)}"
    if people_list and not any(p.met_window for p in people_list if p.listed):
        return "none of the listed stakeholders was met in the window"
    return ""
