"""The portfolio stage: levels.json and the portfolio page from every account's kept result, then
every PDF still to print (the changed accounts' and, when what it shows changed, the summary's).

A process that builds again and again (serve) keeps the last page, levels.json and assets
when no account the page shows changed, nor its templates, the quarter or the as-of date.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from ..core.diagnostics import Diagnostic
from ..render.documents import PdfJob, document_templates, pdf_environment, portfolio_document
from ..render.pack import review_packs
from ..render.printer import print_documents
from ..render.sheets import levels_csv, write_levels_xlsx
from ..render.site import compiled_templates, render_portfolio, site_environment
from ..rules.judge import Project
from ..rules.ruleset import LevelModel
from .account import unpickle, write_levels_json
from .keys import combine
from .run import Outcome, Run, Work
from .state import Judged, State, intact, link_into
from .stats import content_hash


class Made(NamedTuple):
    """What the portfolio stage wrote, and the keys the next build compares."""

    common: list[str]  # index.html, levels.json, the assets, the summary PDF
    pdf: str  # hash of what the summary PDF is printed from ("" without PDFs)
    page: str  # what the portfolio page and levels.json were made from, but the accounts' results
    packs: tuple[tuple[str, str], ...] = ()  # each review pack's key (`render.pack.review_packs`)


def make_portfolio(run: Run, work: Work, judged: list[Judged], reused: set[str], outcome: Outcome) -> Made:
    """levels.json, the portfolio page and assets, then every PDF still to print; their problems
    go to `outcome`."""
    review, state = work.review, run.state
    page = combine(run.key, run.templates.everything, str(review.quarter), review.as_of.isoformat(),
                   [j.slug for j in judged])
    same = state is not None and state.portfolio_page == page and not any(
        n in {"index.html", "portfolio.html", *SHEETS} or n.startswith("assets/") for n in run.survey.damaged) and all(
        j.slug in work.previous and _alike(j, work.previous[j.slug].judged, work.project.model)
        for j in judged if j.slug not in reused)
    project = outcome.project
    assert project is not None  # judged cleanly (`rebuild`)
    common, problems = _pages(run, work, project, judged, state if same else None)
    outcome.diagnostics += problems
    if problems or not run.options.pdf:
        return Made(common, "", page)
    pdf, packs, problems = _print(run, work, project, (judged, reused), common)
    outcome.diagnostics += problems
    return Made(common, pdf, page, packs)


def _pages(run: Run, work: Work, project: Project, judged: list[Judged],
           same: State | None) -> tuple[list[str], list[Diagnostic]]:
    """levels.json, the portfolio page and the assets: the last build's when `same`."""
    stage, options = work.stage, run.options
    if same is not None:
        common = ["index.html", "portfolio.html", *SHEETS, *sorted(n for n in same.published if n.startswith("assets/"))]
        if not work.in_place:
            link_into(options.out, common, stage)
        return common, []
    write_levels_json(stage / "levels.json", [j.json for j in judged if j.json is not None])
    _sheets(project, stage, judged)
    environment = run.memory.environment(options) if run.memory else site_environment(options)
    problems = render_portfolio(project, environment, options, stage,
                                {j.slug: j.row for j in judged})
    return ["index.html", "portfolio.html", *SHEETS, *(f"assets/{a}" for a in sorted(os.listdir(stage / "assets")))], problems


SHEETS = ("levels.json", "levels.csv", "levels.xlsx")  # the portfolio's data, drawn from the same entries


def _sheets(project: Project, stage: Path, judged: list[Judged]) -> None:
    """levels.csv and levels.xlsx, from the accounts' kept rows (drawn from their levels.json entries)."""
    rows = [j.sheets for j in judged if j.sheets is not None]  # set with the entry, in the account's worker
    (stage / "levels.csv").write_text(levels_csv(rows), "utf-8", newline="")
    title = f"{project.settings.spec.firm}: relationship levels, {project.quarter}"
    title += " (share-safe variant)" if project.settings.spec.share_safe else ""
    write_levels_xlsx(stage / "levels.xlsx", rows, project.as_of, title)


def _print(run: Run, work: Work, project: Project, accounts: tuple[list[Judged], set[str]],
           common: list[str]) -> tuple[str, tuple[tuple[str, str], ...], list[Diagnostic]]:
    """Every PDF still to print: the summary's when what it is printed from changed, and the
    redone accounts' (whose HTML waits in the print folder; `accounts`: all judged, and those
    reused); then the review packs. The summary's hash and the packs' keys."""
    options, state = run.options, run.state
    judged, reused = accounts
    templates, problems = document_templates(pdf_environment(options.templates, compiled_templates(options)))
    if problems:
        return "", (), problems
    summary = portfolio_document(project, templates["portfolio"])
    digest = content_hash(f"{run.templates.printing}\0{summary.html}".encode())  # its HTML, and what printing reads
    jobs = [PdfJob(name, "") for j in judged if j.slug not in reused for name in j.prints]
    if state is not None and state.portfolio_pdf == digest and intact(options.out, {
            summary.name: state.published.get(summary.name, (0, 0, 0, 0))}):
        if not work.in_place:
            link_into(options.out, [summary.name], work.stage)
    else:
        jobs.insert(0, summary)
    common.append(summary.name)

    def documents() -> Iterator[PdfJob]:  # the accounts' HTML waits in files: read one at a time
        for job in jobs:
            waiting = work.prints / (job.name.replace("/", "_") + ".html")
            yield job if job.html else PdfJob(job.name, waiting.read_text("utf-8"))

    problems = print_documents(documents(), run.settings, options, work.stage, len(jobs),
                               run.progress.stage("Printing PDFs", len(jobs)))
    if problems:
        return digest, (), problems
    packs = review_packs(project, options, work.stage, combine(run.key, run.templates.everything), _packs_kept(run))
    if not work.in_place:
        link_into(options.out, packs.kept, work.stage)
    common += packs.names
    return digest, tuple(sorted(packs.keys.items())), packs.problems


def _packs_kept(run: Run) -> dict[str, str]:
    """The last build's packs still in the output as it wrote them: name -> key."""
    state = run.state
    if state is None:
        return {}
    return {name: key for name, key in state.packs
            if name in state.published and intact(run.options.out, {name: state.published[name]})}


def _alike(a: Judged, b: Judged, model: LevelModel) -> bool:
    """Redone, the account shows the same on the portfolio page and in levels.json. (Equal verdicts
    may pickle to other bytes: a pydantic model keeps a set, whose order varies between processes.)"""
    if a.light != b.light or a.row != b.row or a.json != b.json or (a.verdict is None) != (b.verdict is None):
        return False
    return a.verdict == b.verdict or a.verdict is None or b.verdict is None or \
        unpickle([a.verdict], model) == unpickle([b.verdict], model)
