"""The pipeline, in one function that reads like a table of contents (see `build`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, errors_only
from .engine import Verdict, evaluate, latest_quarter
from .loader import load_notes
from .model import Portfolio
from .quarters import Quarter
from .report import verdict_json
from .rules import LevelModel, RuleSet, load_rules
from .settings import Settings


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

    @property
    def ok(self) -> bool:
        return self.project is not None and not errors_only(self.diagnostics)


def judge(settings: Settings, options: Options) -> Outcome:
    """Load the rules and the notes, validate them, and evaluate every account."""
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
    portfolio, problems = load_notes(options.notes, _shown(options.notes), rules.signals, settings.max_note_bytes)
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
    from . import publish

    outcome = judge(settings, options)
    if not outcome.ok or outcome.project is None:
        return outcome
    project = outcome.project
    publish.check_output_dir(options.out, options.notes, options.templates)
    with publish.locked(options.out):
        stage = publish.staging_dir(options.out)
        try:
            write_json(project, stage)
            outcome.diagnostics += render(project, options, stage)
            if errors_only(outcome.diagnostics):
                publish.discard(stage)
                return outcome
            outcome.written = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
            publish.publish(stage, options.out)
        except BaseException:
            publish.discard(stage)
            raise
    return outcome


def render(project: Project, options: Options, stage: Path) -> list[Diagnostic]:
    from .site import render_site

    problems = render_site(project, options, stage)
    if options.pdf and not errors_only(problems):
        from .pdf import render_pdfs

        problems += render_pdfs(project, options, stage)
    return problems


def write_json(project: Project, stage: Path) -> None:
    data = [verdict_json(v) for v in project.verdicts]
    (stage / "levels.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _shown(path: Path) -> str:
    from .diagnostics import display_path

    return display_path(path).rstrip("/")
