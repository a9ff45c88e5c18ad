"""The PDF reports: the documents `pdfdocs` writes as HTML, printed with WeasyPrint.

Why it is built this way:

- WeasyPrint's cost is layout and font subsetting. One `FontConfiguration` and the parsed
  CSS (`Printer`) are built once per process and reused for every document; the fonts are
  two or three static Open Sans faces, the cheapest to subset of the fonts measured.
- Documents are independent, so `--jobs N` prints them in N worker processes, each given an
  HTML string and a file name, never the Project; jobs=1 prints in this process.
- A PDF reads nothing but the templates and the packaged fonts: `SafeFetcher` refuses the
  network and every other file, and a refused fetch, like any error WeasyPrint logs, fails
  the build with a Diagnostic instead of leaving a hole in a report.
- The same notes give byte-identical PDFs: every date in them comes from the notes
  (`dcterms.created`), identifiers are hashes of the content, nothing reads the clock.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import concurrent.futures as cf
import logging
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import jinja2
import ttf_opensans

from ..core.diagnostics import Diagnostic, display_path
from ..core.processes import as_worker, quiet_resource_tracker, signals_blocked
from ..notes.pictures import EXTENSIONS
from .documents import template_problem
from .segments import SegmentCache, segments_folder
from .templating import DEFAULT_TEMPLATES, find_asset

if TYPE_CHECKING:
    from ..config.options import Options
    from ..config.settings import Settings
    from ..core.progress import Tick
    from .documents import PdfJob

MAX_ASSET_BYTES = 8 * 1024 * 1024
FONT_DIR = Path(ttf_opensans.__file__).resolve().parent / "ttf"
FONT_FACES = (("Regular", "normal", 400), ("Bold", "normal", 700), ("Italic", "italic", 400))
FONT_EPOCH = "946684800"  # 2000-01-01: the modified date written into every embedded font
IN_FLIGHT_PER_WORKER = 4  # documents queued per worker: enough to keep it busy, few held in memory


class RefusedFetch(ValueError):
    """A URL the PDF may not read; the message says why, `name` is what a template would call it."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Setup:
    """What a printer needs, picklable so each worker can build its own."""

    roots: tuple[str, ...]  # folders a PDF may read files from (resolved)
    base_url: str  # relative URLs in the templates resolve against this folder
    stylesheet: str  # print.css, the firm's own if it has one
    page_size: str
    variant: str
    stamp: tuple[int, int] = (0, 0)  # the stylesheets' mtime and size: an edited one is parsed again
    extra: str = ""  # the settings' extra_css, after print.css


def make_setup(page_size: str, variant: str, override: Path | None, extra: Path | None = None) -> Setup:
    """The extra stylesheet's folder is readable too, for the fonts and logos it names."""
    folders = [p for p in (override, DEFAULT_TEMPLATES, FONT_DIR, extra.parent if extra else None) if p is not None]
    roots = tuple(dict.fromkeys(str(p.resolve()) for p in folders))
    base = (override or DEFAULT_TEMPLATES).resolve()
    css = find_asset("print.css", override).resolve()
    stamp = (0, 0)
    for sheet in (css, extra):
        stat = sheet.stat() if sheet is not None and sheet.is_file() else None
        stamp = (stamp[0] ^ stat.st_mtime_ns, stamp[1] + stat.st_size) if stat else stamp
    return Setup(roots, base.as_uri() + "/", str(css), page_size, variant, stamp, str(extra.resolve()) if extra else "")


# -- reading files: the templates and the fonts, nothing else -------------------------------


def check_url(url: str, roots: Iterable[str], max_bytes: int = MAX_ASSET_BYTES) -> Path:
    """The regular file a `file:` URL names, if it lies inside one of `roots`; else RefusedFetch."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedFetch(f"refused to fetch {url}: a report reads only the templates and fonts, never the network",
                           url)
    path = Path(unquote(parts.path)).resolve()  # symlinks resolved: a link cannot lead outside
    name = Path(unquote(parts.path)).name
    if not any(path.is_relative_to(root) for root in roots):
        raise RefusedFetch(f"refused to read {path}: outside the templates and fonts folders", name)
    if not path.exists():
        raise RefusedFetch(f"cannot read {path}: no such file", name)
    if not path.is_file():
        raise RefusedFetch(f"refused to read {path}: not a regular file", name)
    if path.stat().st_size > max_bytes:
        raise RefusedFetch(f"refused to read {path}: larger than {max_bytes >> 20} MiB", name)
    return path


def inline_picture(url: str) -> tuple[str, bytes]:
    """The type and bytes of a `data:` URL as `pictures.data_uri` writes them; any other is refused."""
    head, _, payload = url.partition(",")
    mime = head.removeprefix("data:").removesuffix(";base64")
    if mime not in EXTENSIONS or not head.endswith(";base64"):
        raise RefusedFetch(f"refused to read {url[:40]}…: not a picture of a note", "data:")
    try:
        return mime, base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise RefusedFetch(f"refused to read {url[:40]}…: not valid base64", "data:") from None


def make_fetcher(roots: tuple[str, ...]) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeFetcher(URLFetcher):  # type: ignore[misc]
        """WeasyPrint's fetcher, reduced to reading allowed files; any failure stops the print."""

        def __init__(self) -> None:
            super().__init__(fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):  # a note's picture, inlined and checked (`pictures`); nothing is read
                mime, data = inline_picture(url)
                return URLFetcherResponse(url[:40], data, {"Content-Type": mime})
            path = check_url(url, roots)
            with path.open("rb") as handle:
                data = handle.read(MAX_ASSET_BYTES + 1)  # the file may have grown since it was checked
            if len(data) > MAX_ASSET_BYTES:
                raise RefusedFetch(f"refused to read {path}: larger than {MAX_ASSET_BYTES >> 20} MiB", path.name)
            return URLFetcherResponse(path.as_uri(), data)

    return SafeFetcher()


# -- the printer: fonts and CSS parsed once per process -------------------------------------


def font_faces_css() -> str:
    return "".join(
        f"@font-face {{ font-family: 'Open Sans'; src: url('{(FONT_DIR / f'OpenSans-{name}.ttf').as_uri()}'); "
        f"font-style: {style}; font-weight: {weight}; }}\n"
        for name, style, weight in FONT_FACES)


class Printer:
    """One font configuration and the parsed stylesheets, reused for every document."""

    def __init__(self, setup: Setup) -> None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        self.setup = setup
        self.fetcher = make_fetcher(setup.roots)
        self.fonts = FontConfiguration()
        page = f"@page {{ size: {setup.page_size}; }}"
        with captured(display_path(Path(setup.stylesheet)), setup.roots) as problems:
            self.css = [weasyprint.CSS(string=font_faces_css(), url_fetcher=self.fetcher, font_config=self.fonts),
                        weasyprint.CSS(filename=setup.stylesheet, url_fetcher=self.fetcher, font_config=self.fonts),
                        *([weasyprint.CSS(filename=setup.extra, url_fetcher=self.fetcher, font_config=self.fonts)]
                          if setup.extra else []),
                        weasyprint.CSS(string=page, font_config=self.fonts)]
        self.problems = problems

    def print(self, job: PdfJob, target: Path) -> list[Diagnostic]:
        import weasyprint

        if self.problems:
            return self.problems
        with captured(job.name, self.setup.roots) as problems, fixed_font_clock():
            html = weasyprint.HTML(string=job.html, base_url=self.setup.base_url, url_fetcher=self.fetcher)
            html.write_pdf(target, stylesheets=self.css, font_config=self.fonts, pdf_variant=self.setup.variant,
                           pdf_tags=True, pdf_identifier=True)
        return problems


@contextmanager
def fixed_font_clock() -> Iterator[None]:
    """fontTools stamps each subset font's `head.modified` with the clock unless
    SOURCE_DATE_EPOCH is set; a fixed stamp keeps the PDFs byte-identical across builds."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = FONT_EPOCH
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


_PRINTERS: dict[Setup, Printer] = {}
# Dropped before the interpreter tears its modules down: WeasyPrint's FontConfiguration frees its
# fonts in __del__, which fails ("Exception ignored in ... __del__") once cffi's module is gone.
atexit.register(_PRINTERS.clear)


def printer(setup: Setup) -> Printer:
    if setup not in _PRINTERS:
        _PRINTERS.clear()  # settings changed (another build in this process): start afresh
        _PRINTERS[setup] = Printer(setup)
    return _PRINTERS[setup]


class _Collect(logging.Handler):
    """Turns WeasyPrint's errors (a stylesheet or image it could not load) into Diagnostics."""

    def __init__(self, where: str) -> None:
        super().__init__(logging.WARNING)
        self.where = where
        self.found: list[Diagnostic] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        # An @font-face that cannot load is only a warning to WeasyPrint; for us it is a wrong font.
        if record.levelno >= logging.ERROR or message.startswith("Font-face"):
            self.found.append(Diagnostic(self.where, 0, f"WeasyPrint: {message}"))


@contextmanager
def captured(where: str, roots: tuple[str, ...]) -> Iterator[list[Diagnostic]]:
    """WeasyPrint's log records and a refused fetch during one print, as Diagnostics."""
    from weasyprint.urls import FatalURLFetchingError

    logger = logging.getLogger("weasyprint")
    handler, level = _Collect(where), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)  # whatever the application configured, errors must reach us
    problems: list[Diagnostic] = []
    try:
        yield problems
    except FatalURLFetchingError as exc:  # a BaseException: WeasyPrint stops at the first one
        problems.append(refusal(where, exc.__cause__ or exc, roots))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        problems.extend(handler.found)


def refusal(where: str, cause: BaseException, roots: tuple[str, ...]) -> Diagnostic:
    """The refused fetch, at the template line that names the file when a template does."""
    name = cause.name if isinstance(cause, RefusedFetch) else ""
    for template, number in _mentions(name, roots):
        return Diagnostic(template, number, f"{cause} (printing {where})")
    return Diagnostic(where, 0, str(cause))


def _mentions(name: str, roots: tuple[str, ...]) -> Iterator[tuple[str, int]]:
    if not name:
        return
    for root in map(Path, roots):
        if root == FONT_DIR:
            continue
        for file in sorted(root.rglob("*")):
            if file.suffix in (".html", ".css") and file.is_file():
                for number, line in enumerate(file.read_text("utf-8", "replace").splitlines(), 1):
                    if name in line:
                        yield display_path(file), number


# -- printing every document, in this process or in workers ----------------------------------


def print_documents(jobs: Iterable[PdfJob], settings: Settings, options: Options, stage: Path,
                    count: int, tick: Tick | None = None) -> list[Diagnostic]:
    """Print `count` documents under the staging folder, in `options.jobs` processes. Each is made a
    review-pack segment where it is printed (`render.segments`): in parallel, and while its
    bytes are in the page cache."""
    spec = settings.spec
    setup = make_setup(spec.page_size, spec.pdf_variant, options.templates, settings.extra_css)
    (stage / "pdf").mkdir(exist_ok=True)
    workers = min(options.jobs, count)
    segments = segments_folder(options.out)
    try:
        problems = (_in_workers(jobs, setup, stage, (workers, segments), tick) if workers > 1
                    else _in_process(jobs, setup, stage, segments, tick))
    except jinja2.TemplateError as exc:
        return [template_problem(exc)]
    return sorted(set(problems))  # a broken stylesheet is reported once, not once per document


def _in_process(jobs: Iterable[PdfJob], setup: Setup, stage: Path, segments: Path,
                tick: Tick | None = None) -> list[Diagnostic]:
    for job in jobs:
        problems = printer(setup).print(job, stage / job.name)
        if problems:  # the build fails: stop printing
            return problems
        SegmentCache(segments).of(stage / job.name)
        if tick:
            tick(0)
    return []


def _in_workers(jobs: Iterable[PdfJob], setup: Setup, stage: Path, pool_of: tuple[int, Path],
                tick: Tick | None = None) -> list[Diagnostic]:
    """At most a few documents per worker in flight, so 4,000 documents are never all in memory.
    `pool_of`: how many workers, and where they keep the segments."""
    workers, segments = pool_of
    problems: list[Diagnostic] = []
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited font state
    quiet_resource_tracker()
    with signals_blocked():
        pool = cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                      initargs=(setup, os.getpid()))
    try:
        pending: set[cf.Future[list[Diagnostic]]] = set()
        for job in jobs:
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                problems += [d for future in done for d in future.result()]
                if tick:
                    for _ in done:
                        tick(0)
            if problems:  # the build fails: print no more
                break
            with signals_blocked():  # a worker may be started here (see core.processes)
                pending.add(pool.submit(_print_in_worker, job, str(stage / job.name), str(segments)))
        for future in cf.as_completed(pending):
            problems += future.result()
            if tick:
                tick(0)
    except BaseException:  # interrupted, or a worker failed: stop the others now, not after their documents
        _stop(pool)
        raise
    pool.shutdown()
    return problems


def _stop(pool: cf.ProcessPoolExecutor) -> None:
    for process in list((pool._processes or {}).values()):  # no public way to stop a busy worker
        process.kill()  # not SIGTERM: one still starting holds it blocked (core.processes)
    pool.shutdown(wait=False, cancel_futures=True)


_WORKER: list[Printer] = []


def _start_worker(setup: Setup, parent: int) -> None:
    as_worker(parent)
    _WORKER.append(Printer(setup))


def _print_in_worker(job: PdfJob, target: str, segments: str) -> list[Diagnostic]:
    problems = _WORKER[0].print(job, Path(target))
    if not problems:
        SegmentCache(Path(segments)).of(Path(target))
    return problems
