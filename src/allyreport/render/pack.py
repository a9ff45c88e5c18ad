"""The review pack: one PDF to send leadership, assembled from the PDFs already printed.

`pdf/pack-<quarter>.pdf` is a contents page, the portfolio summary, then every account's
review and plan in portfolio order (by name, as the summary lists them). Nothing is printed
a second time but the contents: the parts' pages are copied as they are (pikepdf, on
qpdf), so a pack of 2,000 accounts costs a copy, not a print, and the copied pages' bytes
stay in the part files until the pack is written.

What merging keeps and what it cannot:

- the parts' pages as printed, with their running headers naming the account ("Acme Foods ·
  Account review · 2026Q3") and their own "page 3 of 5" footers;
- their bookmarks, nested under one tree: Contents, Portfolio summary (its sections), then
  each account, its review and plan, and their sections;
- their internal links: a part's named destinations ("insights", "note-3") are the same
  names in every part, so each link is re-pointed at its page in the pack;
- not their tagging: PDF/UA structure trees cannot be merged page by page, so the pack is an
  untagged PDF; the parts in `pdf/` stay tagged (docs/output.md says so).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf

from ..core.diagnostics import Diagnostic

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
Contents = Callable[[Sequence[Entry]], Path]  # prints the contents page(s) for these entries, returns the PDF


def write_pack(target: Path, parts: Sequence[Part], contents: Contents, info: dict[str, str]) -> int:
    """Assemble the pack at `target`; returns its page count. One part file is open at a time:
    its pages are copied with their bytes (`_own`), so memory follows the pack's size, not
    the number of parts."""
    counts = [[_pages(path) for _, path in part.documents] for part in parts]
    with pikepdf.new() as pack:
        with pikepdf.open(_contents(parts, counts, contents)) as front:
            pages = _append(pack, front, {})
        items = [pikepdf.OutlineItem("Contents", 0)]
        for part in parts:
            item, pages = _copy_part(pack, part, pages)
            items.append(item)
        with pack.open_outline() as outline:
            outline.root.extend(items)
        _metadata(pack, info)
        pack.save(target, deterministic_id=True, fix_metadata_version=False, compress_streams=True,
                  object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return pages


def _pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _contents(parts: Sequence[Part], counts: list[list[int]], contents: Contents) -> Path:
    """The contents page(s): printed once with a guess at their length, again if the guess was wrong."""
    rest = max(0, len(parts) + 1 - FIRST_PAGE_ROWS)
    length = 1 + -(-rest // ROWS_PER_PAGE)  # a good guess prints the contents once; a wrong one, twice
    for _ in range(3):
        path = contents(list(_entries(parts, counts, length)))
        printed = _pages(path)
        if printed == length:
            break
        length = printed
    return path


def _append(pack: pikepdf.Pdf, pdf: pikepdf.Pdf, places: dict[str, tuple[int, float]]) -> int:
    """Copy a document's pages to the end of the pack; returns how many. Everything is done to
    the document before it is copied (each look at the pack's page list costs as much as the
    pack is long): its links re-pointed, its streams given their bytes."""
    seen: set[tuple[int, int]] = set()
    pages = list(pdf.pages)
    _relink(pages, places)
    for page in pages:
        _own(page.obj, seen)
    with warnings.catch_warnings():  # the named destinations were re-pointed (`_relink`)
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
        pack.pages.extend(pages)
    return len(pages)


def _own(start: pikepdf.Object, seen: set[tuple[int, int]]) -> None:
    """Give every stream a copied page uses its own bytes, so the part file can be closed: qpdf
    would otherwise read them from the part when the pack is written, with every part open."""
    stack = [start]
    while stack:
        obj = stack.pop()
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Stream):
            encoded: Any = {"filter": obj.get("/Filter"), "decode_parms": obj.get("/DecodeParms")}
            obj.write(obj.read_raw_bytes(), type_check=False, **encoded)  # as stored: nothing re-encoded
        if isinstance(obj, pikepdf.Array):
            stack.extend(obj)
        else:
            stack.extend(value for key, value in obj.items() if key not in ("/Parent", "/P"))


def _entries(parts: Sequence[Part], counts: list[list[int]], before: int) -> Iterator[Entry]:
    page = before + 1
    for part, sizes in zip(parts, counts, strict=True):
        starts = []
        for size in sizes:
            starts.append(page)
            page += size
        yield Entry(part, tuple(starts))


def _copy_part(pack: pikepdf.Pdf, part: Part, first: int) -> tuple[pikepdf.OutlineItem, int]:
    """Append a part's pages after the pack's first `first`; its bookmark, with each document's
    below it, and the pack's length after it."""
    top = pikepdf.OutlineItem(part.title, first)
    children = []
    for kind, path in part.documents:
        with pikepdf.open(path) as pdf:
            places = _destinations(pdf)
            item = pikepdf.OutlineItem(kind, first)
            item.children.extend(_outline(pdf, first, places))
            first += _append(pack, pdf, places)
        children.append(item)
    if len(children) == 1 and part.title == children[0].title:
        return children[0], first
    top.children.extend(children)
    return top, first


def _destinations(pdf: pikepdf.Pdf) -> dict[str, tuple[int, float]]:
    """A part's named destinations: its page index and the top of the place, by name."""
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    found = {}
    for name, dest in pikepdf.NameTree(names.Dests).items():
        place = _place(dest, pages)
        if place is not None:
            found[str(name)] = place
    return found


def _place(dest: Any, pages: dict[tuple[int, int], int]) -> tuple[int, float] | None:
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
        dest = dest.D
    if not isinstance(dest, pikepdf.Array) or len(dest) < 1 or not isinstance(dest[0], pikepdf.Dictionary):
        return None
    index = pages.get(dest[0].objgen)
    if index is None:
        return None
    top = float(dest[3]) if len(dest) > 3 and isinstance(dest[3], int | float | pikepdf.Object) else 0.0
    return index, top


def _relink(pages: list[pikepdf.Page], places: dict[str, tuple[int, float]]) -> None:
    """Point a document's links at their pages instead of its names (every part has the same
    names; copying maps a page to its copy), and drop what tagging left on its pages."""
    for page in pages:
        if "/StructParents" in page.obj:
            del page.obj["/StructParents"]
        for annot in page.obj.get("/Annots", []):
            if "/StructParent" in annot:
                del annot["/StructParent"]
            name = annot.get("/Dest")
            if isinstance(name, pikepdf.String | pikepdf.Name) and str(name).lstrip("/") in places:
                index, top = places[str(name).lstrip("/")]
                annot.Dest = pikepdf.Array([pages[index].obj, pikepdf.Name.XYZ, 0, top, 0])


def _outline(pdf: pikepdf.Pdf, first: int, places: dict[str, tuple[int, float]]) -> list[pikepdf.OutlineItem]:
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    with pdf.open_outline() as outline:
        return [_item(item, first, pages, places) for item in outline.root]


def _item(item: pikepdf.OutlineItem, first: int, pages: dict[tuple[int, int], int],
          places: dict[str, tuple[int, float]]) -> pikepdf.OutlineItem:
    dest = item.destination if item.destination is not None else (item.action.get("/D") if item.action else None)
    if isinstance(dest, pikepdf.String | pikepdf.Name):
        index, top = places.get(str(dest).lstrip("/"), (0, 0.0))
    else:
        index, top = _place(dest, pages) or (0, 0.0)
    copy = pikepdf.OutlineItem(item.title, first + index, "XYZ", left=0, top=top)
    copy.children.extend(_item(child, first, pages, places) for child in item.children)
    return copy


def _metadata(pack: pikepdf.Pdf, info: dict[str, str]) -> None:
    pack.docinfo = pack.make_indirect(pikepdf.Dictionary({f"/{k}": pikepdf.String(v) for k, v in info.items()}))
    pack.Root.PageMode = pikepdf.Name.UseOutlines


def pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


# -- the packs of a build ------------------------------------------------------------------------


def review_packs(project: Project, options: Options, stage: Path, scratch: Path) -> tuple[list[str], list[Diagnostic]]:
    """The quarter's pack, and with `--pack owner[=NAME]` one per owner, from the PDFs just printed
    (in the staging folder) or kept from the last build (in the output folder)."""
    from .documents import PdfJob, pdf_environment, summarize
    from .printer import make_setup, printer
    from .site import compiled_templates

    spec, quarter = project.settings.spec, str(project.quarter)

    def where(name: str) -> Path:
        return stage / name if (stage / name).exists() else options.out / name

    rows = summarize(project).rows
    summary = Part("Portfolio summary", spec.firm, "", (("Portfolio summary", where(f"pdf/portfolio-{quarter}.pdf")),))
    accounts = [Part(v.account.name, v.account.meta.owner, v.level.title,
                     (("Account review", where(f"pdf/{v.account.slug}-review.pdf")),
                      ("Relationship plan", where(f"pdf/{v.account.slug}-plan.pdf")))) for v in rows]
    groups, problems = pack_groups(quarter, accounts, options.pack or spec.pack or "")
    if spec.share_safe:
        groups = [(name, f"{title} · share-safe variant", members) for name, title, members in groups]
    if problems:
        return [], problems
    template = pdf_environment(options.templates, compiled_templates(options)).get_template("pdf/contents.html")
    setup = make_setup(spec.page_size, spec.pdf_variant, options.templates)
    scratch.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    for name, title, members in groups:
        def contents(entries: Sequence[Entry], title: str = title) -> Path:
            html = template.render(title=title, quarter=quarter, firm=spec.firm, language=spec.language,
                                   as_of=project.as_of, entries=entries, model=project.model.title)
            found = printer(setup).print(PdfJob("pdf/contents.pdf", html), scratch / "contents.pdf")
            if found:
                raise PackError(found)
            return scratch / "contents.pdf"

        info = {"Title": f"{title}, {quarter}", "Author": spec.firm, "Subject": f"Account reviews and plans, {quarter}",
                "Creator": "allyreport", "CreationDate": pdf_date(project.as_of), "ModDate": pdf_date(project.as_of)}
        try:
            write_pack(stage / name, [summary, *members], contents, info)
        except PackError as exc:
            return names, exc.problems
        names.append(name)
    return names, []


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
