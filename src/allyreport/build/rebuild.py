"""Judging and rendering: what a build does once its survey found something changed, and what
`check`, `levels` and `explain` do (`judge_all`).

The pipeline imports this module only past its no-op check: it is the side of the build that
loads the rules, the engine and the renderers (tests/test_judging.py). Its stages, in order:
plan the review (once, from every note's date) -> judge and render each changed account in
the workers, reuse the others -> the portfolio -> publish -> remember what was built.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil

import jinja2

from ..config.options import Options, cache_folder
from ..config.settings import Settings
from ..core.diagnostics import Diagnostic, display_path, errors_only
from ..notes.data import Portfolio
from ..notes.layout import FileJob
from ..notes.loader import Scope, load_notes
from ..render.documents import document_templates, pdf_environment, template_problem
from ..render.site import compiled_templates, site_environment, start
from ..rules.engine import failure_problems
from ..rules.judge import Project, evaluate
from ..rules.plan import Review, future_notes, later_notes
from ..rules.ruleset import RuleSet, load_rules
from . import publish, store
from .account import Shared, parse_in, portfolio_verdicts, run_accounts
from .portfolio import Made, make_portfolio
from .publish import MARKER
from .run import NOTHING, Outcome, Run, Work, nothing, review_of
from .state import AccountRecord, Judged, State, files_in, link_into, only_recorded, published_stats, records, save_state


def judge_all(settings: Settings, options: Options) -> Outcome:
    """Load the rules and every note, validate them, and evaluate every account (the commands
    that report on all accounts at once; `build` works account by account)."""
    outcome = Outcome()
    rules, model_key = rules_of(settings, options, outcome)
    if rules is None:
        return outcome
    shown = display_path(options.notes).rstrip("/")
    portfolio, problems = load_notes(options.notes, shown, rules.signals, settings.max_note_bytes,
                                     settings.max_image_bytes, Scope(parse_in(options.jobs), options.accounts))
    outcome.diagnostics += problems
    if errors_only(outcome.diagnostics):
        return outcome
    safe = settings.spec.share_safe  # a private note does not even date the share-safe variant
    notes = [n for a in portfolio.accounts for n in a.notes if not (safe and n.meta.private)]
    days = [n.date.toordinal() for n in notes]
    review = review_of(options, days)
    if review is None:
        outcome.diagnostics.append(nothing(options, bool(notes)))
        return outcome
    if problem := before_every_note(options, review, days, shown):
        outcome.diagnostics.append(problem)
        return outcome
    outcome.diagnostics += future_notes(later_notes(((n.date, n.path, n.line_of("date")) for n in notes),
                                                    review.as_of), review)
    verdicts, problems = evaluate(portfolio, rules, model_key, review.quarter, review.as_of, settings)
    outcome.diagnostics += problems
    outcome.project = Project(settings, portfolio, rules, rules.models[model_key], review.quarter, tuple(verdicts),
                              review.as_of)
    return outcome


def rules_of(settings: Settings, options: Options, outcome: Outcome) -> tuple[RuleSet | None, str]:
    """The rules and the key of the level model in use; None (and why, in `outcome`) if unusable."""
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


def before_every_note(options: Options, review: Review, days: list[int], shown: str) -> Diagnostic | None:
    """--quarter before the first note: an error, not an empty report."""
    if not options.quarter:  # the latest note's quarter: never before every note (and no pass over every date)
        return None
    first = min(days, default=None)
    if first is not None and first <= review.quarter.end.toordinal():
        return None
    since = f"; the first note is dated {dt.date.fromordinal(first).isoformat()}" if first is not None else ""
    return Diagnostic(shown, 0, f"no notes up to {review.quarter}{since}")


def rebuild(run: Run) -> Outcome:
    """plan the review -> the accounts, judged and rendered or reused -> the portfolio -> publish ->
    remember. A build that fails changes nothing in the output."""
    outcome = Outcome()
    work = plan(run, outcome)
    if work is None:
        return outcome
    try:
        judged, reused = accounts(run, work)
        kept = _judged_cleanly(run, work, judged, outcome)
        if kept is None:
            publish.discard(work.stage)
            return outcome
        outcome.unchanged = sum(1 for j in judged if j.slug in reused and j.verdict is not None)
        before = len(outcome.diagnostics)
        made = make_portfolio(run, work, judged, reused, outcome)
        kept += outcome.diagnostics[before:]
        if errors_only(outcome.diagnostics):
            publish.discard(work.stage)
            return outcome
        _publish(run, work, judged, made, outcome)
    except BaseException:
        if not publish.pending(run.options.out):  # an update under way is finished by the next build instead
            publish.discard(work.stage)
        raise
    finally:
        shutil.rmtree(work.prints, ignore_errors=True)
        run.progress.done()
    remember(run, work, judged, (reused, made, kept), outcome)  # a fault from here on: the new output stands
    return outcome


def plan(run: Run, outcome: Outcome) -> Work | None:
    """The planning stage: the rules and model, and the review (its quarter and as-of date) from
    every note's date, before any account is judged. The dates are exact without parsing: the
    parsed ones kept with each unchanged account, the survey's for the others (`notes.dates`)."""
    memory, options = run.memory, run.options
    rules, model_key = memory.rules if memory is not None and memory.rules else rules_of(run.settings, options, outcome)
    if rules is None:
        return None
    if memory is not None:
        memory.rules = rules, model_key
    model = rules.models[model_key]
    previous = memory.records if memory is not None and memory.records is not None and run.warm else records(run.state)
    days = [d for slug, a in run.survey.accounts.items()
            for d in (previous[slug].judged.days if slug in previous and previous[slug].input == a.key
                      else a.dated(run.settings.spec.share_safe))]
    review = review_of(options, days) or NOTHING  # no notes: judged all the same, for their problems
    project = Project(run.settings, Portfolio(run.survey.shown, ()), rules, model, review.quarter, (), review.as_of)
    in_place = run.state is not None and (run.warm or only_recorded(options.out, run.state))  # else a full copy
    store.remove_stale(cache_folder(options.out))  # what killed builds left
    stage = publish.staging_dir(options.out)
    return Work(project, review, previous, run.accounts_key, in_place, stage,
                cache_folder(options.out) / f"print-{os.getpid()}")


def accounts(run: Run, work: Work) -> tuple[list[Judged], set[str]]:
    """Every account's result for the review: reused when its output key is unchanged and its files
    intact (left in place, or hard-linked into a full stage), else worked out in the workers."""
    reuse: dict[str, Judged] = {}
    todo: list[tuple[str, list[FileJob]]] = []
    for slug, account in run.survey.accounts.items():
        record = work.previous.get(slug)
        if record and record.output == work.output_key(account.key) and run.survey.damaged.isdisjoint(record.files):
            if not work.in_place:
                link_into(run.options.out, sorted(record.files), work.stage)
            reuse[slug] = record.judged
        else:
            todo.append((slug, run.survey.jobs(slug)))
    shared, problems = _shared(run, work)
    if shared is None:
        return [Judged("", (), tuple(problems), (), None, None, (), ())], set()
    fresh = run_accounts(shared, todo, run.options.jobs, run.progress.stage("Judging accounts", len(todo)))
    return sorted([*reuse.values(), *fresh], key=lambda j: j.slug), set(reuse)


def _shared(run: Run, work: Work) -> tuple[Shared | None, list[Diagnostic]]:
    """What the workers share, made before they fork: the compiled templates above all."""
    options = run.options
    try:
        pages = start(run.memory.environment(options) if run.memory else site_environment(options), work.stage)
        compiled = compiled_templates(options)
        documents, problems = (document_templates(pdf_environment(options.templates, compiled)) if options.pdf
                               else ({}, []))
    except jinja2.TemplateError as exc:
        problems = [template_problem(exc)]
    if problems:
        return None, problems
    documents.pop("portfolio", None)
    work.prints.mkdir(parents=True, exist_ok=True)
    memory = run.memory
    return Shared(work.project, options, pages, documents, work.stage, work.prints,
                   frozenset(work.project.rules.signals), run.settings.max_note_bytes,
                   memory.parsed if memory is not None else None), []


def _judged_cleanly(run: Run, work: Work, judged: list[Judged], outcome: Outcome) -> list[Diagnostic] | None:
    """Every account's problems, and the rules' failures merged across accounts. When there is no
    error and a review, `outcome.project` holds the verdicts for the portfolio, and the result is
    what the cache keeps of the diagnostics (not the notes dated after today); else None."""
    survey = run.survey
    outcome.diagnostics += survey.problems + [d for j in judged for d in j.diagnostics] \
        + failure_problems(f for j in judged for f in j.failures)
    kept = list(outcome.diagnostics)  # what the cache keeps: the notes dated after today are told apart each time
    days = [d for j in judged for d in j.days]
    found = review_of(run.options, days)
    if found is not None:
        outcome.diagnostics += future_notes([d for j in judged for d in j.later], found)
    outcome.diagnostics += [j.problem for j in judged if j.problem][:1]
    if found is None and not errors_only(outcome.diagnostics):
        outcome.diagnostics.append(nothing(run.options, bool(days)))
    elif found is not None and not errors_only(outcome.diagnostics) and (
            problem := before_every_note(run.options, found, days, survey.shown)):
        outcome.diagnostics.append(problem)  # an empty report would replace the last one
    if errors_only(outcome.diagnostics) or found is None:
        return None
    if found != work.review:  # the survey's dates are the parser's (tests/test_dates.py): never a second guess
        raise RuntimeError(f"the review planned ({work.review}) is not the one the parsed notes give ({found})")
    model = work.project.model
    verdicts = portfolio_verdicts(judged, model, found.quarter, run.memory.lazy if run.memory else None)
    outcome.project = Project(run.settings, work.project.portfolio, work.project.rules, model, found.quarter,
                              tuple(verdicts), found.as_of)
    outcome.accounts, outcome.quarter = len(verdicts), str(found.quarter)
    return kept


def _publish(run: Run, work: Work, judged: list[Judged], made: Made, outcome: Outcome) -> None:
    """The staged output in place of the last one: updated in place, or swapped in whole."""
    names = sorted([*made.common, *(name for j in judged for name in (*j.files, *j.prints))])
    outcome.written = sorted([*names, MARKER])
    state = run.state
    if work.in_place and state is not None:
        fresh = sorted(files_in(work.stage))
        publish.update(work.stage, run.options.out, fresh, sorted(set(state.published) - set(names)))
    else:
        publish.publish(work.stage, run.options.out)


def remember(run: Run, work: Work, judged: list[Judged], made: tuple[set[str], Made, list[Diagnostic]],
             outcome: Outcome) -> None:
    """After a successful publish: each account's keys and result, and the published files' stats
    (and, for a process that builds again, what it keeps in memory). `made`: the accounts reused,
    what the portfolio stage wrote, and the diagnostics that do not depend on today."""
    reused, portfolio, kept = made
    state, out = run.state, run.options.out
    accounts: dict[str, bytes] = {}
    fresh: dict[str, AccountRecord] = {}
    published = published_stats(out, portfolio.common)
    for j in judged:
        if state is not None and j.slug in reused:  # the same files, hard-linked: the same stats
            accounts[j.slug] = state.accounts[j.slug]
            published.update((name, state.published[name]) for name in j.files + j.prints)
            continue
        input_key = run.survey.accounts[j.slug].key
        files = published_stats(out, [*j.files, *j.prints])
        fresh[j.slug] = AccountRecord(input_key, work.output_key(input_key), j, files)
        accounts[j.slug] = pickle.dumps(fresh[j.slug], protocol=pickle.HIGHEST_PROTOCOL)
        published.update(files)
    review = work.review
    saved = save_state(out, State(run.key, run.whole, str(review.quarter), review.as_of.isoformat(), accounts,
                                  dict(sorted(published.items())), portfolio.pdf, tuple(kept),
                                  outcome.accounts, portfolio_page=portfolio.page,
                                  dates=tuple(sorted({d for j in judged for d in j.days})),
                                  later=tuple(sorted(d for j in judged for d in j.later)), packs=portfolio.packs),
                       state, {slug for slug in accounts if slug not in reused})
    run.index.save()
    if run.memory is not None:
        run.memory.state = saved
        run.memory.records = {j.slug: fresh.get(j.slug) or work.previous[j.slug] for j in judged}

