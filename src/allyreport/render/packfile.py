"""The pack's PDF, written as a stream: each part's segment as it comes, then the page tree, the
bookmarks, the structure tree's root, the catalogue and the cross-reference stream.

Nothing of a part stays in memory once its objects are written but its page-tree node's, its
bookmark's and its parent-tree leaf's numbers and its objects' cross-reference entries (8
bytes each), so a pack of 2,000 accounts costs the memory of one part plus a few numbers per
part and 8 bytes per object (`docs/benchmarks.md`). The pages are in pack order in the page tree, not in
the file: the contents page(s), printed last because they give the other parts' page
numbers, are written last and listed first.

A part's dictionaries and arrays (its pages, fonts' dictionaries, links, bookmarks and the
hundreds of structure elements of its tagging) go into one compressed object stream, as
WeasyPrint wrote them: written plain, a tagged part's structure would triple the pack's size.
Its streams (contents, fonts, images) are copied as they are. The cross-reference table is
then a stream too (PDF 1.5), which is what can point into object streams.

The structure tree mirrors the bookmarks: one /Document, whose kids are a /Part per document
of one document's entry (the contents, the portfolio summary) and a /Sect per account holding
its review's and plan's /Part (each the part's own /Document element, with its kids). The
parts' parent-tree leaves become the kids of the pack's parent tree, in the order of their
keys (`segments`).

The same segments in the same order give the same bytes: numbers are given in writing
order, and the file identifier is a hash of what was written.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import sys
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf

from .segments import OUTLINE, PAGES, PARENT_TREE, STRUCT, Packed, Segment

CATALOG, PAGE_TREE, OUTLINES, INFO, STRUCT_TREE, DOCUMENT, PARENT_TREE_ROOT = 1, 2, 3, 4, 5, 6, 7
# An object's cross-reference entry, as the 8 bytes of its stream (W [1 5 2]) read as one
# big-endian number: type, offset (or object stream), 0 (or index in the stream).
IN_FILE, IN_STREAM, FREE = 1 << 56, 2 << 56, 0  # a number a part leaves unused stays free
LEVEL = 1  # zlib's: 6 makes a pack 4 % smaller and its copy twice as slow (200 accounts: 17.1 against 17.9 MiB)


@dataclass(frozen=True)
class Placed:
    """Where a part's segment went: its bookmark's number, its first page's, its bookmarks'."""

    item: int
    first_page: int
    pages: int
    outline: tuple[int, int, int] | None  # (visible count, first, last), in pack numbers
    element: int | None  # its structure element's number (the pack writes it: `PackFile.tag`); None: untagged
    kids: bytes  # that element's /K


@dataclass(frozen=True)
class Bookmark:
    number: int
    title: str
    page: int  # the page object's number
    below: tuple[int, int, int] | None  # its items: (visible count, first, last)


class PackFile:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.hash, self.written = handle, hashlib.md5(usedforsecurity=False), 0
        self.offsets = array("Q", [0] * (PARENT_TREE_ROOT + 1))
        self.nodes: list[tuple[int, int]] = []  # the parts' page-tree nodes in pack order, with their page counts
        self.elements: list[int] = []  # the /Document's kids, in pack order
        self.leaves: list[int] = []  # the parts' parent-tree leaves, in the order of their keys
        self.roles: dict[bytes, bytes] = {}
        self.untagged = 0  # parts without a structure tree
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.handle.write(data)
        self.hash.update(data)
        self.written += len(data)

    def allocate(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def _object(self, number: int, text: bytes, stream: bytes | None = None) -> None:
        self.offsets[number] = IN_FILE | self.written << 16
        if stream is None:
            self._write(b"%d 0 obj\n%s\nendobj\n" % (number, text))
        else:
            self._write(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, text, stream))

    def place(self, segment: Segment, at: int | None = None) -> Placed:
        """Write a part's segment; its pages go at the end of the pack, or before the `at`-th part's."""
        base = len(self.offsets)
        self.offsets.extend([0] * segment.size)
        chunks, offset, shift = [], self.written, base.__add__
        for local, template, refs, stream in segment.objects:  # one write for the whole part's streams
            self.offsets[base + local] = IN_FILE | offset << 16
            chunk = b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (base + local, template % tuple(map(shift, refs)),
                                                                      stream)
            chunks.append(chunk)
            offset += len(chunk)
        self._write(b"".join(chunks))
        for packed in segment.packed:
            self._packed(packed, base, segment.size)
        node = base + PAGES
        kids = b" ".join(b"%d 0 R" % (base + page) for page in segment.pages)
        self._object(node, b"<< /Type /Pages /Parent %d 0 R /Kids [ %s ] /Count %d >>"
                     % (PAGE_TREE, kids, len(segment.pages)))
        self.nodes.insert(len(self.nodes) if at is None else at, (node, len(segment.pages)))
        outline = None
        if segment.outline is not None:
            count, head, tail = segment.outline
            outline = (count, base + head, base + tail)
        found = segment.structure
        if found is None:
            self.untagged += 1
            return Placed(base + OUTLINE, base + segment.pages[0], len(segment.pages), outline, None, b"")
        self.roles.update((k, v) for k, v in found.roles if k not in self.roles)
        if found.leaf:
            self.leaves.append(base + PARENT_TREE)
        return Placed(base + OUTLINE, base + segment.pages[0], len(segment.pages), outline, base + STRUCT,
                      found.kids % tuple(base + r for r in found.refs))

    def _packed(self, packed: Packed, base: int, size: int) -> None:
        """Write a part's `packed` objects as one compressed object stream."""
        number, shift = self.allocate(), base.__add__
        values = tuple(map(shift, packed.refs))
        numbers = tuple(map(shift, packed.locals))
        width = len(str(base))
        if len(str(base + size - 1)) == width:  # every number of the part as wide: where each starts, at once
            starts: Iterable[int] = map(operator.add, packed.starts, map(width.__mul__, packed.before))
        else:  # the part's numbers cross a power of ten: add up their widths
            widths = [0, *itertools.accumulate(len(str(value)) for value in values)]
            starts = [start + widths[before] for start, before in zip(packed.starts, packed.before, strict=True)]
        for index, member in enumerate(numbers):
            self.offsets[member] = IN_STREAM | number << 16 | index
        head = b" ".join(map(b"%d %d".__mod__, zip(numbers, starts, strict=True))) + b"\n"
        data = zlib.compress(head + packed.template % values, LEVEL)
        self._object(number, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>"
                     % (len(numbers), len(head), len(data)), data)

    def tag(self, title: str, documents: list[tuple[str, Placed]], at: int | None = None) -> None:
        """The structure elements of an entry of the pack, the `at`-th (at the end if None): one
        document's /Part, titled `title`, or a /Sect titled `title` with a /Part per document."""
        tagged = [(kind, placed.element, placed.kids) for kind, placed in documents if placed.element is not None]
        if not tagged:
            return
        if len(documents) == 1 and documents[0][0] == title:
            top, parent = tagged[0][1], DOCUMENT
        else:
            top = parent = self.allocate()
            kids = b" ".join(b"%d 0 R" % element for _, element, _ in tagged)
            self._object(parent, b"<< /Type /StructElem /S /Sect /T %s /P %d 0 R /K [ %s ] >>"
                         % (pikepdf.String(title).unparse(), DOCUMENT, kids))
        for kind, element, kids in tagged:
            self._object(element, b"<< /Type /StructElem /S /Part /T %s /P %d 0 R /K %s >>"
                         % (pikepdf.String(kind).unparse(), parent, kids))
        self.elements.insert(len(self.elements) if at is None else at, top)

    def bookmarks(self, parent: int, items: list[Bookmark]) -> tuple[int, int, int] | None:
        """Write bookmarks side by side under `parent`, open; what the parent's item needs of them."""
        if not items:
            return None
        for i, item in enumerate(items):
            fields = [b"/Title %s /Parent %d 0 R /Dest [ %d 0 R /Fit ]"
                      % (pikepdf.String(item.title).unparse(), parent, item.page)]
            if i:
                fields.append(b"/Prev %d 0 R" % items[i - 1].number)
            if i + 1 < len(items):
                fields.append(b"/Next %d 0 R" % items[i + 1].number)
            if item.below is not None:
                fields.append(b"/First %d 0 R /Last %d 0 R /Count %d" % (item.below[1], item.below[2], item.below[0]))
            self._object(item.number, b"<< %s >>" % b" ".join(fields))
        count = sum(1 + (item.below[0] if item.below else 0) for item in items)
        return count, items[0].number, items[-1].number

    def finish(self, tops: list[Bookmark], info: dict[str, str], language: str) -> int:
        """The bookmarks' root, the page tree, the structure tree's root, the catalogue (with the
        document's language, and its title shown in a viewer's title bar), the document
        information and the cross-reference stream; the pack's page count."""
        below = self.bookmarks(OUTLINES, tops)
        first = b"/First %d 0 R /Last %d 0 R /Count %d " % (below[1], below[2], below[0]) if below else b""
        self._object(OUTLINES, b"<< /Type /Outlines %s>>" % first)
        pages = sum(count for _, count in self.nodes)
        kids = b" ".join(b"%d 0 R" % node for node, _ in self.nodes)
        self._object(PAGE_TREE, b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (kids, pages))
        tagging = self._structure(info.get("Title", ""), language) if self.elements else b""
        self._object(CATALOG, b"<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R /PageMode /UseOutlines /Lang %s "
                     b"/ViewerPreferences << /DisplayDocTitle true >> %s>>"
                     % (PAGE_TREE, OUTLINES, pikepdf.String(language).unparse(), tagging))
        entries = b" ".join(b"/%s %s" % (key.encode(), pikepdf.String(value).unparse()) for key, value in info.items())
        self._object(INFO, b"<< %s >>" % entries)
        self._cross_references()
        return pages

    def _structure(self, title: str, language: str) -> bytes:
        """The structure tree's root, its /Document and its parent tree; the catalogue's entries
        for them (marked only if every part was: a part printed untagged has no marked content)."""
        roles = b"/RoleMap << %s >> " % b" ".join(b"%s %s" % item for item in sorted(self.roles.items())) \
            if self.roles else b""
        self._object(STRUCT_TREE, b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R /ParentTreeNextKey %d %s>>"
                     % (DOCUMENT, PARENT_TREE_ROOT, len(self.offsets), roles))
        kids = b" ".join(b"%d 0 R" % element for element in self.elements)
        self._object(DOCUMENT, b"<< /Type /StructElem /S /Document /T %s /Lang %s /P %d 0 R /K [ %s ] >>"
                     % (pikepdf.String(title).unparse(), pikepdf.String(language).unparse(), STRUCT_TREE, kids))
        leaves = b" ".join(b"%d 0 R" % leaf for leaf in self.leaves)
        self._object(PARENT_TREE_ROOT, b"<< /Kids [ %s ] >>" % leaves if leaves else b"<< /Nums [ ] >>")
        marked = b"/MarkInfo << /Marked true >> " if not self.untagged else b""
        return b"/StructTreeRoot %d 0 R %s" % (STRUCT_TREE, marked)

    def _cross_references(self) -> None:
        """The cross-reference stream (each entry: a type byte, five bytes of offset or object
        stream, two of generation or index) and the end of the file."""
        number, start = self.allocate(), self.written
        self.offsets[number] = IN_FILE | start << 16
        self.offsets[0] = FREE | 0xFFFF  # object 0: the head of the free list, generation 65535
        identifier = self.hash.hexdigest().encode()
        packer, data = zlib.compressobj(LEVEL), []
        for at in range(0, len(self.offsets), 65536):  # in slices: the table is 8 bytes an object
            entries = self.offsets[at:at + 65536]
            if sys.byteorder == "little":
                entries.byteswap()
            data.append(packer.compress(entries.tobytes()))
        data.append(packer.flush())
        stream = b"".join(data)
        self._object(number, b"<< /Type /XRef /Size %d /W [ 1 5 2 ] /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ] "
                     b"/Filter /FlateDecode /Length %d >>"
                     % (len(self.offsets), CATALOG, INFO, identifier, identifier, len(stream)), stream)
        self._write(b"startxref\n%d\n%%%%EOF\n" % start)

