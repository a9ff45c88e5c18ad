"""The review pack, built by the real CLI and read back with pypdf: the parts' pages plus a
contents page, one bookmark per account in portfolio order with its review and plan below,
links that still land, the contents' page numbers true, the parts' tagging merged into one
structure tree, per-owner packs, and the same bytes for the same notes (also when an
incremental build reuses most parts)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from allyreport.render.documents import PdfJob
from allyreport.render.packfile import PackFile
from allyreport.render.printer import make_setup, printer
from allyreport.render.segments import segment

from .conftest import NotesWriter, run_cli

pytestmark = pytest.mark.pdf


def account(name: str, owner: str) -> str:
    return f"---\naccount: {name}\nowner: {owner}\nstakeholders:\n  - name: Dana Reyes\n    role: CEO\n---\n"


def note(day: str, context: str, text: str) -> str:
    return (f"---\ndate: {day}\nwith: [Dana Reyes]\ncontext: {context}\nopened_by: client\n"
            f"trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}\n---\n{text}\n")


NOTES: dict[str, str | bytes] = {
    # slugs and names sort differently: the pack follows the names, as the portfolio summary does
    "zulu/account.md": account("Aardvark Analytics", "Jo Park"),
    "zulu/2026-05-10-a.md": note("2026-05-10", "strategy", "Aardvark's first story."),
    "alpha/account.md": account("Zephyr Mills", "Ann Lee"),
    "alpha/2026-05-12-a.md": note("2026-05-12", "service", "Zephyr's last story."),
    "mid/account.md": account("Mango Media", "Jo Park"),
    "mid/2026-05-14-a.md": note("2026-05-14", "problem", "Mango's middle story."),
}


def build(root: Path, *more: str) -> tuple[int, str]:
    result = run_cli("build", "--notes", "notes", "--out", "out", *more, cwd=root)
    return result.returncode, result.stderr + result.stdout


def outline(reader: PdfReader) -> list[tuple[str, int, list[object]]]:
    """The top of the bookmark tree: (title, page, the items below it)."""
    items = reader.outline
    found: list[tuple[str, int, list[object]]] = []
    for i, item in enumerate(items):
        if isinstance(item, list):
            continue
        below = items[i + 1] if i + 1 < len(items) and isinstance(items[i + 1], list) else []
        found.append((item.title, reader.get_destination_page_number(item), below))
    return found


def parent_tree(node: DictionaryObject) -> dict[int, object]:
    """A number tree's entries, its leaves' /Limits checked."""
    found: dict[int, object] = {}
    nums = node.get("/Nums", [])
    for k in range(0, len(nums), 2):
        found[int(nums[k])] = nums[k + 1]
    for kid in node.get("/Kids", []):
        below = parent_tree(kid.get_object())
        low, high = kid.get_object()["/Limits"]
        assert all(low <= key <= high for key in below)
        assert not found.keys() & below.keys()
        found |= below
    return found


def elements(reader: PdfReader) -> tuple[dict[int, DictionaryObject], dict[int, object]]:
    """The structure elements, by object number, and the parent tree. An element is in the tree
    (from /StructTreeRoot down its kids) or above marked content the parent tree maps to
    (WeasyPrint's running headers and footers: their elements are not the tree's kids)."""
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    found: dict[int, DictionaryObject] = {}
    stack = list(root["/K"])
    while stack:
        ref = stack.pop()
        if not isinstance(ref, IndirectObject) or ref.idnum in found:
            continue
        element = ref.get_object()
        if element.get("/Type") in ("/OBJR", "/MCR"):
            continue
        found[ref.idnum] = element
        kids = element.raw_get("/K") if "/K" in element else []
        stack += kids if isinstance(kids, ArrayObject) else [kids]
    tree = parent_tree(root["/ParentTree"])
    for value in tree.values():
        for ref in value if isinstance(value, ArrayObject) else [value]:
            while isinstance(ref, IndirectObject) and ref.idnum not in found and "/S" in ref.get_object():
                found[ref.idnum] = ref.get_object()
                ref = found[ref.idnum].raw_get("/P")
    return found, tree


def assert_tagged(pack: PdfReader, parts: list[PdfReader]) -> None:
    """The pack's structure tree: every page's and link's key maps to elements of the pack on
    that page, and the elements are the parts' (each part's /Document now a /Part) plus the
    pack's /Document and a /Sect per account."""
    root = pack.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    found, tree = elements(pack)
    document = root["/StructTreeRoot"]["/K"][0].get_object()
    assert document["/S"] == "/Document"
    assert [found[k.idnum]["/S"] for k in document["/K"]] == ["/Part", "/Part"] + ["/Sect"] * (len(parts) // 2 - 1)
    assert [found[k.idnum]["/T"] for k in document["/K"][:3]] == ["Contents", "Portfolio summary", "Aardvark Analytics"]
    assert len(found) == sum(len(elements(part)[0]) for part in parts) + 1 + (len(parts) - 2) // 2
    assert root["/StructTreeRoot"]["/ParentTreeNextKey"] > max(tree)
    pages = {page.indirect_reference.idnum: k for k, page in enumerate(pack.pages)}
    marked = links = 0
    for k, page in enumerate(pack.pages):
        for mcid, ref in enumerate(tree[page["/StructParents"]]):
            assert pages[found[ref.idnum].raw_get("/Pg").idnum] == k
            kids = found[ref.idnum]["/K"]
            assert mcid in (kids if isinstance(kids, ArrayObject) else [kids])
            marked += 1
        for annot in page.get("/Annots") or []:
            if "/StructParent" in annot.get_object():
                link = found[tree[annot.get_object()["/StructParent"]].idnum]
                assert link["/S"] == "/Link"
                assert any(kid.get_object().raw_get("/Obj").idnum == annot.idnum for kid in link["/K"]
                           if isinstance(kid, IndirectObject))
                links += 1
    assert marked > 100 * len(parts)
    assert links > 10


def test_the_pack_is_the_parts_in_portfolio_order_with_contents_and_bookmarks(write_notes: NotesWriter) -> None:
    root = write_notes(NOTES).parent
    code, output = build(root)
    assert code == 0, output
    pdf = root / "out/pdf"
    pack = PdfReader(pdf / "pack-2026Q2.pdf")
    order = ["portfolio-2026Q2", "zulu-review", "zulu-plan", "mid-review", "mid-plan", "alpha-review", "alpha-plan"]
    sizes = [len(PdfReader(pdf / f"{name}.pdf").pages) for name in order]
    assert len(pack.pages) == sum(sizes) + 1  # the contents page
    tops = outline(pack)
    assert [t for t, _, _ in tops] == ["Contents", "Portfolio summary", "Aardvark Analytics", "Mango Media",
                                       "Zephyr Mills"]
    starts = [1 + sum(sizes[:k]) for k in range(len(sizes))]  # 0-based first page of each part in the pack
    assert [p for _, p, _ in tops] == [0, starts[0], starts[1], starts[3], starts[5]]
    for (_, _, below), review, plan in zip(tops[2:], starts[1::2], starts[2::2], strict=True):
        kinds = [(b.title, pack.get_destination_page_number(b)) for b in below if not isinstance(b, list)]
        assert kinds == [("Account review", review), ("Relationship plan", plan)]
        sections = [b for b in below if isinstance(b, list)]
        assert len(sections) == 2  # each document's own bookmarks, nested under it
        assert all(review <= pack.get_destination_page_number(s) < plan for s in sections[0] if not isinstance(s, list))
    contents = pack.pages[0].extract_text()
    for (name, _, _), first in zip(tops[2:], starts[1::2], strict=True):
        line = next(line for line in contents.splitlines() if f"— {name}" in line)
        assert line.split()[0] == str(first + 1)  # the contents counts pages from 1
    assert "Aardvark's first story." in pack.pages[starts[1]].extract_text() + pack.pages[starts[1] + 1].extract_text() \
        + "".join(pack.pages[k].extract_text() for k in range(starts[1], starts[2]))
    assert "Zephyr's last story." in "".join(pack.pages[k].extract_text() for k in range(starts[5], starts[6]))
    assert "Aardvark Analytics · Account review" in pack.pages[starts[1] + 1].extract_text()  # the running header
    # the parts' tagging, merged (docs/output.md), and the contents page's, which is printed tagged too
    contents_part = next((root / ".allyreport-cache/out.pack").glob("*.contents.pdf"))
    assert_tagged(pack, [PdfReader(contents_part), *(PdfReader(pdf / f"{name}.pdf") for name in order)])
    root_dict = pack.trailer["/Root"]
    assert root_dict["/Lang"] == "en"
    assert root_dict["/ViewerPreferences"]["/DisplayDocTitle"]
    text = [page.extract_text() for page in pack.pages]
    assert text[1:] == [page.extract_text() for name in order for page in PdfReader(pdf / f"{name}.pdf").pages]
    assert pack.metadata is not None
    assert pack.metadata.title == "Review pack, 2026Q2"


def test_links_inside_a_part_land_on_its_own_pages(write_notes: NotesWriter) -> None:
    root = write_notes(NOTES).parent
    assert build(root)[0] == 0
    pack = PdfReader(root / "out/pdf/pack-2026Q2.pdf")
    tops = outline(pack)
    bounds = [p for _, p, _ in tops[1:]] + [len(pack.pages)]
    checked = 0
    for start, end in itertools.pairwise(bounds):
        for k in range(start, end):
            for annot in pack.pages[k].get("/Annots") or []:
                dest = annot.get_object().get("/Dest")
                if dest is None:
                    continue
                assert not isinstance(dest, str)  # no name left pointing into another part's names
                assert start <= pack.get_page_number(dest[0].get_object()) < end
                checked += 1
    assert checked > 10


def test_a_pack_per_owner_and_the_same_bytes_twice(write_notes: NotesWriter) -> None:
    root = write_notes(NOTES).parent
    code, output = build(root, "--pack", "owner")
    assert code == 0, output
    pdf = root / "out/pdf"
    assert sorted(p.name for p in pdf.glob("pack-*")) == ["pack-2026Q2-ann-lee.pdf", "pack-2026Q2-jo-park.pdf",
                                                          "pack-2026Q2.pdf"]
    jo = PdfReader(pdf / "pack-2026Q2-jo-park.pdf")
    assert [t for t, _, _ in outline(jo)] == ["Contents", "Portfolio summary", "Aardvark Analytics", "Mango Media"]
    assert "Review pack of Jo Park" in jo.pages[0].extract_text()
    first = (pdf / "pack-2026Q2.pdf").read_bytes()
    (root / "out").rename(root / "before")
    assert build(root, "--pack", "owner=Ann Lee")[0] == 0
    assert (pdf / "pack-2026Q2.pdf").read_bytes() == first
    assert sorted(p.name for p in pdf.glob("pack-*")) == ["pack-2026Q2-ann-lee.pdf", "pack-2026Q2.pdf"]
    code, output = build(root, "--pack", "owner=Nobody")
    assert code == 2  # a flag naming no owner is a usage error, like an unknown --model
    assert "--pack: no account is owned by 'Nobody'; the owners are Ann Lee, Jo Park" in output
    assert run_cli("build", "--notes", "notes", "--out", "out", "--pack", "partner", cwd=root).returncode == 2


def test_an_incremental_build_reuses_parts_and_gives_the_pack_a_fresh_build_gives(write_notes: NotesWriter) -> None:
    root = write_notes(NOTES).parent
    assert build(root)[0] == 0
    write_notes({"mid/2026-05-20-b.md": note("2026-05-20", "strategy", "Mango's second story.")})
    assert build(root)[0] == 0
    pack = PdfReader(root / "out/pdf/pack-2026Q2.pdf")
    assert "Mango's second story." in "".join(page.extract_text() for page in pack.pages)
    incremental = (root / "out/pdf/pack-2026Q2.pdf").read_bytes()
    (root / "out").rename(root / "before")
    assert build(root)[0] == 0
    assert (root / "out/pdf/pack-2026Q2.pdf").read_bytes() == incremental


def test_a_pack_whose_parts_are_the_same_bytes_is_not_written_again(write_notes: NotesWriter) -> None:
    root = write_notes(NOTES).parent
    assert build(root, "--pack", "owner")[0] == 0
    pdf = root / "out/pdf"
    packs = sorted(pdf.glob("pack-*.pdf"))
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in packs}
    review = (pdf / "mid-review.pdf").stat().st_ino
    kept = [p.name for p in (root / ".allyreport-cache/out.pack").iterdir()]  # the output's own, beside its record
    assert len([n for n in kept if n.endswith(".segment")]) == 7 + 3  # the 7 PDFs', and each pack's contents page
    assert len([n for n in kept if n.endswith(".contents.pdf")]) == 3
    note_path = root / "notes/mid/2026-05-14-a.md"
    note_path.write_text(note_path.read_text("utf-8") + "\n\n", "utf-8")  # a new input, the same PDFs
    code, output = build(root, "--pack", "owner")
    assert code == 0, output
    assert (pdf / "mid-review.pdf").stat().st_ino != review  # the account was redone, its PDFs printed again
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in packs} == before  # the packs kept as they were
    write_notes({"mid/2026-05-20-b.md": note("2026-05-20", "strategy", "Mango's second story.")})
    assert build(root, "--pack", "owner")[0] == 0
    after = {p.name: p.stat().st_ino for p in packs}
    assert after["pack-2026Q2-jo-park.pdf"] != before["pack-2026Q2-jo-park.pdf"][0]  # Mango is Jo Park's: written again
    assert "Mango's second story." in "".join(page.extract_text() for page in PdfReader(pdf / "pack-2026Q2.pdf").pages)


def test_a_part_whose_numbers_cross_a_power_of_ten_is_found_where_its_object_stream_says(tmp_path: Path) -> None:
    """The object stream's offsets are worked out from the numbers' width (`PackFile._packed`):
    a part numbered from 9,990 has numbers of four digits and of five."""
    html = ('<html lang="en"><head><title>Part</title></head><body><h1 id="top">A part</h1>'
            + "".join(f"<p>Paragraph {k}, <a href='#top'>back to the top</a>.</p>" for k in range(40)) + "</body></html>")
    printer(make_setup("A4", "pdf/ua-1", None)).print(PdfJob("pdf/part.pdf", html), tmp_path / "part.pdf")
    part = segment((tmp_path / "part.pdf").read_bytes())
    with open(tmp_path / "pack.pdf", "wb") as handle:
        pack = PackFile(handle)
        while len(pack.offsets) < 9_990:
            pack.allocate()
        assert len(str(len(pack.offsets))) < len(str(len(pack.offsets) + part.size - 1))
        placed = pack.place(part)
        pack.tag("Part", [("Part", placed)])
        pack.finish([], {"Title": "Pack"}, "en")
    reader = PdfReader(tmp_path / "pack.pdf", strict=True)  # strict: an object not where its stream says fails
    original = PdfReader(tmp_path / "part.pdf")
    assert [page.extract_text() for page in reader.pages] == [page.extract_text() for page in original.pages]
    found, tree = elements(reader)
    assert len(found) == len(elements(original)[0]) + 1  # and the pack's /Document
    assert {tree[page["/StructParents"]][0].idnum for page in reader.pages} <= found.keys()
    links = [annot.get_object() for page in reader.pages for annot in page.get("/Annots") or []]
    assert len(links) == 40
    assert all(found[tree[link["/StructParent"]].idnum]["/S"] == "/Link" for link in links)
