"""The pack's PDF, written as a stream: each part's segment as it comes, then the page tree, the
bookmarks, the catalogue and the cross-reference table.

Nothing of a part stays in memory once its objects are written but its page-tree node's and
its bookmark's numbers, so a pack of 2,000 accounts costs the memory of one part plus a few
numbers per part (`docs/benchmarks.md`). The pages are in pack order in the page tree, not in
the file: the contents page(s), printed last because they give the other parts' page
numbers, are written last and listed first.

The same segments in the same order give the same bytes: numbers are given in writing
order, and the file identifier is a hash of what was written.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf

from .segments import OUTLINE, PAGES, Segment

CATALOG, PAGE_TREE, OUTLINES, INFO = 1, 2, 3, 4


@dataclass(frozen=True)
class Placed:
    """Where a part's segment went: its bookmark's number, its first page's, its bookmarks'."""

    item: int
    first_page: int
    pages: int
    outline: tuple[int, int, int] | None  # (visible count, first, last), in pack numbers


@dataclass(frozen=True)
class Bookmark:
    number: int
    title: str
    page: int  # the page object's number
    below: tuple[int, int, int] | None  # its items: (visible count, first, last)


class PackFile:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.hash, self.written = handle, hashlib.md5(usedforsecurity=False), 0
        self.offsets = array("Q", [0] * (INFO + 1))
        self.nodes: list[tuple[int, int]] = []  # the parts' page-tree nodes in pack order, with their page counts
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.handle.write(data)
        self.hash.update(data)
        self.written += len(data)

    def allocate(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def _object(self, number: int, text: bytes, stream: bytes | None = None) -> None:
        self.offsets[number] = self.written
        if stream is None:
            self._write(b"%d 0 obj\n%s\nendobj\n" % (number, text))
        else:
            self._write(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, text, stream))

    def place(self, segment: Segment, at: int | None = None) -> Placed:
        """Write a part's segment; its pages go at the end of the pack, or before the `at`-th part's."""
        base = len(self.offsets)
        self.offsets.extend([0] * segment.size)
        chunks, offset = [], self.written
        for obj in segment.objects:  # one write for the whole part: a segment is a few hundred objects
            self.offsets[base + obj.local] = offset
            text = obj.text % tuple(base + r for r in obj.refs)
            if obj.stream is None:
                chunk = b"%d 0 obj\n%s\nendobj\n" % (base + obj.local, text)
            else:
                chunk = b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (base + obj.local, text, obj.stream)
            chunks.append(chunk)
            offset += len(chunk)
        self._write(b"".join(chunks))
        node = base + PAGES
        kids = b" ".join(b"%d 0 R" % (base + page) for page in segment.pages)
        self._object(node, b"<< /Type /Pages /Parent %d 0 R /Kids [ %s ] /Count %d >>"
                     % (PAGE_TREE, kids, len(segment.pages)))
        self.nodes.insert(len(self.nodes) if at is None else at, (node, len(segment.pages)))
        outline = None
        if segment.outline is not None:
            count, head, tail = segment.outline
            outline = (count, base + head, base + tail)
        return Placed(base + OUTLINE, base + segment.pages[0], len(segment.pages), outline)

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
        """The bookmarks' root, the page tree, the catalogue (with the document's language, and its
        title shown in a viewer's title bar), the document information and the cross-reference
        table; the pack's page count."""
        below = self.bookmarks(OUTLINES, tops)
        first = b"/First %d 0 R /Last %d 0 R /Count %d " % (below[1], below[2], below[0]) if below else b""
        self._object(OUTLINES, b"<< /Type /Outlines %s>>" % first)
        pages = sum(count for _, count in self.nodes)
        kids = b" ".join(b"%d 0 R" % node for node, _ in self.nodes)
        self._object(PAGE_TREE, b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (kids, pages))
        self._object(CATALOG, b"<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R /PageMode /UseOutlines /Lang %s "
                     b"/ViewerPreferences << /DisplayDocTitle true >> >>"
                     % (PAGE_TREE, OUTLINES, pikepdf.String(language).unparse()))
        entries = b" ".join(b"/%s %s" % (key.encode(), pikepdf.String(value).unparse()) for key, value in info.items())
        self._object(INFO, b"<< %s >>" % entries)
        identifier = self.hash.hexdigest().encode()
        start = self.written
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets))
        for at in range(1, len(self.offsets), 4096):  # in slices: the table is 20 bytes an object
            self._write(b"".join(b"%010d 00000 n \n" % offset if offset else b"0000000000 65535 f \n"
                                 for offset in self.offsets[at:at + 4096]))
        self._write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ] >>\nstartxref\n%d\n%%%%EOF\n"
                    % (len(self.offsets), CATALOG, INFO, identifier, identifier, start))
        return pages
