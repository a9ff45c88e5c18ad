"""The review pack at firm scale: `write_pack` over N accounts' printed PDFs, timed, with its peak memory.

Printing 4,001 PDFs takes longer than a benchmark run should, and merging costs the same
whatever the pages say, so the parts are the PDFs of a smaller printed corpus, repeated
(hard links) until there are N accounts. The contents page(s) are printed for real.

Two passes: the first makes every part's segment as if each were new (a build's print workers
do that as they print, `render.printer`), the second assembles the pack from the segments
kept, what the building process pays after a build that reprinted few parts.

    python -m allyreport.bench.pack PDF_FOLDER ACCOUNTS
      ->  "<seconds, segments made> <pages> <peak RSS MiB> <size MiB> <seconds, from kept segments>"
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ..render.documents import PdfJob, pdf_environment
from ..render.pack import Entry, Part, write_pack
from ..render.printer import make_setup, printer
from ..render.segments import Segment, SegmentCache, segment


def parts(folder: Path, accounts: int, scratch: Path) -> list[Part]:
    reviews = sorted(folder.glob("*-review.pdf"))
    summary = next(folder.glob("portfolio-*.pdf"))
    found = [Part("Portfolio summary", "", "", (("Portfolio summary", summary),))]
    for i in range(accounts):
        review = reviews[i % len(reviews)]
        plan = review.with_name(review.name.replace("-review.pdf", "-plan.pdf"))
        names = []
        for source, kind in ((review, "review"), (plan, "plan")):
            target = scratch / f"a{i:05d}-{kind}.pdf"
            os.link(source, target)
            names.append(target)
        found.append(Part(f"Account {i:05d}", f"Owner {i % 40}", "Solution Provider",
                          (("Account review", names[0]), ("Relationship plan", names[1]))))
    return found


class Fresh(SegmentCache):
    """Every part's segment made from its bytes, none read back (the hard-linked parts are alike)."""

    def of(self, path: Path) -> Segment:
        return segment(path.read_bytes())


def main() -> None:
    folder, accounts = Path(sys.argv[1]), int(sys.argv[2])
    template = pdf_environment(None).get_template("pdf/contents.html")
    setup = make_setup("A4", "pdf/ua-1", None)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        found = parts(folder, accounts, scratch)

        def contents(entries: Sequence[Entry], start: int) -> Path:
            html = template.render(title="Review pack", quarter="2026Q3", firm="Bench", language="en",
                                   as_of=dt.date(2026, 9, 30), entries=entries, model="Ally model", start=start)
            printer(setup).print(PdfJob("pdf/contents.pdf", html), scratch / f"contents-{start}.pdf")
            return scratch / f"contents-{start}.pdf"

        started = time.perf_counter()
        pages = write_pack(scratch / "pack.pdf", found, contents, {"Title": "Review pack"}, Fresh(scratch / "segments"))
        took = time.perf_counter() - started
        size = (scratch / "pack.pdf").stat().st_size
        kept = SegmentCache(scratch / "segments")
        write_pack(scratch / "pack.pdf", found, contents, {"Title": "Review pack"}, kept)  # keeps the segments
        started = time.perf_counter()
        write_pack(scratch / "pack.pdf", found, contents, {"Title": "Review pack"}, SegmentCache(scratch / "segments"))
        again = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{took:.2f} {pages} {peak:.0f} {size / 2**20:.1f} {again:.2f}")


if __name__ == "__main__":
    main()
