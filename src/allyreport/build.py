"""The pipeline, in one function that reads like a table of contents (see `build`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import parallel
from .diagnostics import Diagnostic, errors_only
from .settings import Settings

if TYPE_CHECKING:  # the judging modules load only when something is judged: a reused build never needs them
    from . import cache
    from .engine import Verdict
    from .model import Portfolio
    from .quarters import Quarter
    from .rules import LevelModel, RuleSet


MAX_UNREAD = 2000  # more changed notes than this: skip hashing up front, the parser hashes them


@dataclass(frozen=True)
class Options:
    notes: Path
    out: Path
    quarter: str | None = None
    model: str | None = None
    pdf: bool = True
    jobs: int = 1
    templates: Path | None = None


@dataclass(frozen=True)
class Project:
    """Everything judged, nothing rendered: the input to every renderer."""

    settings: Settings
    portfolio: Portfolio
    rules: RuleSet
    model: LevelModel
    quarter: Quarter
    verdicts: tuple[Verdict, ...]


@dataclass
class Outcome:
    project: Project | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    accounts: int = 0
    quarter: str = ""
    reused: bool = False  # nothing changed: the previous output was published again

    @property
    def ok(self) -> bool:
        return (self.project is not None or self.reused) and not errors_only(self.diagnostics)


def judge(settings: Settings, options: Options, learn: parallel.Learn | None = None) -> Outcome:
    """Load the rules and the notes, validate them, and evaluate every account."""
    from .engine import evaluate, latest_quarter
    from .quarters import Quarter
    from .rules import load_rules

    outcome = Outcome()
    rules, problems = load_rules(settings.rules_files)  # shown relative to the working directory
    outcome.diagnostics += problems
    if rules is None:
        return outcome
    model_key = options.model or settings.spec.model or rules.default_model
    if model_key not in rules.models:
        outcome.diagnostics.append(Diagnostic(settings.source or "--model", 0, f"unknown model '{model_key}'; "
                                              f"choose one of {', '.join(rules.models)}"))
        return outcome
    portfolio, problems = parallel.load_notes(options.notes, _shown(options.notes), rules.signals,
                                              settings.max_note_bytes, options.jobs, learn)
    outcome.diagnostics += problems
    if errors_only(outcome.diagnostics):
        return outcome
    quarter = Quarter.parse(options.quarter) if options.quarter else latest_quarter(portfolio)
    if quarter is None:
        outcome.diagnostics.append(Diagnostic(_shown(options.notes), 0, "no notes yet; nothing to report"))
        return outcome
    verdicts, problems = evaluate(portfolio, rules, model_key, quarter)
    outcome.diagnostics += problems
    outcome.project = Project(settings, portfolio, rules, rules.models[model_key], quarter, tuple(verdicts))
    return outcome


def build(settings: Settings, options: Options) -> Outcome:
    """load notes -> validate -> evaluate rules -> render HTML -> render PDF -> publish atomically."""
    with parallel.no_gc():
        return _build(settings, options)


def _build(settings: Settings, options: Options) -> Outcome:
    from . import cache, publish

    index = cache.StatIndex(cache.folder(options.out) / "stat-index")
    key = cache.build_key(settings, options, _shown(options.notes), index, max_unread=MAX_UNREAD)
    entry = cache.load(options.out)
    if key is not None and entry is not None and entry.key == key:
        publish.check_output_dir(options.out, options.notes, options.templates)
        with publish.locked(options.out):
            if cache.output_intact(options.out, entry):
                return _republish(options.out, entry)
    outcome = judge(settings, options, learn=index.learn)
    if not outcome.ok or outcome.project is None:
        return outcome
    outcome.accounts, outcome.quarter = len(outcome.project.verdicts), str(outcome.project.quarter)
    _render_and_publish(outcome, options)
    if outcome.written:
        key = key or cache.build_key(settings, options, _shown(options.notes), index)
        assert key is not None
        cache.record(options.out, key, outcome.diagnostics, outcome.accounts, outcome.quarter)
        index.save()
    return outcome


def _republish(out: Path, entry: cache.Entry) -> Outcome:
    """Nothing changed: the previous output, hard-linked into a staging folder and swapped in."""
    from . import cache, publish

    stage = publish.staging_dir(out)
    try:
        cache.link_into(out, entry, stage)
        publish.publish(stage, out)
    except BaseException:
        publish.discard(stage)
        raise
    return Outcome(None, list(entry.diagnostics), sorted([*entry.files, publish.MARKER]), entry.accounts,
                   entry.quarter, reused=True)


def _render_and_publish(outcome: Outcome, options: Options) -> None:
    from . import publish

    assert outcome.project is not None
    project = outcome.project
    publish.check_output_dir(options.out, options.notes, options.templates)
    with publish.locked(options.out):
        stage = publish.staging_dir(options.out)
        try:
            write_json(project, stage)
            outcome.diagnostics += render(project, options, stage)
            if errors_only(outcome.diagnostics):
                publish.discard(stage)
                return
            written = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
            publish.publish(stage, options.out)
            outcome.written = written
        except BaseException:
            publish.discard(stage)
            raise


def render(project: Project, options: Options, stage: Path) -> list[Diagnostic]:
    from .site import render_site

    problems = render_site(project, options, stage)
    if options.pdf and not errors_only(problems):
        from .pdf import render_pdfs

        problems += render_pdfs(project, options, stage)
    return problems


def write_json(project: Project, stage: Path) -> None:
    from .report import verdict_json

    data = [verdict_json(v) for v in project.verdicts]
    (stage / "levels.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _shown(path: Path) -> str:
    from .diagnostics import display_path

    return display_path(path).rstrip("/")
