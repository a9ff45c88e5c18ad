"""A printed PDF as a pack segment: its pages' objects, serialised once, ready to be appended to a
pack under any object numbers.

The pack (`render/pack.py`) is written as a stream, part after part (`render/packfile.py`), so
its memory does not grow with the portfolio: a merger that builds the whole pack as one object
graph (pikepdf, pypdf) holds every part's objects until it saves. A segment is what of a part
the stream needs: every object its pages reach (page dictionaries, content streams, fonts,
images, annotations) and its bookmarks, with references numbered locally so that writing it
is one string format per object. Streams are kept as stored, never decoded or re-encoded.

Serialising costs a parse of the part (qpdf, a few ms) and a walk of its objects, so a
segment is kept in the cache (`SegmentCache`), keyed by the part's bytes: a build that reprints
one account's PDFs segments those two and reads the other parts' segments back.

What a segment leaves out: the part's catalogue, page tree and outline root (the pack has
its own), its structure tree (see `render/pack.py` on tagging), and the named destinations,
which every part names alike ("insights", "note-3"): each link and bookmark that used a name
points at its page instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from ..config.options import cache_folder

FORMAT = 1  # bump when a segment's shape or content changes: older cached segments are not read
PAGES, OUTLINE = 0, 1  # local numbers standing for the pack's page-tree node and bookmark of the part
FIRST_LOCAL = 2

# A reference "12 0 R" outside strings; strings are matched first so that "(see 12 0 R)" in a
# text is skipped. qpdf writes a literal string with its parentheses and backslashes escaped.
_TOKENS = re.compile(rb"(\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f]*>)|(?<![\w.+\-#])(\d+) (\d+) R\b", re.S)


@dataclass(frozen=True)
class Obj:
    """One object: `text % refs` is its PDF syntax once each local number is made a pack number."""

    local: int
    text: bytes  # "<< /Font %d 0 R ... >>", with "%" doubled elsewhere
    refs: tuple[int, ...]  # local numbers, in the order of the text's "%d"
    stream: bytes | None  # a stream's raw (still encoded) data


@dataclass(frozen=True)
class Segment:
    objects: tuple[Obj, ...]
    pages: tuple[int, ...]  # the pages' local numbers, in order
    outline: tuple[int, int, int] | None  # the part's bookmarks: (visible count, first, last); None if it has none
    size: int  # local numbers used: 0 to size - 1


def segment(data: bytes) -> Segment:
    """The segment of the PDF `data`."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        names = _destinations(pdf)
        pages = list(pdf.pages)
        for page in pages:
            _unlink_page(page.obj, names)
        # every node above a page is the pack's node of the part (pikepdf.open has pushed what
        # a page inherits down to it)
        numbers = {pdf.Root.Pages.objgen: PAGES, **{page.obj.Parent.objgen: PAGES for page in pages}}
        skipped = {pdf.Root.objgen, *(pdf.Root[k].objgen for k in ("/StructTreeRoot", "/Names") if k in pdf.Root)}
        queue: deque[Any] = deque()
        walk = _Walk(pdf, numbers, skipped, queue)
        page_numbers = tuple(walk.number(page.obj) for page in pages)
        outline = _outline(pdf, numbers, walk, names)
        objects = []
        while queue:
            objects.append(walk.serialise(queue.popleft()))
        return Segment(tuple(objects), page_numbers, outline, walk.next)


class _Walk:
    """Numbers the objects the pages reach, in the order they are first referred to."""

    def __init__(self, pdf: pikepdf.Pdf, numbers: dict[tuple[int, int], int], skipped: set[tuple[int, int]],
                 queue: deque[Any]) -> None:
        self.pdf, self.numbers, self.skipped, self.queue = pdf, numbers, skipped, queue
        self.next = FIRST_LOCAL

    def number(self, obj: Any) -> int:
        key = obj.objgen
        found = self.numbers.get(key)
        if found is None:
            found = self.numbers[key] = self.next
            self.next += 1
            self.queue.append(obj)
        return found

    def serialise(self, obj: Any) -> Obj:
        stream = None
        if isinstance(obj, pikepdf.Stream):
            stream = obj.read_raw_bytes()
            found = obj.stream_dict
            if found.get("/Length") != len(stream):  # a /Length given by reference becomes a number
                found = pikepdf.Dictionary({**dict(found.items()), "/Length": len(stream)})
            text = found.unparse(resolved=True)
        else:
            text = obj.unparse(resolved=True)
        refs: list[int] = []

        def ref(match: re.Match[bytes]) -> bytes:
            if match.group(1) is not None:
                return match.group(1)
            key = (int(match.group(2)), int(match.group(3)))
            if key in self.skipped:
                return b"null"
            refs.append(self.number(self.pdf.get_object(key)) if key not in self.numbers else self.numbers[key])
            return b"%d 0 R"

        text = _TOKENS.sub(ref, text.replace(b"%", b"%%"))
        return Obj(self.numbers[obj.objgen], text, tuple(refs), stream)


def _destinations(pdf: pikepdf.Pdf) -> dict[str, Any]:
    """The part's named destinations, by name."""
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {str(name): dest.D if isinstance(dest, pikepdf.Dictionary) else dest
            for name, dest in pikepdf.NameTree(names.Dests).items()}


def _unlink_page(page: Any, names: dict[str, Any]) -> None:
    """A page as the pack holds it: its links at their pages instead of names, and no pointer into
    the structure tree the pack does not have."""
    if "/StructParents" in page:
        del page["/StructParents"]
    for annot in page.get("/Annots", []):
        if "/StructParent" in annot:
            del annot["/StructParent"]
        _resolve(annot, names)


def _resolve(item: Any, names: dict[str, Any]) -> None:
    """A link's or a bookmark's named destination, as the page and place it names."""
    action = item.get("/A")
    if isinstance(action, pikepdf.Dictionary) and action.get("/S") == pikepdf.Name.GoTo:
        name = action.get("/D")
        if isinstance(name, pikepdf.String | pikepdf.Name) and str(name).lstrip("/") in names:
            del item["/A"]
            item.Dest = names[str(name).lstrip("/")]
    name = item.get("/Dest")
    if isinstance(name, pikepdf.String | pikepdf.Name):
        if str(name).lstrip("/") in names:
            item.Dest = names[str(name).lstrip("/")]
        else:  # a name the part does not define goes nowhere in the part either
            del item["/Dest"]


def _outline(pdf: pikepdf.Pdf, numbers: dict[tuple[int, int], int], walk: _Walk,
             names: dict[str, Any]) -> tuple[int, int, int] | None:
    """The part's bookmarks: their items keep their links to each other, the top ones' parent
    becomes the pack's bookmark of the part (`OUTLINE`)."""
    root = pdf.Root.get("/Outlines")
    if root is None or "/First" not in root:
        return None
    numbers[root.objgen] = OUTLINE
    stack = [root.First]
    while stack:  # named destinations first: an item is serialised as it is when its turn comes
        item = stack.pop()
        _resolve(item, names)
        stack += [item[k] for k in ("/First", "/Next") if k in item]
    return abs(int(root.get("/Count", 0))), walk.number(root.First), walk.number(root.Last)


# -- the cache -----------------------------------------------------------------------------------


def segments_folder(out: Path) -> Path:
    """Where the segments of the PDFs of the output folder `out` are kept: its own folder in the
    cache, as its build record is (a share-safe variant's output sits beside the full one's, with
    the same cache folder, and must not forget the other's segments)."""
    return cache_folder(out) / f"{out.name}.pack"


class SegmentCache:
    """Segments kept in `folder` by the bytes of their part (and this FORMAT and this qpdf), and the
    contents pages by what they are printed from; what a build used is kept, the rest
    forgotten (`forget_unused`)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.used, self.keys = folder, set[str](), dict[Path, str]()

    def key(self, path: Path) -> str:
        """What the PDF at `path` is, as far as its segment goes: a hash of its bytes."""
        if path not in self.keys:
            data = path.read_bytes() + f"{FORMAT} {pikepdf.__libqpdf_version__}".encode()
            self.keys[path] = hashlib.blake2b(data, digest_size=16).hexdigest()
            self.used.add(f"{self.keys[path]}.segment")
        return self.keys[path]

    def of(self, path: Path) -> Segment:
        """The segment of the PDF at `path`: read back, or made and kept."""
        name = f"{self.key(path)}.segment"
        try:
            with open(self.folder / name, "rb") as handle:
                found = pickle.load(handle)
            if isinstance(found, Segment):
                return found
        except Exception:  # missing or damaged: a cache costs time, never correctness
            pass
        made = segment(path.read_bytes())
        with self._keep(name) as temporary:
            temporary.write_bytes(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
        return made

    def printed(self, key: str, make: Callable[[Path], None]) -> Path:
        """The PDF printed from what `key` names: the one kept, or `make(path)`'s, then kept."""
        name = f"{key}.contents.pdf"
        self.used.add(name)
        if not (self.folder / name).is_file():
            with self._keep(name) as temporary:
                make(temporary)
        return self.folder / name

    @contextlib.contextmanager
    def _keep(self, name: str) -> Iterator[Path]:
        """Where to write `name`: moved in place once complete (a killed build leaves no half file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{name}.{os.getpid()}"
        try:
            yield temporary
            os.replace(temporary, self.folder / name)
        finally:
            temporary.unlink(missing_ok=True)

    def forget_unused(self) -> None:
        """Remove what no pack of this build used."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return
        for name in names:
            if name not in self.used:
                (self.folder / name).unlink(missing_ok=True)
