"""The static HTML site: portfolio, account reviews and relationship plans, opened from disk.

Pages are rendered from the judged Project with the same view data as the PDFs (`pdfdocs`),
so a page and its PDF never disagree. Everything is relative links and inline SVG: no
server, no network, no JavaScript needed to read (a small script adds sorting and filters).
Templates are compiled once per build; a page is one `render` call and one file write.

Pages live at stable paths: `index.html`, `accounts/<slug>.html` (review) and
`plans/<slug>.html` (plan). Plans get their own folder because a slug may itself end in
`-plan`: `accounts/acme-plan.html` could be two pages.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from ..config.options import Options, cache_folder
from ..core.diagnostics import Diagnostic
from ..core.quarters import Quarter
from ..notes.data import Note, Picture
from ..notes.schema import BUSINESS_CONTEXTS, CONTEXTS
from ..rules.engine import Check, Verdict, not_yet_due
from ..rules.people import Person
from . import charts
from .documents import Capped, met, pdf_environment, plan_actions, plan_page, review_page, summarize, template_problem
from .standalone import standalone
from .templating import find_asset, render_markdown

if TYPE_CHECKING:
    from ..rules.judge import Project

ASSETS = ("style.css", "portfolio.js")
EXTRA_CSS = "extra.css"  # the settings' extra_css, as the site's pages link it
HISTORY = 8  # quarters shown in the charts
_HEADING = re.compile(r"<(/?)h([1-6])>")
MOVEMENTS = ("up", "down", "same", "new")


@dataclass(frozen=True)
class Staleness:
    """Why account.md looks out of date; all empty when it does not (see `staleness`)."""

    unlisted: tuple[str, ...]  # met in the window, not among the stakeholders
    none_met: bool  # stakeholders are listed, and none of them was met in the window
    none_listed: bool  # no stakeholders listed at all

    @property
    def stale(self) -> bool:
        return bool(self.unlisted) or self.none_met or self.none_listed


@dataclass(frozen=True)
class Mix:
    """One context of conversation in the review window: how many notes, what share."""

    context: str
    count: int
    share: float  # of business notes; social of all notes



# -- rendering -----------------------------------------------------------------------------


def start(env: jinja2.Environment, stage: Path) -> dict[str, jinja2.Template]:
    """Compile the account pages' templates and make their folders: before the workers fork."""
    _real_folder.cache_clear()  # folders may have moved since the last build in this process
    href_from.cache_clear()
    (stage / "accounts").mkdir(exist_ok=True)
    (stage / "plans").mkdir(exist_ok=True)
    return {name: env.get_template(f"{name}.html") for name in ("review", "plan", "_row")}


def render_portfolio(project: Project, env: jinja2.Environment, options: Options, stage: Path,
                     rows: dict[str, str]) -> list[Diagnostic]:
    """The portfolio page and the assets; the accounts' pages and table rows were written by their
    workers (`units`)."""
    try:
        (stage / "assets").mkdir(exist_ok=True)
        for asset in ASSETS:
            shutil.copyfile(find_asset(asset, options.templates), stage / "assets" / asset)
        if project.settings.extra_css is not None:  # linked from base.html after style.css
            shutil.copyfile(project.settings.extra_css, stage / "assets" / EXTRA_CSS)
        context = portfolio_context(project) | {"rows": {slug: Markup(row) for slug, row in rows.items()}}
        page = env.get_template("index.html").render(context)
        write(stage / "index.html", page)
        css, script = ((stage / "assets" / name).read_text("utf-8") for name in ASSETS)
        write(stage / "portfolio.html", standalone(page, css, script))
    except jinja2.TemplateError as exc:
        return [template_problem(exc)]
    return []


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def site_environment(options: Options) -> jinja2.Environment:
    env = pdf_environment(options.templates, compiled_templates(options))
    out = options.out.resolve()

    @jinja2.pass_context
    def source_href(context: jinja2.runtime.Context, path: str) -> str:
        return str(context["root"]) + href_from(path, out)

    env.filters.update(note_markdown=note_markdown, source_href=source_href)
    env.globals.update(review_page=review_page, plan_page=plan_page, with_pdf=options.pdf, charts=charts)
    return env


def compiled_templates(options: Options) -> Path:

    return cache_folder(options.out) / "templates"


@functools.lru_cache(maxsize=65536)
def href_from(path: str, out: Path) -> str:
    """A note file relative to the output folder, so a page links to it from disk; the template
    prefixes `root` (the way from the page up to the output folder)."""
    full = os.path.join(_real_folder(os.path.dirname(path)), os.path.basename(path))
    if os.path.islink(full):  # a symlinked note links to the file it points at
        full = os.path.realpath(full)
    return Path(os.path.relpath(full, out)).as_posix()


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    """A note folder resolved once per build, not once per link (resolving costs a syscall per part)."""
    return str(Path(folder).resolve())


@jinja2.pass_context
def note_markdown(context: jinja2.runtime.Context, text: str, pictures: Iterable[Picture] = ()) -> Markup:
    """A note's body, its headings moved below the page's own (h1 becomes h4), its pictures
    linked to their published copies (from the page, up `root` to the output folder)."""
    root = str(context.get("root", ""))
    html = str(render_markdown(text, {p.src: root + p.name for p in pictures}))
    return Markup(_HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 3)}>", html))


# -- the portfolio -------------------------------------------------------------------------


def portfolio_context(project: Project) -> dict[str, Any]:
    summary = summarize(project)
    critical = [v for v in summary.rows if any(i.severity == "critical" for i in v.insights)]
    moved = Counter(v.movement for v in summary.rows)
    return {
        "project": project, "summary": summary, "root": "",
        "at_risk": Capped.of(critical),
        "movements": [(m, moved[m]) for m in MOVEMENTS],
        "owners": sorted({v.account.meta.owner for v in summary.rows}, key=str.casefold),
        "insight_keys": sorted({i.key for v in summary.rows for i in v.insights}),
        "peak": max([c.now for c in summary.levels] + [1]),
    }


def row_context(project: Project, v: Verdict) -> dict[str, Any]:
    return {"project": project, "v": v, "root": ""}


# -- an account's review and plan ----------------------------------------------------------


def account_context(project: Project, v: Verdict) -> dict[str, Any]:
    history = v.history[-HISTORY:]
    quarters = [h.quarter for h in history]
    people_list = v.people
    next_checks = next_level_checks(v)
    mix = window_mix(v)
    return {
        "project": project, "v": v, "root": "../", "people": people_list,
        "actions": plan_actions(v), "met": met(v), "stale": staleness(v, people_list), "pending": not_yet_due(v),
        "quarter_notes": sorted((n for n in v.account.notes if Quarter.of(n.date) == v.quarter),
                                key=lambda n: (n.date, n.path), reverse=True),
        "mix": mix, "next_checks": next_checks,
        "shift": [x for c in shift_toward(next_checks) for x in mix if x.context == c],
        "level_chart": charts.level_timeline(history, project.model.levels),
        "context_chart": charts.context_mix(quarters, context_counts(v.account.notes, quarters)),
        "trust_chart": charts.trust_lines(v.trust_history[-HISTORY:]),
        "tq_chart": charts.tq_line(v.trust_history[-HISTORY:]),
    }


def context_counts(notes: tuple[Note, ...], quarters: list[Quarter]) -> list[dict[str, int]]:
    per: dict[Quarter, Counter[str]] = {q: Counter() for q in quarters}
    for note in notes:
        counter = per.get(Quarter.of(note.date))
        if counter is not None:
            counter[note.meta.context] += 1
    return [dict(per[q]) for q in quarters]


def window_mix(v: Verdict) -> tuple[Mix, ...]:
    values = v.window.values
    return tuple(Mix(c, int(values[c]), float(values[f"{c}_share"])) for c in CONTEXTS)


def next_level_checks(v: Verdict) -> tuple[Check, ...]:
    """What the next level up asks, checked against this window (empty at the top)."""
    above = v.next_level
    return next((checks for level, checks in v.higher if above is not None and level.key == above.key), ())


def shift_toward(checks: tuple[Check, ...]) -> tuple[str, ...]:
    """The contexts of conversation the next level needs more of: those named by the metrics of
    its unmet conditions (`strategy_share`, `strategy_opened_by_us` name strategy). Read from the
    rules, so a firm's own model gets its own advice. Deepest context first."""
    names = {name for c in checks if not c.holds for name, _ in c.values}
    return tuple(ctx for ctx in reversed(BUSINESS_CONTEXTS)
                 if any(name == ctx or name.startswith(ctx + "_") for name in names))


def staleness(v: Verdict, people_list: tuple[Person, ...]) -> Staleness:
    """account.md is stale when it no longer describes who we deal with: someone met in the window
    is not listed, or none of the listed stakeholders was met in the window, or none is listed."""
    unlisted = tuple(p.name for p in people_list if not p.listed and p.met_window)
    listed = [p for p in people_list if p.listed]
    return Staleness(unlisted, bool(listed) and not any(p.met_window for p in listed), not listed)
