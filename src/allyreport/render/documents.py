"""What each PDF says: the account review, the relationship plan and the portfolio summary,
written as HTML from the judged Project and the templates in `templates/pdf/`.

Rendering the HTML is cheap and happens here, in the building process; `pdf` prints it.
Every date a document shows is the review's as-of date (`plan`), never the clock at printing,
so the same notes and as-of date always give the same documents. The portfolio summary must stay a
five-minute read at 2,000 accounts: each list up front is capped (`LIST_CAP`, with "and N
more"), and the full table goes to an appendix.
"""

from __future__ import annotations

import datetime as dt
import functools
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import jinja2
from markupsafe import Markup

from .. import __version__
from ..core.diagnostics import Diagnostic, display_path
from ..notes.data import Note
from ..notes.markdown import breakable
from ..rules.engine import Check, QuarterLevel, Verdict, open_actions
from ..rules.metrics import Source
from ..rules.ruleset import SEVERITIES, Level
from ..rules.trust import Trust
from .templating import environment
from .text import fmt

if TYPE_CHECKING:
    from ..notes.schema import Action
    from ..rules.judge import Project

LIST_CAP = 15
RUNNING_NAME = 48  # characters of an account's name in the page header

T = TypeVar("T")


@dataclass(frozen=True)
class PdfJob:
    """One document to print: its path under the output folder and its HTML."""

    name: str
    html: str


@dataclass(frozen=True)
class DocInfo:
    """The cover, the running header and the PDF's metadata."""

    firm: str
    kind: str  # "Account review", "Relationship plan", "Portfolio summary"
    subject: str  # the account's name, or "Portfolio"
    quarter: str
    owner: str
    as_of: dt.date  # the day the review is true on (`plan`): the same notes and as-of date, the same PDF
    period: str  # "2026Q4 so far: 1 October to 1 December 2026"
    model: str
    language: str
    version: str = __version__
    variant: str = ""  # "share-safe variant", said on the cover and in every page's header


    @property
    def title(self) -> str:
        return f"{self.subject}: {self.kind.lower()}, {self.quarter}"

    @property
    def running(self) -> str:
        """The page header: one line, so a long account name is shortened there (never on the cover)."""
        name = self.subject if len(self.subject) <= RUNNING_NAME else self.subject[: RUNNING_NAME - 1].rstrip() + "…"
        where = "" if self.subject == "Portfolio" else f"{name} · "
        return f"{where}{self.kind} · {self.quarter}" + (f" · {self.variant}" if self.variant else "")


@dataclass(frozen=True)
class Capped(Generic[T]):
    """The first `LIST_CAP` items of a list, and how many more there are."""

    shown: tuple[T, ...]
    more: int

    @classmethod
    def of(cls, items: list[T], cap: int = LIST_CAP) -> Capped[T]:
        return cls(tuple(items[:cap]), max(0, len(items) - cap))

    @property
    def total(self) -> int:
        return len(self.shown) + self.more


@dataclass(frozen=True)
class LevelCount:
    level: Level
    now: int
    before: int  # accounts at this level last quarter, among those judged both quarters

    @property
    def change(self) -> int:
        return self.now - self.before


@dataclass(frozen=True)
class Move:
    """An account that changed level, and why: the checks that decided it (worked out only for the
    moves a page shows, since it reads the verdict's findings)."""

    verdict: Verdict

    @functools.cached_property
    def reason(self) -> tuple[Check, ...]:
        """Up: the new level's conditions the previous level did not have; down: what the previous
        level now lacks."""
        v = self.verdict
        if v.movement == "up":
            named = tuple(c for c in v.finding.checks if c.values)
            had = {c.text for c in v.previous.conditions} if v.previous else set()
            return tuple(c for c in named if c.text not in had) or named
        lacks = next((checks for level, checks in v.higher if v.previous and level.key == v.previous.key), ())
        return tuple(c for c in lacks if not c.holds)


@dataclass(frozen=True)
class RiskGroup:
    key: str
    title: str
    severity: str
    count: int
    move: str


@dataclass(frozen=True)
class PortfolioSummary:
    accounts: int
    new: int  # accounts with no level last quarter
    levels: tuple[LevelCount, ...]
    up: Capped[Move]
    down: Capped[Move]
    risks: tuple[RiskGroup, ...]
    critical: int  # accounts with at least one critical insight
    worst: Capped[Verdict]
    no_plan: Capped[Verdict]
    sponsor_left: Capped[tuple[Verdict, Any]]  # accounts whose sponsor left, with that insight; critical first
    rows: tuple[Verdict, ...]  # the appendix: every account, by name


@dataclass(frozen=True)
class Cited:
    """A note behind a review, with the anchor its evidence links jump to."""

    note: Note
    anchor: str


# -- the documents ---------------------------------------------------------------------------


def documents(project: Project, override: Path | None) -> tuple[Iterator[PdfJob], list[Diagnostic]]:
    """Every document of the build, rendered lazily; template errors are found before printing."""
    templates, problems = document_templates(pdf_environment(override))
    return (iter(()), problems) if problems else (_jobs(project, templates), [])


def document_templates(env: jinja2.Environment) -> tuple[dict[str, jinja2.Template], list[Diagnostic]]:
    try:
        return {k: env.get_template(f"pdf/{k}.html") for k in ("review", "plan", "portfolio")}, []
    except jinja2.TemplateError as exc:
        return {}, [template_problem(exc)]


def _jobs(project: Project, templates: dict[str, jinja2.Template]) -> Iterator[PdfJob]:
    yield portfolio_document(project, templates["portfolio"])
    for v in project.verdicts:
        yield from account_documents(project, v, templates)


def portfolio_document(project: Project, template: jinja2.Template) -> PdfJob:
    return PdfJob(f"pdf/portfolio-{project.quarter}.pdf",
                  template.render(doc=portfolio_info(project, project.as_of), summary=summarize(project)))


def account_documents(project: Project, v: Verdict, templates: dict[str, jinja2.Template]) -> Iterator[PdfJob]:
    """An account's review and plan."""
    slug, as_of = v.account.slug, project.as_of
    every = cited_notes(v)
    cited = every[-PDF_LIMITS.notes:]  # the latest: a PDF's time and memory stay bounded (the page has them all)
    yield PdfJob(f"pdf/{slug}-review.pdf", templates["review"].render(
        doc=account_info(project, v, "Account review", as_of), v=v, cited=cited, earlier=len(every) - len(cited),
        anchors={c.note.path: c.anchor for c in cited}, history=recent_history(v)))
    yield PdfJob(f"pdf/{slug}-plan.pdf", templates["plan"].render(
        doc=account_info(project, v, "Relationship plan", as_of), v=v, actions=plan_actions(v), met=met(v)))


def template_problem(exc: jinja2.TemplateError) -> Diagnostic:
    """A template that failed while rendering, at its file and line (Jinja keeps them in the traceback)."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return Diagnostic(display_path(Path(exc.filename)), exc.lineno, f"template error: {exc.message}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".css"))]
    where = frames[-1] if frames else None
    path = display_path(Path(where.filename)) if where else "templates/pdf"
    return Diagnostic(path, (where.lineno or 0) if where else 0, f"template error: {exc.message or exc}")


def review_page(slug: str) -> str:
    return f"accounts/{slug}.html"


def plan_page(slug: str) -> str:
    return f"plans/{slug}.html"


def pdf_environment(override: Path | None, compiled: Path | None = None) -> jinja2.Environment:
    env = environment(override, compiled)
    env.filters["fmt"] = fmt
    env.filters["tq"] = lambda value: "—" if value is None else f"{value:.1f}"
    env.filters["percent"] = lambda value: "—" if value is None else f"{value:.0%}"
    env.filters["day"] = lambda day: "" if day is None else f"{day.day} {day:%B %Y}"
    env.filters["by_severity"] = lambda insights: sorted(insights, key=lambda i: _severity_rank(i.severity))
    env.filters["signed"] = lambda n: f"+{n}" if n > 0 else ("±0" if n == 0 else f"−{-n}")
    env.filters["cover_name"] = cover_name
    env.globals.update(limits=PDF_LIMITS, review_page=review_page, plan_page=plan_page)
    env.filters["breakable"] = lambda text: Markup(breakable(str(text)))
    return env


@dataclass(frozen=True)
class PdfLimits:
    """How much of a very large account a PDF shows; the HTML pages show everything
    (docs/notes-format.md, Limits). Without them, 20,000 notes took 85 s and 1.3 GB to print."""

    notes: int = 200  # the notes behind a review, the latest first
    stakeholders: int = 200  # in the plan's table
    sources: int = 50  # per list of evidence
    actions: int = 50  # per table of a plan's open actions, the earliest due first


PDF_LIMITS = PdfLimits()
COVER_NAME = 120  # characters of a name on a PDF's cover, which must stay one page (the full name follows it)


def cover_name(name: str) -> Markup:
    """A name as the cover shows it: at most COVER_NAME characters, long words breakable."""
    short = name if len(name) <= COVER_NAME else name[: COVER_NAME - 1].rstrip() + "…"
    return Markup(breakable(short))


def portfolio_info(project: Project, as_of: dt.date) -> DocInfo:
    spec = project.settings.spec
    return DocInfo(spec.firm, "Portfolio summary", "Portfolio", str(project.quarter), spec.firm, as_of,
                   project.period, project.model.title, spec.language, variant=variant(project))


def account_info(project: Project, v: Verdict, kind: str, as_of: dt.date) -> DocInfo:
    spec = project.settings.spec
    return DocInfo(spec.firm, kind, v.account.name, str(project.quarter), v.account.meta.owner or "—", as_of,
                   project.period, project.model.title, spec.language, variant=variant(project))


def variant(project: Project) -> str:
    return "share-safe variant" if project.settings.spec.share_safe else ""


# -- the account review and plan ------------------------------------------------------------


def cited_notes(v: Verdict) -> tuple[Cited, ...]:
    """The notes behind the level and the insights, oldest first: the review's appendix."""
    sources: list[Source] = [*v.finding.evidence, *(s for i in v.insights for s in i.evidence)]
    paths = {s.path for s in sources}
    return tuple(Cited(n, f"note-{i}") for i, n in enumerate(n for n in v.account.notes if n.path in paths))


def recent_history(v: Verdict, quarters: int = 8) -> tuple[tuple[QuarterLevel, Trust], ...]:
    """The last quarters' levels with each quarter's trust, oldest first."""
    pairs = zip(v.history, (t for _, t in v.trust_history), strict=True)
    return tuple(pairs)[-quarters:]


def met(v: Verdict) -> frozenset[str]:
    """Everyone met in the window (`with` of its notes)."""
    return frozenset(name for n in v.account.notes if v.window.start <= n.date <= v.window.end for name in n.meta.with_)


@dataclass(frozen=True)
class PlanAction:
    action: Action
    source: Source
    tests_missing: tuple[str, ...]
    overdue: bool  # its date passed before the as-of date and it is still open


def plan_actions(v: Verdict) -> dict[str, tuple[PlanAction, ...]]:
    """Open actions at the as-of date by kind: the investments first, then delivery, then sales.
    An `invest` action that passes none of the three tests is listed with the sales, as the
    `sales-plan` insight counts it (`open_untested`)."""
    found: dict[str, list[PlanAction]] = {"invest": [], "deliver": [], "sell": []}
    for source, action in open_actions(v.account, v.as_of):
        missing = tuple(t for t in ("own-time", "learn", "illustrate") if t not in action.tests)
        overdue = action.by is not None and action.by < v.as_of
        kind = "sell" if action.kind == "invest" and not action.tests else action.kind
        found[kind].append(PlanAction(action, source, missing if action.kind == "invest" else (), overdue))
    return {kind: tuple(sorted(items, key=_by_date)) for kind, items in found.items()}


def _by_date(item: PlanAction) -> tuple[dt.date, str]:
    return (item.action.by or dt.date.max, item.action.do)


# -- the portfolio summary ------------------------------------------------------------------


def summarize(project: Project) -> PortfolioSummary:
    verdicts = sorted(project.verdicts, key=lambda v: (v.account.name.casefold(), v.account.slug))
    return PortfolioSummary(
        accounts=len(verdicts),
        new=sum(1 for v in verdicts if v.previous is None),
        levels=level_counts(project.model.levels, verdicts),
        up=Capped.of(sorted((Move(v) for v in verdicts if v.movement == "up"), key=_move_order)),
        down=Capped.of(sorted((Move(v) for v in verdicts if v.movement == "down"), key=_move_order)),
        risks=risk_groups(verdicts),
        critical=sum(1 for v in verdicts if any(i.severity == "critical" for i in v.insights)),
        worst=Capped.of(sorted((v for v in verdicts if v.insights), key=_risk_order)),
        no_plan=Capped.of([v for v in sorted(verdicts, key=lambda v: v.level.rank)
                           if not v.open_invest]),
        sponsor_left=Capped.of(sorted(((v, i) for v in verdicts for i in v.insights if i.key == "sponsor-left"),
                                      key=lambda vi: _severity_rank(vi[1].severity))),
        rows=tuple(verdicts),
    )


def level_counts(levels: tuple[Level, ...], verdicts: list[Verdict]) -> tuple[LevelCount, ...]:
    now = Counter(v.level.key for v in verdicts)
    before = Counter(v.previous.key for v in verdicts if v.previous is not None)
    return tuple(LevelCount(lv, now[lv.key], before[lv.key]) for lv in levels)


def _move_order(m: Move) -> tuple[int, int, str]:
    """The biggest moves first (steps on the ladder), then the higher level, then by name."""
    steps = abs((m.verdict.previous.rank if m.verdict.previous else 0) - m.verdict.level.rank)
    return (-steps, m.verdict.level.rank, m.verdict.account.name.casefold())


def _risk_order(v: Verdict) -> tuple[int, ...]:
    counts = Counter(i.severity for i in v.insights)
    return (*(-counts[s] for s in SEVERITIES), v.level.rank)


def risk_groups(verdicts: list[Verdict]) -> tuple[RiskGroup, ...]:
    """One row per insight key: critical first, then the most frequent."""
    counts: Counter[str] = Counter()
    first: dict[str, Any] = {}
    for v in verdicts:
        for i in v.insights:
            counts[i.key] += 1
            first.setdefault(i.key, i)
    groups = [RiskGroup(k, first[k].title, first[k].severity, n, first[k].move) for k, n in counts.items()]
    return tuple(sorted(groups, key=lambda g: (_severity_rank(g.severity), -g.count, g.key)))


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
