"""What printing costs: plain WeasyPrint against our `pdf.Printer`, on the same account documents.

`python -m allyreport.bench.rawpdf NOTES [--limit N]` prints two numbers, seconds per document:
first plain `weasyprint.HTML(string=..., base_url=...).write_pdf(stylesheets=[...])` (fonts and
CSS parsed for every document, as a first attempt would do), then our Printer in one process
(fonts and CSS parsed once, tagged PDF/UA). Both print the same HTML, in the same process.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from ..build.pipeline import judge
from ..config.options import Options
from ..config.settings import Settings, SettingsSpec
from ..render.documents import PdfJob, documents
from ..render.printer import font_faces_css, make_setup, printer


def account_documents(notes: Path, limit: int) -> list[PdfJob]:
    settings = Settings(SettingsSpec(), Path.cwd(), None)
    outcome = judge(settings, Options(notes=notes, out=Path("out"), jobs=1))
    if outcome.project is None:
        raise SystemExit("the notes do not load: " + "; ".join(str(d) for d in outcome.diagnostics[:3]))
    jobs, problems = documents(outcome.project, None)
    if problems:
        raise SystemExit(str(problems[0]))
    return list(itertools.islice((j for j in jobs if not j.name.startswith("pdf/portfolio")), limit))


def per_document(jobs: list[PdfJob]) -> tuple[float, float]:
    import weasyprint

    spec = SettingsSpec()
    setup = make_setup(spec.page_size, spec.pdf_variant, None)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for i, job in enumerate(jobs):
            sheets = [weasyprint.CSS(string=font_faces_css()), weasyprint.CSS(filename=setup.stylesheet),
                      weasyprint.CSS(string=f"@page {{ size: {setup.page_size}; }}")]
            weasyprint.HTML(string=job.html, base_url=setup.base_url).write_pdf(
                Path(tmp) / f"raw-{i}.pdf", stylesheets=sheets)
        raw = (time.perf_counter() - started) / len(jobs)
        started = time.perf_counter()
        ours = printer(setup)
        for i, job in enumerate(jobs):
            problems = ours.print(job, Path(tmp) / f"ours-{i}.pdf")
            if problems:
                raise SystemExit(str(problems[0]))
        return raw, (time.perf_counter() - started) / len(jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description="seconds per PDF: plain WeasyPrint, then ours")
    parser.add_argument("notes", type=Path)
    parser.add_argument("--limit", type=int, default=20, help="account documents to print (default 20)")
    args = parser.parse_args()
    jobs = account_documents(args.notes, args.limit)
    if not jobs:
        raise SystemExit("no account documents to print")
    raw, ours = per_document(jobs)
    print(f"{raw:.4f} {ours:.4f}")


if __name__ == "__main__":
    main()
