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

A segment keeps the part's tagging: its structure elements, reached from its top element (the
part's /Document, which the pack writes as a /Part of its own tree: `STRUCT`), its parent tree
as one number-tree leaf (`PARENT_TREE`) and its /RoleMap. The /StructParents of its pages and
the /StructParent of its links are written as references are, so that a pack adds the same
offset to them as to the part's object numbers: a part's keys (0 to n - 1, one per page or
link) are below its count of numbers, so the pack's keys are unique and in the order of its
parent tree's leaves without a table of them.

What a segment leaves out: the part's catalogue, page tree, outline root and structure tree
root (the pack has its own), and the named destinations, which every part names alike
("insights", "note-3"): each link and bookmark that used a name points at its page instead.
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
from typing import Any, NamedTuple

import pikepdf

from ..config.options import cache_folder

FORMAT = 2  # bump when a segment's shape or content changes: older cached segments are not read
# local numbers standing for the pack's page-tree node, bookmark and structure element of the
# part, and the part's parent-tree leaf
PAGES, OUTLINE, STRUCT, PARENT_TREE = 0, 1, 2, 3
FIRST_LOCAL = 4
STREAM_OBJECTS = 65535  # at most this many objects in one object stream (the pack's index of one is two bytes)

# A reference "12 0 R" outside strings; strings are matched first so that "(see 12 0 R)" in a
# text is skipped. qpdf writes a literal string with its parentheses and backslashes escaped.
_TOKENS = re.compile(rb"(\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f]*>)|(?<![\w.+\-#])(\d+) (\d+) R\b", re.S)
# The references alone, for a text with no string (most: a structure element's, a font's), split
# on rather than substituted with a call per reference: a part's segment is made twice as fast.
_REFERENCES = re.compile(rb"(?<![\w.+\-#])(\d+) (\d+) R\b")


class Obj(NamedTuple):
    """One object: `text % refs` is its PDF syntax once each local number is made a pack number.
    (A tuple, not a dataclass: a part's segment holds a thousand, read back twice as fast.)"""

    local: int
    text: bytes  # "<< /Font %d 0 R ... >>", with "%" doubled elsewhere
    refs: tuple[int, ...]  # local numbers, in the order of the text's "%d"
    stream: bytes | None  # a stream's raw (still encoded) data


@dataclass(frozen=True)
class Structure:
    """A tagged part's structure: what its top element holds, and its role map."""

    kids: bytes  # the top element's /K, "[ %d 0 R ... ]" (the pack writes the element: `STRUCT`)
    refs: tuple[int, ...]
    roles: tuple[tuple[bytes, bytes], ...]  # /RoleMap entries, as PDF syntax: (b"/Name", b"/P")
    leaf: bool  # whether the segment has a parent-tree leaf (`PARENT_TREE`): not if nothing is marked


class Packed(NamedTuple):
    """Objects that go into one object stream of the pack, as one template: the pack formats it
    once and works out where each object starts from where its template starts. Each "%d"
    becomes a pack number of the same width in a part (`packfile`), so an object starts at
    `starts[i] + width * before[i]`."""

    locals: tuple[int, ...]
    template: bytes  # the objects' texts, each followed by a newline
    refs: tuple[int, ...]
    starts: tuple[int, ...]  # where each object starts, its references counted as no characters
    before: tuple[int, ...]  # how many references come before it


@dataclass(frozen=True)
class Segment:
    objects: tuple[Obj, ...]  # the streams, written as they are
    packed: tuple[Packed, ...]  # the rest, in object streams
    pages: tuple[int, ...]  # the pages' local numbers, in order
    outline: tuple[int, int, int] | None  # the part's bookmarks: (visible count, first, last); None if it has none
    size: int  # local numbers used: 0 to size - 1 (and above every parent-tree key)
    structure: Structure | None  # None: the part is not tagged


def segment(data: bytes) -> Segment:
    """The segment of the PDF `data`."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        names = _destinations(pdf)
        pages = list(pdf.pages)
        keys: dict[tuple[int, int], tuple[bytes, int]] = {}
        for page in pages:
            _unlink_page(page.obj, names, keys)
        # every node above a page is the pack's node of the part (pikepdf.open has pushed what
        # a page inherits down to it)
        numbers = {pdf.Root.Pages.objgen: PAGES, **{page.obj.Parent.objgen: PAGES for page in pages}}
        skipped = {pdf.Root.objgen, *(pdf.Root[k].objgen for k in ("/StructTreeRoot", "/Names") if k in pdf.Root)}
        queue: deque[Any] = deque()
        walk = _Walk(pdf, numbers, skipped, queue, keys)
        page_numbers = tuple(walk.number(page.obj) for page in pages)
        outline = _outline(pdf, numbers, walk, names)
        tree = pdf.Root.get("/StructTreeRoot")
        structure, leaf = _structure(tree, numbers, walk) if tree is not None else (None, None)
        objects = [] if leaf is None else [leaf]
        while queue:
            objects.append(walk.serialise(queue.popleft()))
        top = max((key for _, key in keys.values()), default=-1) + 1
        plain = [obj for obj in objects if obj.stream is None]
        packed = tuple(_packed(plain[at:at + STREAM_OBJECTS]) for at in range(0, len(plain), STREAM_OBJECTS))
        return Segment(tuple(obj for obj in objects if obj.stream is not None), packed, page_numbers, outline,
                       max(walk.next, top), structure)


def _packed(objects: list[Obj]) -> Packed:
    starts, before, start, count = [], [], 0, 0
    for obj in objects:
        starts.append(start)
        before.append(count)
        start += len(obj.text % ((0,) * len(obj.refs))) - len(obj.refs) + 1  # "%%" is one character
        count += len(obj.refs)
    return Packed(tuple(obj.local for obj in objects), b"".join(obj.text + b"\n" for obj in objects),
                  tuple(ref for obj in objects for ref in obj.refs), tuple(starts), tuple(before))


class _Walk:
    """Numbers the objects the pages reach, in the order they are first referred to."""

    def __init__(self, pdf: pikepdf.Pdf, numbers: dict[tuple[int, int], int], skipped: set[tuple[int, int]],
                 queue: deque[Any], keys: dict[tuple[int, int], tuple[bytes, int]]) -> None:
        self.pdf, self.numbers, self.skipped, self.queue = pdf, numbers, skipped, queue
        self.keys = keys  # the pages' and links' parent-tree keys, taken out of them (`_unlink_page`)
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
        text, refs = self.refer(text)
        if obj.objgen in self.keys:  # its key, offset as a reference is: written as one
            name, key = self.keys[obj.objgen]
            text = b"%s %s %%d >>" % (text.removesuffix(b">>").rstrip(), name)
            refs += (key,)
        return Obj(self.numbers[obj.objgen], text, refs, stream)

    def refer(self, text: bytes) -> tuple[bytes, tuple[int, ...]]:
        """`text` with each reference as "%d 0 R" and the local numbers they stand for."""
        text = text.replace(b"%", b"%%")
        if b"(" in text or b"<" in text.replace(b"<<", b""):
            return self._refer_around_strings(text)
        pieces = _REFERENCES.split(text)
        refs, numbers, skipped = [], self.numbers, self.skipped
        template = [pieces[0]]
        for at in range(1, len(pieces), 3):
            key = (int(pieces[at]), int(pieces[at + 1]))
            if key in skipped:
                template.append(b"null")
            else:
                found = numbers.get(key)
                refs.append(self.number(self.pdf.get_object(key)) if found is None else found)
                template.append(b"%d 0 R")
            template.append(pieces[at + 2])
        return b"".join(template), tuple(refs)

    def _refer_around_strings(self, text: bytes) -> tuple[bytes, tuple[int, ...]]:
        refs: list[int] = []

        def ref(match: re.Match[bytes]) -> bytes:
            if match.group(1) is not None:
                return match.group(1)
            key = (int(match.group(2)), int(match.group(3)))
            if key in self.skipped:
                return b"null"
            refs.append(self.number(self.pdf.get_object(key)) if key not in self.numbers else self.numbers[key])
            return b"%d 0 R"

        return _TOKENS.sub(ref, text), tuple(refs)


def _destinations(pdf: pikepdf.Pdf) -> dict[str, Any]:
    """The part's named destinations, by name."""
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {str(name): dest.D if isinstance(dest, pikepdf.Dictionary) else dest
            for name, dest in pikepdf.NameTree(names.Dests).items()}


def _unlink_page(page: Any, names: dict[str, Any], keys: dict[tuple[int, int], tuple[bytes, int]]) -> None:
    """A page as the pack holds it: its links at their pages instead of names, and its and its
    links' parent-tree keys taken out into `keys`, to be written back as references are."""
    for item, name in [(page, "/StructParents"), *((annot, "/StructParent") for annot in page.get("/Annots", []))]:
        if name in item:
            if item.is_indirect and isinstance(item[name], int):
                keys[item.objgen] = (name.encode(), int(item[name]))
            del item[name]  # a link written inside its page's dictionary (WeasyPrint's are not) loses its key
        if item is not page:
            _resolve(item, names)


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


def _structure(tree: Any, numbers: dict[tuple[int, int], int], walk: _Walk) -> tuple[Structure, Obj | None]:
    """The part's structure: its top element's kids, and its parent tree as a number-tree leaf.
    A part whose tree holds one /Document (WeasyPrint's) becomes a /Part of the pack, with that
    element's kids; any other tree's top elements become the kids of one."""
    tops = tree.get("/K")
    tops = list(tops) if isinstance(tops, pikepdf.Array) else [] if tops is None else [tops]
    top = tops[0] if len(tops) == 1 and isinstance(tops[0], pikepdf.Dictionary) else None
    if top is not None and top.is_indirect and top.get("/S") == pikepdf.Name.Document:
        numbers[top.objgen] = STRUCT
        kids = top.get("/K", pikepdf.Array())
    else:
        numbers[tree.objgen] = STRUCT
        walk.skipped.discard(tree.objgen)
        kids = pikepdf.Array(tops)
    text, refs = walk.refer(kids.unparse(resolved=True) if isinstance(kids, pikepdf.Array)
                            else pikepdf.Array([kids]).unparse(resolved=True))
    roles = tree.get("/RoleMap")
    mapped = tuple((pikepdf.Name(k).unparse(), v.unparse(resolved=True)) for k, v in roles.items()) if roles else ()
    leaf = _leaf(tree, walk)
    return Structure(text, refs, mapped, leaf is not None), leaf


def _leaf(tree: Any, walk: _Walk) -> Obj | None:
    """The part's parent tree, flattened into one leaf: each key, as a reference is written, and
    what it maps to (a page's marked contents' elements, or a link's)."""
    if "/ParentTree" not in tree:
        return None
    entries = sorted((int(k), v) for k, v in pikepdf.NumberTree(tree.ParentTree).items())
    if not entries:
        return None
    parts, refs = [b"<< /Limits [ %d %d ] /Nums ["], [entries[0][0], entries[-1][0]]
    for key, value in entries:
        text, found = walk.refer(b"%d %d R" % value.objgen if value.is_indirect else value.unparse(resolved=True))
        parts.append(b"%d " + text)
        refs += (key, *found)
    return Obj(PARENT_TREE, b" ".join(parts) + b" ] >>", tuple(refs), None)


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
