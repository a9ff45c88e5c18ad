"""One account as a unit of work: parse its files, judge it, write its pages, keep a little.

A build is an account-by-account affair: an account's pages and PDFs depend on its own
files, the rules, the templates, the settings, the review quarter and (for the PDFs' "notes
as of" date) the portfolio's last note date, and nothing else. So each account whose inputs
changed is processed on its own, in a forked worker, start to finish (`work_on`):
its notes are parsed, checked, evaluated and rendered, then dropped. What comes back, and
what the cache keeps, is small (`Judged`): its note dates, its diagnostics, its evaluator
failures, its `levels.json` entry, and its verdict stripped of the notes (`strip`), from
which the portfolio page and summary are drawn. No process ever holds every note at once.

Stripped verdicts are pickled with the rules' levels and model left out (`persistent_id`),
and put back with the live ones when read (`unpickle`): the rules are part of every cache
key, so a verdict is only ever read back under the rules that made it.
"""

from __future__ import annotations

import copyreg
import functools
import gc
import io
import pickle
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2

from ..config.options import Options
from ..core.diagnostics import Diagnostic, errors_only
from ..core.jsontext import indented
from ..notes.layout import FileJob
from ..notes.loader import ParseAll, ParsedFile, assemble_account, parse_file, parse_job, parse_jobs, read_capped
from ..notes.pictures import all_pictures
from ..render.documents import account_documents, plan_page, review_page, template_problem
from ..render.json_report import verdict_json
from ..render.sheets import sheet_rows
from ..render.site import account_context, row_context
from ..rules.engine import Evaluator, Verdict
from ..rules.judge import Project, judge_account
from ..rules.plan import later_notes
from ..rules.ruleset import Level, LevelModel
from .state import Judged, Light
from .workers import MIN_FILES_PER_WORKER, fork_map, slices, weighted_slices, workers_for


@dataclass(frozen=True)
class Shared:
    """What every account's work shares; made before the workers fork, so they inherit it."""

    project: Project  # judged nothing yet: settings, rules, model, quarter and as_of only
    options: Options
    pages: dict[str, jinja2.Template]  # review, plan and _row
    documents: dict[str, jinja2.Template]  # pdf/review and pdf/plan (empty without PDFs)
    stage: Path
    prints: Path  # where the PDFs' HTML waits for the printers
    signals: frozenset[str]
    max_bytes: int
    parsed: dict[tuple[str, str, bytes], ParsedFile] | None = None  # kept by a process that builds again (serve)


def work_on(shared: Shared, slug: str, jobs: Sequence[FileJob]) -> Judged:
    """Parse, check, judge (`rules.judge.judge_account`) and render one account."""
    parsed = [_parsed(shared, job) for job in jobs]
    account, found = assemble_account(slug, list(zip(jobs, parsed, strict=True)), shared.signals,
                                      shared.project.settings.max_image_bytes)
    safe = shared.project.settings.spec.share_safe
    dates = tuple(sorted(p.meta.date.toordinal() for p in parsed if p.kind == "note" and p.meta is not None
                         and not (safe and p.meta.private)))  # a private note does not even date the variant
    if account is None or errors_only(found):
        return Judged(slug, dates, tuple(found), (), None, None, (), ())
    project = shared.project
    later = later_notes(((n.date, n.path, n.line_of("date")) for n in account.notes
                         if not (safe and n.meta.private)), project.as_of)
    ev = Evaluator()
    verdict, problems = judge_account(account, project, ev)
    found += problems
    if verdict is None:  # the relationship began after the day under review
        return Judged(slug, dates, tuple(found), (), None, None, (), (), later=later)
    files, prints, row, problem = _render(shared, verdict)
    entry = verdict_json(verdict)
    return Judged(slug, dates, tuple(found), ev.failures(), pickled(strip(verdict), project.model),
                  _entry(entry), files, prints, problem, light(verdict), row, later, sheet_rows(entry))


def _render(shared: Shared, v: Verdict) -> tuple[tuple[str, ...], tuple[str, ...], str, Diagnostic | None]:
    """Its review and plan pages, its row of the portfolio table, and its PDFs' HTML."""


    files: list[str] = []
    prints: list[str] = []
    row = ""
    for picture in all_pictures(v.account):  # content-addressed: one file per distinct image
        target = shared.stage / picture.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(picture.data)
        files.append(picture.name)
    try:
        context = account_context(shared.project, v)
        for name, page in ((review_page(v.account.slug), "review"), (plan_page(v.account.slug), "plan")):
            (shared.stage / name).write_text(shared.pages[page].render(context), "utf-8")
            files.append(name)
        row = shared.pages["_row"].render(row_context(shared.project, v))
        if shared.documents:
            for job in account_documents(shared.project, v, shared.documents):
                (shared.prints / (job.name.replace("/", "_") + ".html")).write_text(job.html, "utf-8")
                prints.append(job.name)
    except jinja2.TemplateError as exc:
        return tuple(files), tuple(prints), row, template_problem(exc)
    return tuple(files), tuple(prints), row, None


def parse_in(jobs: int) -> ParseAll:
    """`loader.load_notes`'s parsing, spread over `jobs` forked processes."""
    def parse(files: Sequence[FileJob], max_bytes: int) -> list[ParsedFile]:
        parts = slices(len(files), workers_for(len(files), jobs))
        return [parsed for chunk in fork_map(lambda i: parse_jobs([files[k] for k in parts[i]], max_bytes), len(parts))
                for parsed in chunk]

    return parse


def run_accounts(shared: Shared, work: Sequence[tuple[str, Sequence[FileJob]]], jobs: int,
                 tick: Callable[[int], None] | None = None) -> list[Judged]:
    """`work_on` for every account of `work`, in `jobs` forked workers; results in order.
    Workers take contiguous slices, balanced by the number of files."""

    files = sum(len(f) for _, f in work)
    parts = weighted_slices([len(f) for _, f in work], max(1, min(jobs, files // MIN_FILES_PER_WORKER)))

    def task(i: int) -> list[Judged]:
        was = gc.isenabled()
        gc.disable()  # no collection while an account is worked on: it would scan its live notes again and again
        gc.freeze()  # what the process holds stays
        try:
            done = []
            for k in parts[i]:
                done.append(work_on(shared, *work[k]))
                gc.collect(0)  # what the account left behind in cycles; what survives is never scanned again
                if tick:
                    tick(i)
            return done
        finally:
            if was:
                gc.enable()
            gc.unfreeze()

    return [judged for chunk in fork_map(task, len(parts)) for judged in chunk]


# -- the stripped verdict -----------------------------------------------------------------------


def strip(v: Verdict) -> Verdict:
    """The verdict without the notes and their sources: what the portfolio page and summary read."""
    return replace(v, account=replace(v.account, notes=(), profile="", lines={}, pictures=()),
                   window=replace(v.window, sources={}))


def light(v: Verdict) -> Light:
    return (v.account.slug, v.account.name, v.account.meta.owner, v.level.key, v.previous.key if v.previous else None,
            v.target.key if v.target else None, v.movement, v.trust, v.open_invest,
            tuple((i.key, i.title, i.severity, i.message, i.move) for i in v.insights))


class Lazy:
    """Some attributes known up front, any other read from the full object, loaded on first use.

    The portfolio page and summary read a few facts of every account (name, owner, level,
    movement, trust quotient, insights) and more only of the few they list in full; these
    stand-ins for the cached stripped verdicts answer the former at once and unpickle the
    verdict only for the latter. Templates cannot tell the difference."""

    def __init__(self, known: dict[str, Any], load: Callable[[], Any]) -> None:
        self.__dict__.update(known)  # found by plain attribute lookup: as fast as the real thing
        self.__dict__["_load"] = load

    def __getattr__(self, name: str) -> Any:  # only for what is not known
        if name.startswith("__"):  # protocol probes (__html__, __len__...) would needlessly load the verdict
            raise AttributeError(name)
        return getattr(self._load(), name)


def portfolio_verdicts(judged: Sequence[Judged], model: LevelModel, quarter: Any,
                       kept: dict[str, tuple[Judged, Any, Any]] | None = None) -> list[Verdict]:
    """Every judged account's verdict, as the portfolio reads it (`Lazy`). `kept`: those made by an
    earlier build of this process, by slug, reused for the same result, model and quarter."""
    found: list[Any] = []
    for j in judged:
        if j.verdict is None or j.light is None:
            continue
        hit = kept.get(j.slug) if kept is not None else None
        if hit is not None and hit[0] is j and hit[1] == (id(model), quarter):
            found.append(hit[2])
            continue
        found.append(_lazy(j.verdict, j.light, model, quarter))
        if kept is not None:
            kept[j.slug] = (j, (id(model), quarter), found[-1])
    return found


def _lazy(verdict: bytes, light: Light, model: LevelModel, quarter: Any) -> Any:
    levels = {level.key: level for level in model.levels}
    full = functools.cache(functools.partial(_one, verdict, model))
    slug, name, owner, level, previous, target, movement, trust, invest, insights = light
    meta = Lazy({"owner": owner}, lambda f=full: f().account.meta)  # type: ignore[misc]
    account = Lazy({"slug": slug, "name": name, "meta": meta}, lambda f=full: f().account)  # type: ignore[misc]
    keys = ("key", "title", "severity", "message", "move")
    shown = tuple(Lazy(dict(zip(keys, i, strict=True)), functools.partial(_insight, full, n))
                  for n, i in enumerate(insights))
    return Lazy({"account": account, "model": model, "quarter": quarter, "level": levels[level],
                 "previous": levels[previous] if previous else None,
                 "target": levels[target] if target else None, "movement": movement, "trust": trust,
                 "open_invest": invest, "insights": shown}, full)


def _parsed(shared: Shared, job: FileJob) -> ParsedFile:
    """A file parsed, or the same bytes parsed by an earlier build of this process: after one save,
    only the saved note is parsed again, not its account's other notes."""
    if shared.parsed is None or job.kind == "image":
        return parse_job(job, shared.max_bytes)
    try:
        data = read_capped(job.real, shared.max_bytes)
    except OSError:
        return parse_job(job, shared.max_bytes)
    key = (job.path, job.kind, data)
    found = shared.parsed.get(key)
    if found is None:
        if len(shared.parsed) > PARSED_KEPT:
            shared.parsed.clear()
        found = shared.parsed[key] = parse_file(job.path, data, job.kind, shared.max_bytes)
    return found


PARSED_KEPT = 20_000  # files


def _one(data: bytes, model: LevelModel) -> Verdict:
    return unpickle([data], model)[0]


def _insight(full: Callable[[], Verdict], n: int) -> Any:
    return full().insights[n]


def pickled(v: Verdict, model: LevelModel) -> bytes:
    """The verdict, pickled with the model and its levels left out: they are put back by `unpickle`.
    A reducer per type (`dispatch_table`) finds them at C speed; a `persistent_id` would be a Python
    call for each of the verdict's thousands of objects."""
    levels = {id(level): level.key for level in model.levels}

    def level(obj: Level) -> Any:
        key = levels.get(id(obj))
        return (_live, ("level", key)) if key is not None else obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)

    def whole(obj: LevelModel) -> Any:
        return (_live, ("model", "")) if obj is model else obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, Level: level, LevelModel: whole}
    pickler.dump(v)
    return zlib.compress(buffer.getvalue(), 1)  # kept for every account, read for a few: worth a quarter the bytes


def _live(kind: str, key: str) -> Any:
    raise RuntimeError("a pickled verdict is read with `unpickle`, which puts the live model back")


def unpickle(data: Sequence[bytes], model: LevelModel) -> list[Verdict]:
    levels = {level.key: level for level in model.levels}

    def live(kind: str, key: str) -> Any:
        return model if kind == "model" else levels[key]

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            return live if (module, name) == (__name__, "_live") else super().find_class(module, name)

    return [Unpickler(io.BytesIO(zlib.decompress(item))).load() for item in data]


def _entry(data: dict[str, Any]) -> bytes:
    """An account's entry of levels.json, indented as an item of the list (`write_levels_json`), in
    UTF-8 and compressed: about 25 KB of text, of which the cache and the parent keep a sixth."""
    return zlib.compress(("  " + indented(data, 1)).encode(), 1)


def write_levels_json(path: Path, entries: Sequence[bytes]) -> None:
    """levels.json from the accounts' entries (`_entry`): the bytes `json.dumps(list, indent=2)`
    would give, written an entry at a time (at 2,000 accounts it is 50 MB, which as one string and
    then as its bytes would be allocated, and faulted in, twice)."""
    with open(path, "wb") as out:
        if not entries:
            out.write(b"[]\n")
            return
        out.write(b"[\n")
        for n, entry in enumerate(entries):
            if n:
                out.write(b",\n")
            out.write(zlib.decompress(entry))
        out.write(b"\n]\n")
