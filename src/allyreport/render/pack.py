"""The review pack: one PDF to send leadership, assembled from the PDFs already printed.

`pdf/pack-<quarter>.pdf` is a contents page, the portfolio summary, then every account's
review and plan in portfolio order (by name, as the summary lists them). Nothing is printed
a second time but the contents: each part's objects are copied as they are, as a stream
(`segments`, `packfile`), so a pack of 2,000 accounts costs a copy, not a print, and its
memory is one part's, whatever the number of parts (docs/benchmarks.md).

What merging keeps and what it cannot:

- the parts' pages as printed, with their running headers naming the account ("Acme Foods ·
  Account review · 2026Q3") and their own "page 3 of 5" footers;
- their bookmarks, nested under one tree: Contents, Portfolio summary (its sections), then
  each account, its review and plan, and their sections;
- their internal links: a part's named destinations ("insights", "note-3") are the same
  names in every part, so each link is re-pointed at its page in the pack;
- their tagging: each part's structure tree becomes a /Part of the pack's, an account's review
  and plan one /Sect, the contents pages (printed tagged, as the parts are) the first; the
  pages' and links' keys into the parent tree are offset as the objects are (`segments`).
  What the pack does not claim is PDF/UA itself (docs/output.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pikepdf

from ..core.diagnostics import Diagnostic
from .packfile import Bookmark, PackFile
from .segments import FORMAT, SegmentCache, segments_folder

if TYPE_CHECKING:
    from ..config.options import Options
    from ..rules.judge import Project


@dataclass(frozen=True)
class Part:
    """One entry of the pack: the portfolio summary, or an account with its review and plan."""

    title: str  # the account's name, or "Portfolio summary"
    owner: str
    level: str
    documents: tuple[tuple[str, Path], ...]  # (kind, file): ("Account review", .../acme-review.pdf), ...


@dataclass(frozen=True)
class Entry:
    """A line of the contents page: where each document of a part starts in the pack (1-based)."""

    part: Part
    pages: tuple[int, ...]  # first page of each document, in `part.documents` order


FIRST_PAGE_ROWS, ROWS_PER_PAGE = 33, 43  # lines of the contents on its A4 pages (templates/pdf/contents.html)
CHUNK_PAGES = 10  # contents pages printed at a time: WeasyPrint holds every page of a document it lays out
# prints the contents page(s) for these entries, the first at this page of the pack (1: with the title); the PDF
Contents = Callable[[Sequence[Entry], int], Path]


def write_pack(target: Path, parts: Sequence[Part], contents: Contents, info: dict[str, str],
               segments: SegmentCache, language: str = "en") -> int:
    """Write the pack at `target`, part after part (`packfile`); returns its page count."""
    with open(target, "wb") as handle:
        pack = PackFile(handle)
        tops, counts = [], []
        for part in parts:
            top, sizes = _place_part(pack, part, segments)
            tops.append(top)
            counts.append(sizes)
        fronts = [pack.place(segments.of(path), at=i) for i, path in enumerate(_contents(parts, counts, contents))]
        pack.tag("Contents", [("Contents", front) for front in fronts], at=0)
        return pack.finish([Bookmark(fronts[0].item, "Contents", fronts[0].first_page, None), *tops], info, language)


def _place_part(pack: PackFile, part: Part, segments: SegmentCache) -> tuple[Bookmark, list[int]]:
    """Write a part's documents; its bookmark, with each document's below it, and their page counts."""
    documents, placings = [], []
    for kind, path in part.documents:
        placed = pack.place(segments.of(path))
        documents.append((Bookmark(placed.item, kind, placed.first_page, placed.outline), placed.pages))
        placings.append((kind, placed))
    pack.tag(part.title, placings)
    if len(documents) == 1 and part.title == documents[0][0].title:
        return documents[0][0], [documents[0][1]]
    top = pack.allocate()
    below = pack.bookmarks(top, [item for item, _ in documents])
    return Bookmark(top, part.title, documents[0][0].page, below), [pages for _, pages in documents]


def _pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _contents(parts: Sequence[Part], counts: list[list[int]], contents: Contents) -> list[Path]:
    """The contents pages, in slices of about CHUNK_PAGES pages (so their memory is a slice's):
    printed once with a guess at their length, again if the guess was wrong."""
    rest = max(0, len(parts) + 1 - FIRST_PAGE_ROWS)
    length = 1 + -(-rest // ROWS_PER_PAGE)  # a good guess prints the contents once; a wrong one, twice
    for _ in range(3):
        entries = list(_entries(parts, counts, length))
        paths: list[Path] = []
        page, at = 1, 0
        while at < len(entries) or not paths:
            size = (FIRST_PAGE_ROWS - 1 if page == 1 else ROWS_PER_PAGE) + (CHUNK_PAGES - 1) * ROWS_PER_PAGE
            paths.append(contents(entries[at:at + size], page))
            page, at = page + _pages(paths[-1]), at + size
        if page - 1 == length:
            break
        length = page - 1
    return paths


def _entries(parts: Sequence[Part], counts: list[list[int]], before: int) -> Iterator[Entry]:
    page = before + 1
    for part, sizes in zip(parts, counts, strict=True):
        starts = []
        for size in sizes:
            starts.append(page)
            page += size
        yield Entry(part, tuple(starts))


def pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


# -- the packs of a build ------------------------------------------------------------------------


class Packs(NamedTuple):
    """The packs of a build."""

    names: list[str]  # every pack of the build, under the output folder
    keys: dict[str, str]  # name -> what it is made of (for the next build's `kept`)
    kept: list[str]  # those left as the last build wrote them (in the output folder, not staged)
    problems: list[Diagnostic]


def review_packs(project: Project, options: Options, stage: Path, basis: str, kept: dict[str, str]) -> Packs:
    """The quarter's pack, and with `--pack owner[=NAME]` one per owner, from the PDFs just printed
    (in the staging folder) or kept from the last build (in the output folder). A pack whose key
    (its parts' bytes, their titles, and `basis`: what the build's settings and templates are)
    is the one `kept` gives it, from the last build, is not written again."""
    spec, quarter = project.settings.spec, str(project.quarter)
    summary, accounts = _parts(project, options, stage)
    groups, problems = pack_groups(quarter, accounts, options.pack or spec.pack or "")
    if problems:
        return Packs([], {}, [], problems)
    segments = SegmentCache(segments_folder(options.out))
    printing = _Printing(project, options, segments, basis)
    found = Packs([], {}, [], [])
    for name, title, members in groups:
        title += " · share-safe variant" if spec.share_safe else ""
        parts = [summary, *members]
        key = _key(basis, title, parts, segments)
        found.names.append(name)
        found.keys[name] = key
        if kept.get(name) == key:
            found.kept.append(name)
            continue
        info = {"Title": f"{title}, {quarter}", "Author": spec.firm, "Subject": f"Account reviews and plans, {quarter}",
                "Creator": "allyreport", "CreationDate": pdf_date(project.as_of), "ModDate": pdf_date(project.as_of)}
        try:
            write_pack(stage / name, parts, printing.contents(title), info, segments, spec.language)
        except PackError as exc:
            return found._replace(problems=exc.problems)
    segments.forget_unused()
    return found


def _parts(project: Project, options: Options, stage: Path) -> tuple[Part, list[Part]]:
    """The portfolio summary's part and the accounts', in portfolio order."""
    from .documents import summarize

    quarter = str(project.quarter)

    def where(name: str) -> Path:
        return stage / name if (stage / name).exists() else options.out / name

    summary = Part("Portfolio summary", project.settings.spec.firm, "",
                   (("Portfolio summary", where(f"pdf/portfolio-{quarter}.pdf")),))
    return summary, [Part(v.account.name, v.account.meta.owner, v.level.title,
                          (("Account review", where(f"pdf/{v.account.slug}-review.pdf")),
                           ("Relationship plan", where(f"pdf/{v.account.slug}-plan.pdf"))))
                     for v in summarize(project).rows]


def _key(basis: str, title: str, parts: list[Part], segments: SegmentCache) -> str:
    """What a pack is made of: its parts' bytes and what the contents say of them."""
    made = [(p.title, p.owner, p.level, [(kind, segments.key(path)) for kind, path in p.documents]) for p in parts]
    return hashlib.blake2b(repr((FORMAT, basis, title, made)).encode(), digest_size=16).hexdigest()


class _Printing:
    """The contents pages: printed from their HTML once, then kept by it (`SegmentCache.printed`),
    so a build that leaves every part's page count, title, owner and level as it was prints
    nothing."""

    def __init__(self, project: Project, options: Options, segments: SegmentCache, basis: str) -> None:
        from .documents import pdf_environment
        from .site import compiled_templates

        self.project, self.options, self.segments, self.basis = project, options, segments, basis
        environment = pdf_environment(options.templates, compiled_templates(options))
        self.template = environment.get_template("pdf/contents.html")

    def contents(self, title: str) -> Contents:
        spec, project = self.project.settings.spec, self.project

        def contents(entries: Sequence[Entry], start: int) -> Path:
            html = self.template.render(title=title, quarter=str(project.quarter), firm=spec.firm,
                                        language=spec.language, as_of=project.as_of, entries=entries,
                                        model=project.model.title, start=start)
            key = hashlib.blake2b(f"{FORMAT}\0{self.basis}\0{html}".encode(), digest_size=16).hexdigest()
            return self.segments.printed(key, lambda target: self._print(html, target))

        return contents

    def _print(self, html: str, target: Path) -> None:
        from .documents import PdfJob
        from .printer import make_setup, printer

        spec = self.project.settings.spec
        found = printer(make_setup(spec.page_size, spec.pdf_variant, self.options.templates)).print(
            PdfJob("pdf/contents.pdf", html), target)
        if found:
            raise PackError(found)


class PackError(Exception):
    def __init__(self, problems: list[Diagnostic]) -> None:
        super().__init__(problems[0].message if problems else "")
        self.problems = problems


def pack_groups(quarter: str, accounts: list[Part], by: str) -> tuple[list[tuple[str, str, list[Part]]], list[Diagnostic]]:
    """The packs to write: the whole portfolio's, and per owner as `by` says ("", "owner", "owner=NAME")."""
    groups = [(f"pdf/pack-{quarter}.pdf", "Review pack", accounts)]
    if not by:
        return groups, []
    kind, _, name = by.partition("=")
    owners = sorted({p.owner for p in accounts}, key=str.casefold)
    if kind != "owner":
        return [], [Diagnostic("--pack", 0, f"unknown pack '{by}'; use --pack owner or --pack owner=NAME")]
    if name and name not in owners:
        return [], [Diagnostic("--pack", 0, f"no account is owned by '{name}'; the owners are {', '.join(owners)}")]
    used: set[str] = set()
    for owner in [name] if name else owners:
        slug = re.sub(r"[^a-z0-9]+", "-", owner.casefold()).strip("-") or "owner"
        while slug in used:
            slug += "-2"
        used.add(slug)
        groups.append((f"pdf/pack-{quarter}-{slug}.pdf", f"Review pack of {owner}", [p for p in accounts if p.owner == owner]))
    return groups, []
