"""`allyreport serve`: build, serve the output folder, rebuild what each save changed, reload.

One long-running process, so nothing is paid twice: the interpreter and the imports once,
the rules and the templates loaded and compiled once (again only when they change), the
last build's records kept in memory (`Memory`), and the notes folder never surveyed again:
the watcher says which files changed, and only their accounts are looked at. Every rebuild
is an ordinary `build` (same output, same cache, same publish), so `allyreport build`
afterwards finds everything up to date.

The lock on the output folder is held for the whole session: another build of the same
output is refused while the preview runs, and the memory can trust that the output is
what it last published.

A session may outlive its day: the review is as of today while the quarter runs, so when the
date changes (past midnight) the pages are built again as of the new day, as a `build` would
build them then. Today is `rules.plan.today()`, looked up at each round.
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import signal
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

from ..build import publish
from ..build.memory import Memory
from ..build.pipeline import build
from ..build.run import Outcome
from ..build.state import load_state
from ..config.options import Options
from ..config.settings import SETTINGS_FILE, Settings, load_settings
from ..core.diagnostics import Diagnostic, counts, display_path, errors_only, render_text
from ..rules import plan
from .server import Server, Site
from .watch import Changes, Watcher


@dataclass(frozen=True)
class Address:
    host: str
    port: int
    open_browser: bool = False


@dataclass
class Preview:
    """The session: what is built from, where it is served, what it keeps."""

    config: Path | None  # --config, if given
    settings: Settings
    options: Options
    site: Site
    memory: Memory
    debug: bool = False


def serve(config: Path | None, settings: Settings, options: Options, address: Address, debug: bool = False) -> int:
    """Build, then serve and rebuild until Ctrl-C (or SIGTERM): exit 0, the lock released and
    the output as the last good build left it."""
    if not _loopback(address.host):
        print(f"allyreport: warning: serving on {address.host}: every client's reports become readable by anyone "
              "who can reach this machine on the network; the default, 127.0.0.1, keeps them on this computer",
              file=sys.stderr)
    site = Site(options.out)
    try:
        server = Server(address.host, address.port, site)
    except OSError as exc:
        print(f"allyreport: cannot serve on {address.host}:{address.port}: {exc.strerror or exc}; "
              "choose another --port", file=sys.stderr)
        return 1
    preview = Preview(config, settings, replace(options, today=options.today or plan.today()), site, Memory(), debug)
    watcher = Watcher(options.notes, watched_files(config, settings), options.templates, watched_styles(settings))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                              name="allyreport-http")
    try:
        publish.check_output_dir(options.out, options.notes, options.templates)
        with publish.locked(options.out):
            watcher.wait_ready()  # in place before the first build: no save can slip between the two
            _first(preview)
            thread.start()
            print(f"Serving {display_path(options.out)}/ on {server.url} (watching {_watched(preview)}; "
                  "Ctrl-C to stop)", flush=True)
            if address.open_browser:
                webbrowser.open(server.url)
            with _stopping() as stop:
                _loop(preview, watcher, stop)
    except publish.PublishError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # during the first build: it cleaned up after itself
        pass
    finally:
        watcher.close()
        site.close()
        if thread.is_alive():
            server.shutdown()
        server.server_close()
    print("allyreport serve: stopped", flush=True)
    return 0


@contextlib.contextmanager
def _stopping() -> Iterator[threading.Event]:
    """SIGINT and SIGTERM end the loop between rebuilds instead of interrupting one; a second one
    interrupts at once. (Until the first build is done, Ctrl-C interrupts it as it does `build`.)"""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def watched_files(config: Path | None, settings: Settings) -> list[Path]:
    """The settings file (where it would be found, even before it exists) and the firm's rules."""
    settings_file = config or (settings.base / SETTINGS_FILE if settings.source else Path.cwd() / SETTINGS_FILE)
    return [settings_file.absolute(), *(r.absolute() for r in settings.rules_files)]


def watched_styles(settings: Settings) -> list[Path]:
    """The settings' extra stylesheet: a change to it is a change to the templates."""
    return [settings.extra_css.absolute()] if settings.extra_css is not None else []


def _watched(preview: Preview) -> str:
    parts = [f"{display_path(preview.options.notes)}/"]
    if preview.options.templates:
        parts.append(f"{display_path(preview.options.templates)}/")
    parts += [display_path(p) for p in [*watched_files(preview.config, preview.settings), *watched_styles(preview.settings)]
              if p.exists()]
    return ", ".join(parts)


def _first(preview: Preview) -> None:
    """The first build; when it fails, the last good output (from an earlier build) is served."""
    started = time.perf_counter()
    outcome = _build(preview)
    if outcome.ok:
        preview.site.show(outcome.written, ())
        _summary(outcome, started, "built")
        return
    state = load_state(preview.options.out)
    names = state.published if state is not None and (preview.options.out / publish.MARKER).is_file() else None
    preview.site.show(names, _lines(outcome.diagnostics))


def _loop(preview: Preview, watcher: Watcher, stop: threading.Event) -> None:
    _settle()
    while not stop.is_set():
        while not watcher.problems.empty():
            print(f"allyreport serve: {watcher.problems.get()}", file=sys.stderr, flush=True)
        changes = watcher.next(timeout=0.2)
        if changes or plan.today() != preview.options.today:  # a save, or midnight
            _round(preview, changes or Changes(frozenset(), False, False), watcher)
            _settle()


def _settle() -> None:
    """After a build (and its reload event): collect its garbage, then keep what is left out of
    the collector's way. A full collection over the kept records of thousands of accounts would
    otherwise land in the middle of some later rebuild."""
    gc.collect()
    gc.freeze()


def _round(preview: Preview, changes: Changes, watcher: Watcher) -> None:
    """One rebuild: only what `changes` touched (and everything dated, on a new day); then the
    reload event, or the problems."""
    started = time.perf_counter()
    if (today := plan.today()) != preview.options.today:
        preview.options = replace(preview.options, today=today)
        print(f"{time.strftime('%H:%M:%S')} today is {today}: the review is built again as of it", flush=True)
    if changes.config and not _reload_settings(preview, watcher):
        return
    preview.memory.changed(changes.notes, config=changes.config, templates=changes.templates)
    outcome = _build(preview)
    if not outcome.ok:
        preview.site.show(None, _lines(outcome.diagnostics))
        return
    if outcome.reused and not preview.site.problems:
        return  # nothing a page shows changed (a file the build does not read): no reload
    preview.site.show(outcome.written, ())
    _summary(outcome, started, "rebuilt")


def _reload_settings(preview: Preview, watcher: Watcher) -> bool:
    """The settings read again, and the files they now name watched."""
    settings, problems = load_settings(preview.config, Path.cwd())
    if settings is None:
        sys.stderr.write(render_text(problems))
        preview.site.show(None, _lines(problems))
        return False
    for key in ("notes", "output", "templates"):  # the folders serve watches, builds and serves: fixed for the session
        if getattr(settings.spec, key) != getattr(preview.settings.spec, key):
            print(f"allyreport serve: `{key}` changed in the settings; restart serve to use it", file=sys.stderr,
                  flush=True)
    preview.settings = settings
    watcher.watch(watched_files(preview.config, settings), watched_styles(settings))
    return True


def _build(preview: Preview) -> Outcome:
    """`build`, with what this process kept; a failure of any kind is shown, never fatal."""
    options = preview.options
    try:
        outcome = build(preview.settings, options, memory=preview.memory)
    except publish.PublishError as exc:
        preview.memory.forget()
        outcome = Outcome(diagnostics=[Diagnostic(exc.where, 0, exc.message)])
    except Exception as exc:  # shown in the page and the terminal; the session goes on
        if preview.debug:
            raise
        preview.memory.forget()
        outcome = Outcome(diagnostics=[Diagnostic("allyreport", 0, f"internal error: {exc!r} "
                                                                   "(run again with --debug for details)")])
    if outcome.diagnostics:
        sys.stderr.write(render_text(outcome.diagnostics))
        if errors_only(outcome.diagnostics):
            print(f"{counts(outcome.diagnostics)}; the browser shows them, and the last good pages stay served",
                  file=sys.stderr)
        sys.stderr.flush()
    return outcome


def _lines(diagnostics: list[Diagnostic]) -> list[str]:
    return render_text(diagnostics).splitlines()


def _summary(outcome: Outcome, started: float, verb: str) -> None:
    redone = outcome.accounts - outcome.unchanged
    what = ("nothing changed" if outcome.reused else
            f"{redone:,} of {outcome.accounts:,} accounts redone" if outcome.unchanged else
            f"{outcome.accounts:,} accounts")
    print(f"{time.strftime('%H:%M:%S')} {verb} {outcome.quarter}: {what} in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms", flush=True)

