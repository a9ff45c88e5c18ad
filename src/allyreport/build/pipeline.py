"""The pipeline, in one function that reads like a table of contents (see `build`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import pickle
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.options import Options, cache_folder
from ..config.settings import Settings
from ..core.diagnostics import Diagnostic, errors_only
from ..core.progress import Progress
from ..notes.layout import FileJob
from . import store, workers
from .keys import Templates, combine, global_key, template_keys
from .publish import MARKER
from .state import (
    AccountRecord,
    Judged,
    State,
    exactly,
    files_in,
    intact,
    link_into,
    load_state,
    only_recorded,
    published_stats,
    records,
    save_state,
)
from .stats import Stat, StatIndex, content_hash
from .survey import Scanned, Survey, scan_files
from .survey import survey as survey_notes

if TYPE_CHECKING:  # the judging modules load only when something is judged: a reused build never needs them
    from ..core.quarters import Quarter
    from ..rules.judge import Project
    from ..rules.plan import Dated, Review
    from ..rules.ruleset import LevelModel, RuleSet
    from .memory import Memory


NO_NOTES = "no notes yet; nothing to report"  # a notes folder without a dated note: nothing to judge


@dataclass
class Outcome:
    project: Project | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    accounts: int = 0
    quarter: str = ""
    reused: bool = False  # nothing changed: the previous output stands
    unchanged: int = 0  # accounts whose pages were reused

    @property
    def ok(self) -> bool:
        return (self.project is not None or self.reused) and not errors_only(self.diagnostics)


def judge(settings: Settings, options: Options) -> Outcome:
    """Load the rules and every note, validate them, and evaluate every account (the commands
    that report on all accounts at once; `build` works account by account)."""
    from ..notes.loader import load_notes
    from ..rules.engine import evaluate
    from ..rules.judge import Project
    from ..rules.plan import future_notes, later_notes
    from .account import parse_in

    outcome = Outcome()
    rules, model_key = _rules(settings, options, outcome)
    if rules is None:
        return outcome
    portfolio, problems = load_notes(options.notes, _shown(options.notes), rules.signals, settings.max_note_bytes,
                                     settings.max_image_bytes, parse_in(options.jobs), options.accounts)
    outcome.diagnostics += problems
    if errors_only(outcome.diagnostics):
        return outcome
    notes = [n for a in portfolio.accounts for n in a.notes]
    review = review_of(options, [n.date.toordinal() for n in notes])
    if review is None:
        outcome.diagnostics.append(_nothing(options, bool(notes)))
        return outcome
    if problem := _before_every_note(options, review.quarter, (n.date.toordinal() for n in notes),
                                     _shown(options.notes)):
        outcome.diagnostics.append(problem)
        return outcome
    outcome.diagnostics += future_notes(later_notes(((n.date, n.path, n.line_of("date")) for n in notes),
                                                    review.as_of), review)
    verdicts, problems = evaluate(portfolio, rules, model_key, review.quarter, review.as_of)
    outcome.diagnostics += problems
    outcome.project = Project(settings, portfolio, rules, rules.models[model_key], review.quarter, tuple(verdicts),
                              review.as_of)
    return outcome


def review_of(options: Options, days: Iterable[int]) -> Review | None:
    """The review quarter and as-of date for the notes' `days` (ordinals), by `plan.plan_review`."""
    from ..core.quarters import Quarter
    from ..rules.plan import plan_review, today

    quarter = Quarter.parse(options.quarter) if options.quarter else None
    return plan_review(days, quarter, options.as_of, options.today or today())


def _nothing(options: Options, any_notes: bool) -> Diagnostic:
    """Why there is no review: no notes at all, or none dated up to today."""
    from ..rules.plan import today

    if not any_notes:
        return Diagnostic(_shown(options.notes), 0, NO_NOTES)
    day = options.as_of or options.today or today()
    return Diagnostic(_shown(options.notes), 0, f"no note is dated up to {day}; nothing to report")


def _rules(settings: Settings, options: Options, outcome: Outcome) -> tuple[RuleSet | None, str]:
    """The rules and the key of the level model in use; None (and why, in `outcome`) if unusable."""
    from ..rules.ruleset import load_rules

    rules, problems = load_rules(settings.rules_files)  # shown relative to the working directory
    outcome.diagnostics += problems
    if rules is None:
        return None, ""
    model_key = options.model or settings.spec.model or rules.default_model
    if model_key not in rules.models:
        # the flag wins over the settings, so the flag is what is wrong when both are given
        where = "--model" if options.model or not settings.source else settings.source
        outcome.diagnostics.append(Diagnostic(where, 0, f"unknown model '{model_key}'; "
                                              f"choose one of {', '.join(rules.models)}"))
        return None, ""
    return rules, model_key


def build(settings: Settings, options: Options, progress: Progress | None = None,
          memory: Memory | None = None) -> Outcome:
    """survey the notes -> reuse unchanged accounts -> parse, judge and render the others, each in
    one go, in workers -> the portfolio -> print the PDFs -> publish (see `account`, `survey`, `state`, `publish`).
    A build that fails changes nothing in the output. `memory`: what a long-running process kept
    from its last build, and the paths changed since (`memory.Memory`)."""
    from . import publish

    real = publish.check_output_dir(options.out, options.notes, options.templates)  # every refusal first
    try:
        with publish.locked(options.out, real), workers.no_gc():
            publish.recover(real)  # what a killed build left halfway is finished before anything else
            return _build(settings, dataclasses.replace(options, out=real), progress or Progress(), memory)
    except Published as done:
        _forget(memory)
        raise publish.fault(done.error, options.out, real, replaced=True) from done.error
    except OSError as exc:  # a full disk, a folder gone read-only: one line, and which output stands
        _forget(memory)
        raise publish.fault(exc, options.out, real, replaced=False) from exc
    except BaseException:
        _forget(memory)
        raise


def _forget(memory: Memory | None) -> None:
    """After a failed or interrupted build what a memory holds may be half updated: the next build reads the disk."""
    if memory is not None:
        memory.forget()


class Published(Exception):
    """A write failed after the new output was in place (saving the cache)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _build(settings: Settings, options: Options, progress: Progress, memory: Memory | None) -> Outcome:
    out = options.out
    warm = memory is not None and memory.kept()
    index = StatIndex(cache_folder(out) / "stat-index")
    state = memory.state if memory is not None and warm else load_state(out)
    key = (memory.key if memory is not None else None) or global_key(settings, options, _shown(options.notes), index)
    if state is not None and state.global_key != key:
        state = None  # the rules, settings or allyreport changed: nothing is reused
    if not options.notes.is_dir():
        return Outcome(diagnostics=[Diagnostic(_shown(options.notes), 0, "notes folder not found")])
    templates = (memory.templates if memory is not None else None) or template_keys(options, index, settings.extra_css)
    survey = _survey(settings, options, state.published if state is not None else {}, progress, memory)
    whole = combine(key, templates.everything, survey.problems,  # --pack changes the packs, no account
                    [(slug, a.key) for slug, a in survey.accounts.items()], options.pack)
    if memory is not None:
        memory.key, memory.templates = key, templates
    if state is not None and state.whole == whole and _same_review(options, state) \
            and (warm or exactly(out, state, survey.damaged)):
        index.save()
        if memory is not None and not warm:
            memory.state, memory.records = state, records(state)
        return Outcome(None, [*state.diagnostics, *_future(options, state.later, state.dates)],
                       sorted([*_names(state), MARKER]), state.judged, state.quarter, reused=True,
                       unchanged=state.judged)
    return _judge_and_render(settings, options, index, state, key, templates, whole, survey, progress, memory)


def _survey(settings: Settings, options: Options, published: dict[str, Stat],
            progress: Progress, memory: Memory | None) -> Survey:
    """Which files are there, and each account's input key: the files whose stat changed are read
    (in workers when many) to hash them and date the notes. A process that keeps a `memory` is
    told which paths changed: only their accounts are looked at."""
    def scan(files: list[FileJob]) -> list[Scanned | None]:
        return scan_files(files, settings.max_note_bytes, options.jobs, progress.stage("Reading notes", len(files)),
                          settings.max_image_bytes)

    found = None
    if memory is not None:
        from .memory import warm_survey

        found = warm_survey(memory, options.notes, _shown(options.notes), options.out, scan)
    if found is None:
        found = survey_notes(options.notes, _shown(options.notes), options.out, scan, published)
    if memory is not None:
        memory.files, memory.pending = found[1], set()
    return found[0]


def _judge_and_render(settings: Settings, options: Options, index: StatIndex, state: State | None,
                      key: str, templates: Templates, whole: str, survey: Survey,
                      progress: Progress, memory: Memory | None) -> Outcome:
    from ..core.quarters import Quarter
    from ..notes.data import Portfolio
    from ..rules.engine import failure_problems
    from ..rules.judge import Project
    from ..rules.plan import Review, future_notes
    from . import publish
    from .account import portfolio_verdicts

    outcome = Outcome()
    rules, model_key = memory.rules if memory is not None and memory.rules else _rules(settings, options, outcome)
    if rules is None:
        return outcome
    if memory is not None:
        memory.rules = rules, model_key
    model = rules.models[model_key]
    warm = memory is not None and memory.kept() and state is not None
    previous = memory.records if memory is not None and memory.records is not None and warm else records(state)
    accounts_key = combine(key, templates.accounts)  # what every account's output key starts from
    days = {slug: (previous[slug].judged.days if slug in previous and previous[slug].input == a.key
                   else a.dated()) for slug, a in survey.accounts.items()}
    when = review_of(options, (d for ds in days.values() for d in ds)) \
        or Review(Quarter(1970, 1), dt.date(1970, 3, 31), dt.date(1970, 3, 31), False)  # a guess, checked below
    in_place = state is not None and (warm or only_recorded(options.out, state))  # else a full copy, swapped
    stage = publish.staging_dir(options.out)
    prints = cache_folder(options.out) / f"print-{os.getpid()}"
    store.remove_stale(cache_folder(options.out))  # what killed builds left
    try:
        for attempt in range(2):
            project = Project(settings, Portfolio(survey.shown, ()), rules, model, when.quarter, (), when.as_of)
            judged, reused, failed = _accounts(project, options, survey, previous, accounts_key, stage, prints,
                                               in_place, progress, memory)
            found = review_of(options, (d for j in judged for d in j.days))
            wrong = found is not None and found != when
            if failed or not wrong or attempt or found is None:
                break
            when = found  # the guess was wrong: start again with the parsed dates
            stage = publish.staging_dir(options.out)
            shutil.rmtree(prints, ignore_errors=True)
        outcome.diagnostics += survey.problems + [d for j in judged for d in j.diagnostics] \
            + failure_problems(f for j in judged for f in j.failures)
        kept = list(outcome.diagnostics)  # what the cache keeps: the notes dated after today are told apart each time
        if found is not None:
            outcome.diagnostics += future_notes([d for j in judged for d in j.later], found)
        outcome.diagnostics += [j.problem for j in judged if j.problem][:1]
        if found is None and not errors_only(outcome.diagnostics):
            outcome.diagnostics.append(_nothing(options, any(j.days for j in judged)))
        elif found is not None and not errors_only(outcome.diagnostics) and (problem := _before_every_note(
                options, found.quarter, (d for j in judged for d in j.days), survey.shown)):
            outcome.diagnostics.append(problem)  # an empty report would replace the last one
        if errors_only(outcome.diagnostics) or found is None:
            publish.discard(stage)
            return outcome
        project = Project(settings, Portfolio(survey.shown, ()), rules, model, found.quarter,
                          tuple(portfolio_verdicts(judged, model, found.quarter, memory.lazy if memory else None)),
                          found.as_of)
        outcome.project, outcome.accounts, outcome.quarter = project, len(project.verdicts), str(project.quarter)
        outcome.unchanged = sum(1 for j in judged if j.slug in reused and j.verdict is not None)
        page = combine(key, templates.everything, str(found.quarter), found.as_of.isoformat(), [j.slug for j in judged])
        same = state is not None and state.portfolio_page == page and not any(
            n in {"index.html", "portfolio.html", *SHEETS} or n.startswith("assets/") for n in survey.damaged) and all(
            j.slug in previous and _alike(j, previous[j.slug].judged, model) for j in judged if j.slug not in reused)
        common, portfolio_pdf, problems = _portfolio(project, options, state, judged, reused, (stage, prints),
                                                     in_place, templates.printing, progress, state if same else None,
                                                     memory)
        outcome.diagnostics += problems
        kept += problems
        if errors_only(outcome.diagnostics):
            publish.discard(stage)
            return outcome
        names = sorted([*common, *(name for j in judged for name in (*j.files, *j.prints))])
        outcome.written = sorted([*names, MARKER])
        if in_place and state is not None:
            fresh = sorted(files_in(stage))
            publish.update(stage, options.out, fresh, sorted(set(state.published) - set(names)))
        else:
            publish.publish(stage, options.out)
    except BaseException:
        if not publish.pending(options.out):  # an update under way is finished by the next build instead
            publish.discard(stage)
        raise
    finally:
        shutil.rmtree(prints, ignore_errors=True)
        progress.done()
    try:
        saved = _remember(options, index, key, accounts_key, whole, survey, judged, state, reused, kept, common,
                          (portfolio_pdf, page), outcome)
    except OSError as exc:
        raise Published(exc) from exc
    except BaseException as exc:  # interrupted: say which output stands (cli.main)
        exc.add_note("published")
        raise
    if memory is not None:
        memory.state, memory.records = saved[0], {j.slug: saved[1].get(j.slug) or previous[j.slug] for j in judged}
    return outcome


def _before_every_note(options: Options, quarter: Quarter, days: Iterable[int], shown: str) -> Diagnostic | None:
    """--quarter before the first note: an error, not an empty report."""
    if not options.quarter:  # the latest note's quarter: never before every note (and no pass over every date)
        return None
    first = min(days, default=None)
    if first is not None and first <= quarter.end.toordinal():
        return None
    since = f"; the first note is dated {dt.date.fromordinal(first).isoformat()}" if first is not None else ""
    return Diagnostic(shown, 0, f"no notes up to {quarter}{since}")


def _same_review(options: Options, state: State) -> bool:
    """The last build reviewed the quarter and as-of date that its notes' dates give today."""
    review = review_of(options, state.dates)
    return review is not None and (str(review.quarter), review.as_of.isoformat()) == (state.quarter, state.as_of)


def _future(options: Options, later: Iterable[Dated], dates: Iterable[int]) -> list[Diagnostic]:
    from ..rules.plan import future_notes

    review = review_of(options, dates)
    return future_notes(later, review) if review is not None else []

def _accounts(project: Project, options: Options, survey: Survey, previous: dict[str, AccountRecord],
              key: str, stage: Path, prints: Path, in_place: bool,
              progress: Progress, memory: Memory | None) -> tuple[list[Judged], set[str], bool]:
    """Every account's result for `project`'s quarter: reused when its output key is unchanged and
    its files intact (left in place, or hard-linked into a full stage), else worked out in the workers."""
    from ..render.documents import document_templates, pdf_environment, template_problem
    from ..render.site import compiled_templates, site_environment, start
    from .account import Context, run_accounts

    reuse: dict[str, Judged] = {}
    work: list[tuple[str, list[FileJob]]] = []
    tail = _output_tail(project, options)
    for slug, account in survey.accounts.items():
        record = previous.get(slug)
        if record and record.output == _combined(key, account.key, *tail) \
                and survey.damaged.isdisjoint(record.files):
            if not in_place:
                link_into(options.out, sorted(record.files), stage)
            reuse[slug] = record.judged
        else:
            work.append((slug, survey.jobs(slug)))
    import jinja2

    try:
        pages = start(memory.environment(options) if memory else site_environment(options), stage)
        compiled = compiled_templates(options)
        documents, problems = (document_templates(pdf_environment(options.templates, compiled)) if options.pdf
                               else ({}, []))
    except jinja2.TemplateError as exc:
        problems = [template_problem(exc)]
    if problems:
        return [Judged("", (), tuple(problems), (), None, None, (), ())], set(), True
    documents.pop("portfolio", None)
    prints.mkdir(parents=True, exist_ok=True)
    ctx = Context(project, options, pages, documents, stage, prints, frozenset(project.rules.signals),
                  project.settings.max_note_bytes, memory.parsed if memory is not None else None)
    fresh = run_accounts(ctx, work, options.jobs, progress.stage("Judging accounts", len(work)))
    judged = sorted([*reuse.values(), *fresh], key=lambda j: j.slug)
    failed = any(errors_only(j.diagnostics) or j.problem for j in judged)
    return judged, set(reuse), failed


def _output_key(key: str, input_key: str, project: Project, options: Options) -> str:
    return _combined(key, input_key, *_output_tail(project, options))


def _output_tail(project: Project, options: Options) -> tuple[str, str]:
    """What an account's output depends on besides its files: the quarter and the as-of date
    (every page and PDF shows it; `rules.plan`)."""
    return str(project.quarter), project.as_of.isoformat()


@functools.lru_cache(maxsize=1 << 16)
def _combined(*parts: str) -> str:
    """`combine`, remembered: a process that builds again (serve) works each account's key out once."""
    return combine(*parts)


def _alike(a: Judged, b: Judged, model: LevelModel) -> bool:
    """Redone, the account shows the same on the portfolio page and in levels.json. (Equal verdicts
    may pickle to other bytes: a pydantic model keeps a set, whose order varies between processes.)"""
    from .account import unpickle

    if a.light != b.light or a.row != b.row or a.json != b.json or (a.verdict is None) != (b.verdict is None):
        return False
    return a.verdict == b.verdict or a.verdict is None or b.verdict is None or \
        unpickle([a.verdict], model) == unpickle([b.verdict], model)


def _portfolio(project: Project, options: Options, state: State | None, judged: list[Judged],
               reused: set[str], folders: tuple[Path, Path], in_place: bool, printing: str,
               progress: Progress, same: State | None = None,
               memory: Memory | None = None) -> tuple[list[str], str, list[Diagnostic]]:
    """levels.json, the portfolio page and assets, then every PDF still to print. With `same` (the
    last build's state, when no account the page shows changed, nor its templates, the quarter or
    the "as of" date), the page, levels.json and the assets are the last build's."""
    from ..render.site import compiled_templates, render_portfolio, site_environment
    from .account import levels_json

    stage, prints = folders
    if same is not None:
        common = ["index.html", "portfolio.html", *SHEETS, *sorted(n for n in same.published if n.startswith("assets/"))]
        if not in_place:
            link_into(options.out, common, stage)
        problems: list[Diagnostic] = []
    else:
        entries = [j.json for j in judged if j.json is not None]
        (stage / "levels.json").write_text(levels_json(entries), "utf-8")
        _sheets(project, stage, entries)
        problems = render_portfolio(project, memory.environment(options) if memory else site_environment(options),
                                    options, stage,
                                    {j.slug: j.row for j in judged})
        common = ["index.html", "portfolio.html", *SHEETS, *(f"assets/{a}" for a in sorted(os.listdir(stage / "assets")))]
    if problems or not options.pdf:
        return common, "", problems
    from ..render.documents import PdfJob, document_templates, pdf_environment, portfolio_document
    from ..render.printer import print_documents

    templates, problems = document_templates(pdf_environment(options.templates, compiled_templates(options)))
    if problems:
        return common, "", problems
    summary = portfolio_document(project, templates["portfolio"])
    digest = content_hash(f"{printing}\0{summary.html}".encode())  # its HTML, and what printing reads
    jobs = [PdfJob(name, "") for j in judged if j.slug not in reused for name in j.prints]
    if state is not None and state.portfolio_pdf == digest and intact(options.out, {
            summary.name: state.published.get(summary.name, (0, 0, 0, 0))}):
        if not in_place:
            link_into(options.out, [summary.name], stage)
    else:
        jobs.insert(0, summary)
    common.append(summary.name)

    def documents() -> Iterator[PdfJob]:  # the accounts' HTML waits in files: read one at a time
        for job in jobs:
            waiting = prints / (job.name.replace("/", "_") + ".html")
            yield job if job.html else PdfJob(job.name, waiting.read_text("utf-8"))

    problems = print_documents(documents(), project.settings, options, stage, len(jobs),
                               progress.stage("Printing PDFs", len(jobs)))
    if problems:
        return common, digest, problems
    from ..render.pack import review_packs

    packs, problems = review_packs(project, options, stage, prints / "pack")
    return [*common, *packs], digest, problems


SHEETS = ("levels.json", "levels.csv", "levels.xlsx")  # the portfolio's data, drawn from the same entries


def _sheets(project: Project, stage: Path, entries: list[str]) -> None:
    """levels.csv and levels.xlsx, from the same entries as levels.json."""
    import json

    from ..render.sheets import levels_csv, write_levels_xlsx

    rows = [json.loads(entry) for entry in entries]
    (stage / "levels.csv").write_text(levels_csv(rows, project.as_of), "utf-8", newline="")
    title = f"{project.settings.spec.firm}: relationship levels, {project.quarter}"
    title += " (share-safe variant)" if project.settings.spec.share_safe else ""
    write_levels_xlsx(stage / "levels.xlsx", rows, project.as_of, title)


def _remember(options: Options, index: StatIndex, key: str, accounts_key: str, whole: str, survey: Survey,
              judged: list[Judged],
              state: State | None, reused: set[str], kept: list[Diagnostic],
              common: list[str], portfolio: tuple[str, str],
              outcome: Outcome) -> tuple[State, dict[str, AccountRecord]]:
    """After a successful publish: each account's keys and result, and the published files' stats.
    The state as saved, and the records of the accounts worked out afresh. `kept`: the diagnostics
    that do not depend on today (the notes dated after it are told apart at each build)."""
    assert outcome.project is not None
    project = outcome.project
    accounts: dict[str, bytes] = {}
    fresh: dict[str, AccountRecord] = {}
    published = published_stats(options.out, common)
    for j in judged:
        if state is not None and j.slug in reused:  # the same files, hard-linked: the same stats
            accounts[j.slug] = state.accounts[j.slug]
            published.update((name, state.published[name]) for name in j.files + j.prints)
            continue
        input_key = survey.accounts[j.slug].key
        files = published_stats(options.out, [*j.files, *j.prints])
        record = AccountRecord(input_key, _output_key(accounts_key, input_key, project, options), j, files)
        accounts[j.slug] = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        fresh[j.slug] = record
        published.update(files)
    saved = save_state(options.out, State(key, whole, str(project.quarter), project.as_of.isoformat(), accounts,
                                          dict(sorted(published.items())), portfolio[0], tuple(kept),
                                          outcome.accounts, portfolio_page=portfolio[1],
                                          dates=tuple(sorted({d for j in judged for d in j.days})),
                                          later=tuple(sorted(d for j in judged for d in j.later))),
                       state, {slug for slug in accounts if slug not in reused})
    index.save()
    return saved, fresh


def _names(state: State) -> list[str]:
    return list(state.published)


def _shown(path: Path) -> str:
    from ..core.diagnostics import display_path

    return display_path(path).rstrip("/")
