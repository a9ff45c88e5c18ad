"""The pipeline, in one function that reads like a table of contents (see `build`).

A build surveys the notes and stops there when nothing changed. Only then does it import
`rebuild`, the side that loads the rules, the engine and the renderers: the one lazy
boundary, so a build with nothing to do stays quick (tests/test_judging.py checks what it
loads). `judge` (check, levels, explain) crosses the same boundary at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.options import Options, cache_folder
from ..config.settings import Settings
from ..core.diagnostics import Diagnostic, display_path
from ..core.progress import Progress
from ..notes.layout import FileJob
from ..rules.plan import Dated, future_notes
from . import publish, store, workers
from .keys import combine, global_key, template_keys
from .memory import warm_survey
from .publish import MARKER
from .run import Outcome, Run, review_of
from .state import State, exactly, load_state, records
from .stats import Stat, StatIndex
from .survey import Scanned, Survey, scan_files
from .survey import survey as survey_notes

if TYPE_CHECKING:
    from .memory import Memory


def judge(settings: Settings, options: Options) -> Outcome:
    """Load the rules and every note, validate them, and evaluate every account (the commands
    that report on all accounts at once; `build` works account by account)."""
    from .rebuild import judge_all  # the lazy boundary (see the module's docstring)

    return judge_all(settings, options)


def build(settings: Settings, options: Options, progress: Progress | None = None,
          memory: Memory | None = None) -> Outcome:
    """survey the notes -> reuse unchanged accounts -> parse, judge and render the others, each in
    one go, in workers -> the portfolio -> print the PDFs -> publish (see `account`, `survey`, `state`, `publish`).
    A build that fails changes nothing in the output. `memory`: what a long-running process kept
    from its last build, and the paths changed since (`memory.Memory`)."""
    real = publish.check_output_dir(options.out, options.notes, options.templates)  # every refusal first
    try:
        with publish.locked(options.out, real), workers.no_gc():
            publish.recover(real)  # what a killed build left halfway is finished before anything else
            # from here on, publish.standing(real) says which output stands at the path
            return _build(settings, dataclasses.replace(options, out=real), progress or Progress(), memory)
    except OSError as exc:  # a full disk, a folder gone read-only: one line, and which output stands
        _failed(memory, real)
        raise publish.fault(exc, options.out, real) from exc
    except BaseException:
        _failed(memory, real)
        raise


def _failed(memory: Memory | None, real: Path) -> None:
    """After a failed or interrupted build: what a memory holds may be half updated (the next build
    reads the disk), and what this build staged or printed goes, unless the next command must
    finish the update (an interruption can land just before a stage's own clean-up)."""
    if memory is not None:
        memory.forget()
    with contextlib.suppress(OSError):
        if not publish.pending(real):
            publish.remove_stale(real.parent.glob(f".{real.name}.staging-*"))
        store.remove_stale(cache_folder(real))


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
        store.remove_stale(cache_folder(out))  # what a build that failed to clean up left (a few entries)
        index.save()
        if memory is not None and not warm:
            memory.state, memory.records = state, records(state)
        return Outcome(None, [*state.diagnostics, *_future(options, state.later, state.dates)],
                       sorted([*_names(state), MARKER]), state.judged, state.quarter, reused=True,
                       unchanged=state.judged)
    from .rebuild import rebuild  # the lazy boundary: from here on the rules, the engine and the renderers load

    return rebuild(Run(settings, options, progress, memory, index, state, key, templates, whole, survey))


def _survey(settings: Settings, options: Options, published: dict[str, Stat],
            progress: Progress, memory: Memory | None) -> Survey:
    """Which files are there, and each account's input key: the files whose stat changed are read
    (in workers when many) to hash them and date the notes. A process that keeps a `memory` is
    told which paths changed: only their accounts are looked at."""
    def scan(files: list[FileJob]) -> list[Scanned | None]:
        return scan_files(files, settings.max_note_bytes, options.jobs, progress.stage("Reading notes", len(files)),
                          settings.max_image_bytes)

    found = warm_survey(memory, options.notes, _shown(options.notes), options.out, scan) if memory else None
    if found is None:
        found = survey_notes(options.notes, _shown(options.notes), options.out, scan, published)
    if memory is not None:
        memory.files, memory.pending = found[1], set()
    return found[0]


def _same_review(options: Options, state: State) -> bool:
    """The last build reviewed the quarter and as-of date that its notes' dates give today."""
    review = review_of(options, state.dates)
    return review is not None and (str(review.quarter), review.as_of.isoformat()) == (state.quarter, state.as_of)


def _future(options: Options, later: Iterable[Dated], dates: Iterable[int]) -> list[Diagnostic]:
    """The notes dated after today, told apart at each build (today moves, the cache does not)."""
    review = review_of(options, dates)
    return future_notes(later, review) if review is not None else []


def _names(state: State) -> list[str]:
    return list(state.published)


def _shown(path: Path) -> str:
    return display_path(path).rstrip("/")
